"""K-fold assignment and the no-leakage guarantee: no event is ever scored by a model that trained on it.

The end-to-end test trains tiny fold BDTs on a synthetic dataset, exports them, scores the backgrounds and every
grid point through the scan code (``compute_background_yields``, ``compute_point_yields``) with a loader that
records which model received which feature rows, and maps the rows back to their stable event ids.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import ConfigError, FeatureError, ModelMetadataError
from susyscan.scan.yields import compute_background_yields, compute_point_yields
from susyscan.training.dataset import build_dataset, load_dataset, prepare_dataset, split_paths_in
from susyscan.training.folds import LeakageError, assign_folds, event_ids, ids_fingerprint
from susyscan.training.halves import cut_choice_halves
from susyscan.training.onnx_model import load_checked
from susyscan.training.outputs import ModelOutputs
from susyscan.training.splitting import split_by_id
from susyscan.training.stages import OutOfFoldOutputs, export_model, out_of_fold_evaluation, run_bdt
from susyscan.training.synthetic import synthetic_feature_names, synthetic_feature_table

REGIONS = {"low": [0.0, 300.0], "high": [300.0, 100000.0]}
KFOLD = 3
SEED = 11


def _table(n_per_sample: int = 240) -> pd.DataFrame:
    """Synthetic feature table with ids spread over two chunks per sample (chunk, event within chunk)."""
    table = synthetic_feature_table(n_per_sample=n_per_sample, seed=5, separation=1.0)
    position = table.groupby("sample").cumcount().to_numpy()
    table["chunk"] = position % 2
    table["event"] = position // 2 * 3 + 1  # sparse indices, as after a preselection
    return table


def test_folds_depend_only_on_sample_id_and_seed() -> None:
    table = _table()
    ids = event_ids(table)
    folds = assign_folds(table["sample"], ids, SEED, KFOLD)
    shuffled = table.sample(frac=1.0, random_state=3)
    again = assign_folds(shuffled["sample"], event_ids(shuffled), SEED, KFOLD)
    assert (pd.Series(again, index=shuffled.index).sort_index().to_numpy() == folds).all()  # not row order
    alone = table["sample"] == "ttbar"
    assert (assign_folds(table.loc[alone, "sample"], ids[alone], SEED, KFOLD) == folds[alone]).all()  # not others
    assert not (assign_folds(table["sample"], ids, SEED + 1, KFOLD) == folds).all()  # but the seed
    counts = np.bincount(folds, minlength=KFOLD)
    assert counts.min() > 0.8 * len(table) / KFOLD  # roughly balanced
    with pytest.raises(ValueError, match="k >= 2"):
        assign_folds(table["sample"], ids, SEED, 1)


def test_id_split_and_halves_depend_only_on_sample_id_and_seed() -> None:
    table = _table(3000)
    ids, samples = event_ids(table), table["sample"].to_numpy()
    labels = split_by_id(samples, ids, (0.6, 0.2, 0.2), SEED)
    halves = cut_choice_halves(samples, ids, SEED)
    shuffled = table.sample(frac=1.0, random_state=3)
    again = split_by_id(shuffled["sample"].to_numpy(), event_ids(shuffled), (0.6, 0.2, 0.2), SEED)
    assert (pd.Series(again, index=shuffled.index).sort_index().to_numpy() == labels).all()  # not row order
    alone = (table["sample"] == "ttbar").to_numpy()
    assert (split_by_id(samples[alone], ids[alone], (0.6, 0.2, 0.2), SEED) == labels[alone]).all()  # not others
    assert (cut_choice_halves(samples[alone], ids[alone], SEED) == halves[alone]).all()
    assert not (split_by_id(samples, ids, (0.6, 0.2, 0.2), SEED + 1) == labels).all()  # but the seed
    for name in np.unique(samples):  # each sample follows the fractions (binomial: 5 sigma of n = 3000)
        mine = samples == name
        for value, fraction in enumerate((0.6, 0.2, 0.2)):
            assert abs((labels[mine] == value).mean() - fraction) < 5 * np.sqrt(fraction * (1 - fraction) / mine.sum())
        assert abs(halves[mine].mean() - 0.5) < 5 * np.sqrt(0.25 / mine.sum())
    # the streams are independent: half of the test events in each half, folds not aligned with the split
    test = labels == 2
    assert abs(halves[test].mean() - 0.5) < 5 * np.sqrt(0.25 / test.sum())
    folds = assign_folds(samples, ids, SEED, KFOLD)
    assert abs((folds[test] == 0).mean() - 1 / 3) < 5 * np.sqrt(2 / 9 / test.sum())
    with pytest.raises(ConfigError, match="split_fractions"):
        split_by_id(samples, ids, (0.6, 0.3, 0.2), SEED)


def test_event_ids_must_be_present_and_unique() -> None:
    table = _table(20)
    with pytest.raises(FeatureError, match="event-id"):
        event_ids(table.drop(columns="chunk"))
    table.loc[1, ["chunk", "event"]] = table.loc[0, ["chunk", "event"]].to_numpy()
    with pytest.raises(FeatureError, match="duplicate event id"):
        event_ids(table)


def _keys(frame: pd.DataFrame) -> set[tuple[str, int]]:
    return set(zip(frame["sample"].astype(str), event_ids(frame).tolist()))


def test_fold_datasets_hold_out_every_event_exactly_once() -> None:
    table = _table()
    names = synthetic_feature_names()
    for region, bounds in REGIONS.items():
        heldout: list[set] = []
        for fold in range(KFOLD):
            dataset = build_dataset(table, region, bounds, 139.0, SEED, feature_names=names, kfold=KFOLD, fold=fold)
            seen = set().union(*(_keys(getattr(dataset, s).frame) for s in ("train", "val", "test")))
            held = _keys(dataset.heldout.frame)
            assert held and not held & seen
            assert (dataset.heldout.frame["split_weight_scale"] == 1.0).all()
            heldout.append(held)
            # the same dataset from a shuffled input (row order does not matter)
            other = build_dataset(table.sample(frac=1.0, random_state=fold), region, bounds, 139.0, SEED,
                                  feature_names=names, kfold=KFOLD, fold=fold)
            assert other.info["training_data_hash"] == dataset.info["training_data_hash"]
        in_region = table[(table["is_signal"] == 0) | table["m_parent"].between(*bounds, inclusive="left")]
        assert sum(len(h) for h in heldout) == len(in_region)
        assert set().union(*heldout) == _keys(in_region)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Merged feature CSVs per sample, fold datasets and exported fold BDTs of both regions."""
    base = tmp_path_factory.mktemp("kfold")
    table = _table()
    names = synthetic_feature_names()
    features = {}
    for sample, frame in table.groupby("sample"):
        features[str(sample)] = base / "features" / f"{sample}.csv.gz"
        features[str(sample)].parent.mkdir(exist_ok=True)
        frame.to_csv(features[str(sample)], index=False)
    training = [p for s, p in features.items() if not s.startswith("smuon_500")]  # (500, 100): no model saw it
    models: dict[str, list[Path]] = {}
    datasets: dict[tuple[str, int], dict[str, Path]] = {}
    for region, bounds in REGIONS.items():
        models[region] = []
        for fold in range(KFOLD):
            paths = split_paths_in(base / "dataset", region, fold)
            prepare_dataset(training, paths, paths["meta"], region, bounds, 139.0, SEED, feature_names=names,
                            kfold=KFOLD, fold=fold)
            datasets[(region, fold)] = paths
            dataset = load_dataset({k: v for k, v in paths.items() if k != "heldout"}, paths["meta"])
            assert dataset.heldout is None  # training never loads the held-out table
            out = base / region / "bdt" / f"fold{fold}"
            outputs = ModelOutputs.in_directory(out, "model.json")
            run_bdt(dataset, outputs, {"n_estimators": 5, "max_depth": 2})
            export_model(outputs.model, "bdt", dataset, out / "model.onnx", None, score_threshold=0.5)
            models[region].append(out / "model.onnx")
    return {"base": base, "table": table, "names": names, "features": features, "models": models,
            "datasets": datasets}


def _regions(models: dict[str, list[Path]]) -> list[dict]:
    return [{"name": f"BDT {region}", "kind": "onnx", "models": [str(p) for p in paths]}
            for region, paths in models.items()]


class Recorder:
    """A loader whose models record every feature row they score."""

    def __init__(self) -> None:
        self.rows: dict[str, list[np.ndarray]] = {}

    def __call__(self, path, feature_names):  # noqa: ANN001, ANN204
        model = load_checked(path, feature_names)
        recorder = self

        class Spy:
            def __getattr__(self, name: str):  # noqa: ANN204
                return getattr(model, name)

            def predict(self, features: np.ndarray) -> np.ndarray:
                recorder.rows.setdefault(str(path), []).append(np.array(features, dtype=np.float32))
                return model.predict(features)

        return Spy()


def test_no_event_is_scored_by_a_model_that_trained_on_it(trained: dict, tmp_path: Path) -> None:
    table, names = trained["table"], trained["names"]
    lookup = {row.tobytes(): key for row, key in
              zip(table[names].to_numpy(dtype=np.float32), zip(table["sample"], event_ids(table).tolist()))}
    recorder = Recorder()
    regions = _regions(trained["models"])
    backgrounds = [p for s, p in trained["features"].items() if not s.startswith("smuon")]
    compute_background_yields(backgrounds, tmp_path / "bkg.csv", regions, batch_size=50, feature_names=names,
                              loader=recorder)
    for sample, path in trained["features"].items():
        if sample.startswith("smuon"):
            compute_point_yields(path, tmp_path / f"{sample}.csv", regions, batch_size=50, feature_names=names,
                                 loader=recorder)
    for region, paths in trained["models"].items():
        scored_in_region: list[tuple[str, int]] = []
        for fold, path in enumerate(paths):
            scored = [lookup[row.tobytes()] for block in recorder.rows[str(path)] for row in block]
            scored_in_region += scored
            dataset = trained["datasets"][(region, fold)]
            seen = set().union(*(_keys(pd.read_csv(dataset[s])) for s in ("train", "val", "test")))
            assert scored and not set(scored) & seen, f"{path} scored events it trained on"
        # every event of every sample scored exactly once per region (all background MC is used)
        assert sorted(scored_in_region) == sorted(zip(table["sample"], event_ids(table).tolist()))
    bkg = pd.read_csv(tmp_path / "bkg.csv")
    total = bkg[(bkg["process"] == "total") & (bkg["region"] == "BDT low")]
    assert int(total["n_raw"].iloc[0]) <= int((table["is_signal"] == 0).sum())
    assert {"min_event_weight_pb", "max_event_weight_pb"} <= set(bkg.columns)


def test_scoring_refuses_changed_events_or_misordered_folds(trained: dict, tmp_path: Path) -> None:
    names = trained["names"]
    regions = _regions(trained["models"])
    ttbar = pd.read_csv(trained["features"]["ttbar"])
    ttbar.loc[0, "event"] = 10**6  # an event the training never had: the held-out id sets no longer match
    ttbar.to_csv(tmp_path / "ttbar.csv.gz", index=False)
    with pytest.raises(LeakageError, match="ttbar"):
        compute_background_yields([tmp_path / "ttbar.csv.gz"], tmp_path / "bkg.csv", regions, feature_names=names)
    swapped = [{**regions[0], "models": regions[0]["models"][::-1]}]
    with pytest.raises(ModelMetadataError, match="fold"):
        compute_background_yields([trained["features"]["ttbar"]], tmp_path / "bkg.csv", swapped,
                                  feature_names=names)


def test_onnx_metadata_records_the_held_out_ids(trained: dict) -> None:
    for (region, fold), paths in trained["datasets"].items():
        model = load_checked(trained["models"][region][fold], trained["names"])
        info = json.loads(paths["meta"].read_text())
        assert (model.fold, model.kfold, model.fold_seed) == (fold, KFOLD, SEED)
        assert model.heldout_ids == info["heldout_ids"]
        heldout = pd.read_csv(paths["heldout"])
        ttbar = heldout[heldout["sample"] == "ttbar"]
        assert model.heldout_ids["ttbar"] == ids_fingerprint(event_ids(ttbar))
        assert "smuon_500_100" not in model.heldout_ids  # never in any training
        entry = {e["sample"]: e for e in info["samples"]}["ttbar"]  # what it fitted and selected on, recorded too
        assert model.trained_events is not None and model.trained_events["ttbar"] == {
            "train": entry["n_train_balanced"], "val": entry["n_val"], "total": entry["n_total"]}


def test_model_without_folds_is_refused_for_the_samples_it_trained_on(trained: dict, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """``training prepare`` without --kfold: the model's ONNX records the events it trained on per sample, and the
    scan refuses it for a table holding such a sample (LeakageError naming the model, sample and counts) unless the
    region sets ``allow_trained_events`` (then every event is scored, as before, with a warning). Samples outside
    its dataset are scored silently."""
    names = trained["names"]
    training = [p for s, p in trained["features"].items() if not s.startswith("smuon_500")]
    paths = split_paths_in(tmp_path / "dataset", "high")
    dataset = prepare_dataset(training, paths, paths["meta"], "high", REGIONS["high"], 139.0, SEED,
                              feature_names=names)
    outputs = ModelOutputs.in_directory(tmp_path / "bdt", "model.json")
    run_bdt(dataset, outputs, {"n_estimators": 5, "max_depth": 2})
    onnx_path = tmp_path / "bdt" / "model.onnx"
    export_model(outputs.model, "bdt", dataset, onnx_path, None, score_threshold=0.5)
    model = load_checked(onnx_path, names)
    assert model.fold is None and model.heldout_ids is None and model.trained_events is not None
    entry = {e["sample"]: e for e in dataset.info["samples"]}["ttbar"]
    assert model.trained_events["ttbar"] == {"train": entry["n_train_balanced"], "val": entry["n_val"],
                                             "total": entry["n_total"]}
    region = {"name": "BDT", "kind": "onnx", "model": str(onnx_path)}
    ttbar = trained["features"]["ttbar"]
    count = f"fitted on {entry['n_train_balanced']} and validated on {entry['n_val']}"
    with pytest.raises(LeakageError, match=f"{onnx_path}.*'ttbar'.*{count}"):
        compute_background_yields([ttbar], tmp_path / "bkg.csv", [region], feature_names=names)
    with pytest.raises(LeakageError, match="smuon_400_0"):
        compute_point_yields(trained["features"]["smuon_400_0"], tmp_path / "p.csv", [region], feature_names=names)
    with caplog.at_level("WARNING", logger="susyscan.scan.inference"):
        for sample in ("smuon_500_100", "smuon_150_0"):  # not in its dataset: not trained on, low-mass region
            compute_point_yields(trained["features"][sample], tmp_path / "p.csv", [region], feature_names=names)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        bkg = compute_background_yields([ttbar], tmp_path / "bkg.csv", [{**region, "allow_trained_events": True}],
                                        feature_names=names)
    # only WARNING and above: an earlier test may have left the root logger at INFO (the CI order does)
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "'ttbar'" in warned[0].getMessage()
    frame = pd.read_csv(ttbar)
    expected = frame["weight_pb"][model.predict(frame[names].to_numpy()) > 0.5].sum()  # every event scored
    assert bkg.loc[bkg["process"] == "total", "yield_pb"].iloc[0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ConfigError, match="allow_trained_events"):
        compute_background_yields([ttbar], tmp_path / "bkg.csv", [{**region, "allow_trained_events": "yes"}],
                                  feature_names=names)


def test_out_of_fold_evaluation_uses_every_event_once(trained: dict, tmp_path: Path) -> None:
    out = OutOfFoldOutputs(tmp_path / "performance.csv", tmp_path / "metrics.json", tmp_path / "roc.png",
                           tmp_path / "scores.png")
    paths = [trained["datasets"][("high", fold)] for fold in range(KFOLD)]
    metrics = out_of_fold_evaluation(trained["models"]["high"], paths, out, 0.5)
    table = trained["table"]
    in_region = table[(table["is_signal"] == 0) | ((table["m_parent"] >= 300.0) & (table["sample"] != "smuon_500_100"))]
    assert metrics["n_events"] == len(in_region) and metrics["kfold"] == KFOLD
    perf = pd.read_csv(out.table).set_index("sample")
    assert perf.loc["ttbar", "expected"] == pytest.approx(
        in_region.loc[in_region["sample"] == "ttbar", "weight_pb"].sum() * 1000 * 139.0)
    with pytest.raises((LeakageError, ModelMetadataError)):  # fold 0 data with another fold model
        out_of_fold_evaluation(trained["models"]["high"][::-1], paths, out, 0.5)
