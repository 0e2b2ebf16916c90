"""The multiclass.smk steps (multiclass_run) on a synthetic seven-class feature table with two jet categories: k fold
DNNs and DNN+SIGN models score every non-bank event once, the bank is background only and disjoint from the scored
events, yields keep the normalisation, and the comparison table and yield tables follow their contracts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from susyscan.contracts import TOTAL, YIELD_COLUMNS
from susyscan.errors import ModelMetadataError
from susyscan.scan.inference import FoldEnsemble, region_scores
from susyscan.training.dataset import training_data_hash
from susyscan.training.folds import FOLD_SCHEME, LeakageError, event_ids
from susyscan.training.halves import cut_choice_halves
from susyscan.training.multiclass import train_multiclass
from susyscan.training import multiclass_run, multiclass_stages
from susyscan.training.multiclass_run import METHODS, run_compare, run_dnn, run_sign
from susyscan.training.multiclass_stages import StageSettings, bank_mask, fold_seeds, read_tables, split, train_folds
from susyscan.training.onnx_model import load_checked
from tests.training.multiclass_defaults import network_config, schema_ml

CLASSES = ["signal", "wjets", "zll", "ztautau", "top", "diboson", "higgs"]
FEATURES = ["f0", "f1", "f2", "f3"]
#: The merged settings of the steps as the workflow gives them: the run settings validated (schema defaults for the
#: keys not set here) and the analysis definition.
ML: dict[str, Any] = {
    **schema_ml(kfold=3, seed=5, bank_fraction=0.3, min_background_mc=2, importance_weighted=True, n_boot=400,
                network={"hidden_layers": [8], "epochs": 3, "batch_size": 64, "dropout": 0.0}, sign={"k": 4, "hops": 2}),
    "classes": CLASSES, "category_column": "jets", "class_column": "process_class",
    "categories": {"0j": [0, 1], "1j": [1, 2]}}
SAMPLES = [("stau_100_40", "signal", 100.0, 40.0, 400, 1e-4), ("stau_150_50", "signal", 150.0, 50.0, 150, 5e-5)] + [
    (f"bkg_{c}", c, -1.0, -1.0, 200, 1e-3) for c in CLASSES[1:]]


def _write_tables(directory: Path) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for index, (sample, cls, m_parent, m_lsp, n, w) in enumerate(SAMPLES):
        centre = np.zeros(len(FEATURES))
        centre[index % len(FEATURES)] = 1.5 if cls != "signal" else -1.0
        df = pd.DataFrame(rng.normal(size=(n, len(FEATURES))) + centre, columns=FEATURES)
        df["weight_pb"] = w * rng.choice([1.0, -0.3], p=[0.95, 0.05], size=n)
        df["process_class"], df["process"], df["sample"] = cls, cls, sample
        df["is_signal"] = int(cls == "signal")
        df["m_parent"], df["m_lsp"] = m_parent, m_lsp
        df["jets"] = rng.integers(0, 2, size=n)
        df["chunk"], df["event"] = 0, np.arange(n)
        df["sr_cc_a"] = (df["f0"] < 0).astype(int)
        path = directory / f"{sample}.csv.gz"
        df.to_csv(path, index=False)
        paths.append(str(path))
    return paths


def _stage_settings() -> StageSettings:
    """The stage settings of :data:`ML` (the training point stau_100_40)."""
    return StageSettings(tuple(CLASSES), tuple(FEATURES), ("stau_100_40",), kfold=ML["kfold"], seed=ML["seed"],
                         bank_fraction=ML["bank_fraction"], class_column=ML["class_column"])


def test_bank_is_background_and_weights_keep_normalisation(tmp_path: Path) -> None:
    paths = _write_tables(tmp_path)
    settings = _stage_settings()
    table = read_tables(paths, "jets", [0, 2], settings)
    bank = bank_mask(table, settings)
    assert not bank[table["process_class"] == "signal"].any()
    assert 0.2 < bank[table["process_class"] != "signal"].mean() < 0.4
    bank_rows, rest = split(table, settings)
    assert len(bank_rows) + len(rest) == len(table)
    for sample, group in table.groupby("sample"):
        assert np.isclose(rest.loc[rest["sample"] == sample, "weight"].sum(), group["weight_pb"].sum())
    np.testing.assert_array_equal(bank_mask(table.iloc[::-1], settings)[::-1], bank)  # order independent
    assert set(rest["fold"]) == {0, 1, 2}
    assert rest.loc[rest["sample"] == "stau_150_50", "train"].eq(False).all()


@pytest.mark.slow
def test_steps_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.set_num_threads(1)
    paths = _write_tables(tmp_path)
    score_paths = {}
    for category, span in ML["categories"].items():
        dnn_dir, sign_dir = tmp_path / category / "dnn", tmp_path / category / "sign"
        run_dnn(paths, dnn_dir, ML, category, span, FEATURES, ["stau_100_40"])
        run_sign(paths, dnn_dir / "importance.csv", sign_dir, ML, category, span, FEATURES, ["stau_100_40"])
        score_paths[f"dnn_{category}"] = str(dnn_dir / "scores.csv.gz")
        score_paths[f"sign_{category}"] = str(sign_dir / "scores.csv.gz")
        dnn, sign = pd.read_csv(dnn_dir / "scores.csv.gz"), pd.read_csv(sign_dir / "scores.csv.gz")
        # the same events, each scored once, probabilities summing to one
        pd.testing.assert_frame_equal(dnn[["sample", "chunk", "event", "fold"]], sign[["sample", "chunk", "event", "fold"]])
        assert not dnn.duplicated(["sample", "chunk", "event"]).any()
        probabilities = dnn[[f"p_{c}" for c in CLASSES]].to_numpy()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
        assert (tmp_path / category / "sign" / "bank" / "bank.faiss").exists()
        assert len(list((tmp_path / category / "sign").glob("fold*/model.onnx"))) == 3
    points = [("stau_100_40", 100.0, 40.0), ("stau_150_50", 150.0, 50.0), ("stau_200_0", 200.0, 0.0)]
    out = {"table": str(tmp_path / "comparison.csv"), "markdown": str(tmp_path / "comparison.md"),
           "roc": str(tmp_path / "roc.png"), "yields_dir": str(tmp_path / "yields"),
           "background": str(tmp_path / "background_yields.csv"), "paired": str(tmp_path / "paired.csv")}
    halves_calls: list[int] = []

    def counted_halves(*args: Any) -> np.ndarray:
        halves_calls.append(1)
        return cut_choice_halves(*args)

    monkeypatch.setattr(multiclass_run, "cut_choice_halves", counted_halves)
    comparison = run_compare(score_paths, ML, ["stau_100_40"], [139.0, 300.0], points, {"sr_cc_a": "CC a"}, out)
    assert set(comparison["method"]) == {"DNN", "DNN+SIGN"} and set(comparison["category"]) == {"0j", "1j"}
    assert (comparison["z_300ifb"] > comparison["z_139ifb"]).all()
    point = pd.read_csv(tmp_path / "yields" / "stau_150_50.csv")
    assert list(point.columns) == list(YIELD_COLUMNS)
    assert list(point["region"]) == ["DNN 0j", "DNN+SIGN 0j", "DNN 1j", "DNN+SIGN 1j", "CC a"]
    empty = pd.read_csv(tmp_path / "yields" / "stau_200_0.csv")  # a point without events: zero rows, not missing
    assert (empty["yield_pb"] == 0).all() and len(empty) == 5
    background = pd.read_csv(tmp_path / "background_yields.csv")
    total = background[background["process"] == TOTAL].set_index("region")
    per_class = background[background["process"] != TOTAL].groupby("region")["yield_pb"].sum()
    np.testing.assert_allclose(total.loc[per_class.index, "yield_pb"], per_class)
    markdown = (tmp_path / "comparison.md").read_text()
    assert "## Best region" in markdown and "## Paired bootstrap" in markdown
    # the cut is chosen on one half and quoted on the other: the quoted MC counts are of the quoting half only
    for (method, category), row in comparison.drop_duplicates(["method", "category"]).set_index(
            ["method", "category"]).iterrows():
        table = pd.read_csv(score_paths[f"{'dnn' if method == 'DNN' else 'sign'}_{category}"])
        quoting = ~cut_choice_halves(table["sample"].to_numpy(), event_ids(table), ML["seed"])
        passing = quoting & (table["p_signal"].to_numpy() >= row["threshold"])
        assert row["n_background_mc"] == int((passing & (table["label"].to_numpy() != 0)).sum())
    paired = pd.read_csv(tmp_path / "paired.csv")
    assert set(paired["category"]) <= {"0j", "1j"} and set(paired["lumi_ifb"]) <= {139.0, 300.0}
    assert ((paired["p_sign_better"] >= 0) & (paired["p_sign_better"] <= 1)).all()
    # one cut-choice split per (method, category); the paired bootstrap reuses the DNN's
    assert len(paired) and len(halves_calls) == len(METHODS) * len(ML["categories"])


def test_each_fold_trains_and_permutes_with_its_own_reproducible_seed(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    seeds = {fold_seeds(5, "0j", "multiclass_dnn", fold) for fold in range(3)}
    assert len({s for pair in seeds for s in pair}) == 6  # training and importance seeds all differ across folds
    assert fold_seeds(5, "0j", "multiclass_dnn", 1) == fold_seeds(5, "0j", "multiclass_dnn", 1)
    assert fold_seeds(5, "0j", "multiclass_dnn", 1) != fold_seeds(6, "0j", "multiclass_dnn", 1)
    assert fold_seeds(5, "0j", "multiclass_dnn", 1) != fold_seeds(5, "0j", "multiclass_dnn_sign", 1)
    settings = _stage_settings()
    _, events = split(read_tables(_write_tables(tmp_path), "jets", [0, 2], settings), settings)
    inputs = events[FEATURES].to_numpy(dtype=float)
    config = network_config(hidden_layers=(4,), epochs=1, batch_size=256, dropout=0.0)
    runs = [train_folds(events, inputs, FEATURES, settings, config, tmp_path / f"run{i}", "multiclass_dnn", "0j",
                        importance=True) for i in range(2)]
    expected = [fold_seeds(5, "0j", "multiclass_dnn", fold) for fold in range(3)]
    assert [(f["seed"], f["importance_seed"]) for f in runs[0].summary["folds"]] == expected
    pd.testing.assert_frame_equal(runs[0].scores, runs[1].scores)  # reproducible
    np.testing.assert_array_equal(runs[0].importance, runs[1].importance)
    # fold 1's scores are those of a network trained with fold 1's seed, not with another one
    fold, tr_fold = 1, (events["fold"] != 1) & (events["fold"] != 2) & events["train"]
    va, te = (events["fold"] == 2) & events["train"], (events["fold"] == fold).to_numpy()
    data = [(inputs[m], events["label"].to_numpy()[m], events["weight"].to_numpy()[m]) for m in (tr_fold.to_numpy(),
                                                                                                  va.to_numpy())]
    probabilities = runs[0].scores[[f"p_{c}" for c in CLASSES]].to_numpy()[te]
    own = train_multiclass(data[0], data[1], FEATURES, CLASSES, replace(config, seed=expected[fold][0]))
    np.testing.assert_allclose(probabilities, own.predict_proba(inputs[te]), rtol=0, atol=1e-12)
    other = train_multiclass(data[0], data[1], FEATURES, CLASSES, replace(config, seed=expected[fold][0] + 1))
    assert np.abs(probabilities - other.predict_proba(inputs[te])).max() > 1e-6


def test_a_fold_model_trained_on_other_rows_is_not_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """train_folds records the hash of the fold's training rows before training; a trainer that trains on other rows
    (here: one event dropped) gives a model whose own record differs, and the export refuses it."""
    torch.set_num_threads(1)
    settings = _stage_settings()
    _, events = split(read_tables(_write_tables(tmp_path), "jets", [0, 2], settings), settings)
    inputs = events[FEATURES].to_numpy(dtype=float)
    config = network_config(hidden_layers=(4,), epochs=1, batch_size=256, dropout=0.0)

    def drops_one_event(train: tuple[np.ndarray, ...], *args: Any) -> Any:
        return train_multiclass(tuple(a[1:] for a in train), *args)  # type: ignore[arg-type]

    monkeypatch.setattr(multiclass_stages, "train_multiclass", drops_one_event)
    with pytest.raises(ModelMetadataError, match=r"fold0/model.onnx: trained on data .*not on the fold's training"):
        train_folds(events, inputs, FEATURES, settings, config, tmp_path / "dnn", "multiclass_dnn", "0j")
    assert not (tmp_path / "dnn" / "fold0" / "model.onnx").exists()


def test_fold_models_go_through_the_shared_heldout_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exported fold models carry the shared k-fold metadata: the shared scan's FoldEnsemble scores the non-bank
    events as ``scores.csv.gz`` does (1e-5), and refuses a table with the bank events or with a training event
    missing (the held-out fingerprints differ); grid points without training events carry no fingerprint."""
    torch.set_num_threads(1)
    settings = _stage_settings()
    bank, events = split(read_tables(_write_tables(tmp_path), "jets", [0, 2], settings), settings)
    inputs = events[FEATURES].to_numpy(dtype=float)
    config = network_config(hidden_layers=(4,), epochs=1, batch_size=256, dropout=0.0)
    id_calls: list[int] = []

    def counted_ids(*args: Any) -> np.ndarray:
        id_calls.append(1)
        return event_ids(*args)

    monkeypatch.setattr(multiclass_stages, "event_ids", counted_ids)
    result = train_folds(events, inputs, FEATURES, settings, config, tmp_path / "dnn", "multiclass_dnn", "0j")
    assert len(id_calls) == 1  # the event ids (and their duplicate check) once for the k folds' held-out metadata
    paths = [tmp_path / "dnn" / f"fold{fold}" / "model.onnx" for fold in range(3)]
    models = [load_checked(path, FEATURES) for path in paths]
    assert all(m.fold_scheme == FOLD_SCHEME and m.classes == CLASSES for m in models)
    # the training-data hash (shared dataset.training_data_hash) of each fold's training events, in ONNX and summary
    labels, weights = events["label"].to_numpy(), events["weight"].to_numpy(dtype=float)
    for fold, model in enumerate(models):
        rows = (events["train"] & (events["fold"] != fold) & (events["fold"] != (fold + 1) % 3)).to_numpy()
        expected = training_data_hash((inputs[rows], weights[rows, None]), labels[rows], [*FEATURES, "weight"])
        assert model.training_data_hash == expected == result.summary["folds"][fold]["training_data_hash"]
    assert len({m.training_data_hash for m in models}) == 3
    assert set(models[0].heldout_ids or {}) == {"stau_100_40", *(f"bkg_{c}" for c in CLASSES[1:])}
    ensemble = FoldEnsemble(models, paths)
    # through the scan's own path (scan.yields: region_scores of the region's model); k = 3: no weight factors
    scores, factor = region_scores(ensemble, events, inputs.astype(np.float32), 100, "stau events")
    np.testing.assert_allclose(scores, result.scores["p_signal"].to_numpy(), rtol=0, atol=1e-5)
    assert factor is None
    with_bank = pd.concat([events, bank], ignore_index=True)
    with pytest.raises(LeakageError, match="sample 'bkg_"):
        region_scores(ensemble, with_bank, with_bank[FEATURES].to_numpy(dtype=np.float32), 100, "table with the bank")
    missing = events.drop(index=int(np.flatnonzero(events["sample"] == "stau_100_40")[0]))
    with pytest.raises(LeakageError, match="sample 'stau_100_40'"):
        region_scores(ensemble, missing, missing[FEATURES].to_numpy(dtype=np.float32), 100, "table without one event")
    grid = events[events["sample"] == "stau_150_50"]  # no training events: any subset is unseen
    region_scores(ensemble, grid.iloc[::2], grid.iloc[::2][FEATURES].to_numpy(dtype=np.float32), 100, "grid point")
