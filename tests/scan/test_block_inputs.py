"""The shared scan for models on array blocks (``AnalysisSpec.scan_variant``): the blocks of the model-input tables
joined to the feature CSV by event id, and the regions of a 1-fold model (its test split, weighted up per sample).

The models here are small stand-ins that score from the blocks (no ONNX), so that each expected yield can be
computed by hand from the tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import EmptySelectionError, FeatureError, ModelMetadataError
from susyscan.scan.inference import FoldEnsemble
from susyscan.scan.yields import compute_background_yields, compute_point_yields
from susyscan.training.eventtable import EventTable, write_table
from susyscan.training.folds import event_ids, ids_fingerprint
from susyscan.training.splitting import SPLIT_ID_SCHEME, split_by_id

SEED = 7
SPLIT = (0.6, 0.2, 0.2)
FIELDS = {"highlevel": ["x", "y"], "pfcands": ["a"]}


class BlockModel:
    """Score = highlevel[:, 0] (in [0, 1]); records the blocks it is given; fold metadata as the ONNX models'."""

    def __init__(self, kfold: int = 1, fold: int = 0, heldout_ids: dict[str, str] | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        self.kfold, self.fold, self.fold_seed = kfold, fold, SEED
        self.heldout_ids = heldout_ids if heldout_ids is not None else {}
        self.score_threshold = 0.5
        self.metadata = {"split_fractions": json.dumps(list(SPLIT)), "split_scheme": SPLIT_ID_SCHEME,
                         **(metadata or {})}
        self.seen: list[np.ndarray] = []

    def predict(self, features: tuple[np.ndarray, ...]) -> np.ndarray:
        highlevel, pfcands = features
        assert highlevel.shape[1:] == (2,) and pfcands.shape[1:] == (3, 1)
        self.seen.append(highlevel[:, 1].copy())  # column y holds the event id
        return highlevel[:, 0].astype(np.float64)


def _sample(tmp_path: Path, name: str, n: int, seed: int, is_signal: int = 0) -> tuple[Path, list[Path], pd.DataFrame]:
    """A merged feature CSV (rows shuffled) and its two chunk tables: block value x = score, y = event id."""
    rng = np.random.default_rng(seed)
    chunk, event = np.arange(n) % 2, np.arange(n) // 2 * 3 + 1
    score = rng.uniform(0, 1, n)
    df = pd.DataFrame({"sample": name, "process": name, "is_signal": is_signal, "chunk": chunk, "event": event,
                       "weight_pb": rng.uniform(0.5, 1.5, n) * 1e-3, "flag": (rng.uniform(0, 1, n) < 0.3).astype(int),
                       "m_parent": 1000.0 if is_signal else -1.0, "m_lsp": 100.0 if is_signal else -1.0})
    ids = event_ids(df)
    tables = []
    for c in (0, 1):
        rows = chunk == c
        table = EventTable({"sample": np.full(rows.sum(), name), "chunk": chunk[rows], "event": event[rows]},
                           {"highlevel": np.stack([score[rows], ids[rows].astype(np.float64)], axis=1),
                            "pfcands": np.zeros((rows.sum(), 3, 1))},
                           FIELDS, {"pfcand_pt_min": 1.0, "chunk_header": {"chunk": c}})
        tables.append(tmp_path / f"{name}_chunk{c}.npz")
        write_table(table, tables[-1])
    df = df.assign(score=score)
    features = tmp_path / f"{name}.csv.gz"
    df.drop(columns="score").sample(frac=1.0, random_state=seed).to_csv(features, index=False)
    return features, tables, df


def _regions(tmp_path: Path) -> list[dict]:
    """A flag region and a network region of one fold model (its file only has to exist: the loader is a stand-in)."""
    (tmp_path / "fold0.onnx").touch()
    return [{"name": "baseline", "kind": "flag", "column": "flag"},
            {"name": "nn", "kind": "onnx", "models": [str(tmp_path / "fold0.onnx")], "threshold": 0.5}]


def _test_split(df: pd.DataFrame) -> np.ndarray:
    return split_by_id(df["sample"].to_numpy(), event_ids(df), SPLIT, SEED) == 2


def test_blocks_are_joined_by_event_id_and_a_one_fold_model_scores_its_test_split(tmp_path: Path) -> None:
    bkg, bkg_tables, bkg_df = _sample(tmp_path, "znunu", 400, 1)
    point, point_tables, point_df = _sample(tmp_path, "sig", 120, 2, is_signal=1)
    test = _test_split(bkg_df)
    model = BlockModel(heldout_ids={"znunu": ids_fingerprint(event_ids(bkg_df)[test])})  # trained on znunu only
    loaded: list[object] = []

    def loader(path, names):  # noqa: ANN001, ANN202
        assert names == FIELDS  # the tables' blocks are the model inputs
        loaded.append(path)
        return model

    table = compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), batch_size=64, loader=loader,
                                      input_paths={"znunu": bkg_tables})
    w, flag, score = bkg_df["weight_pb"].to_numpy(), bkg_df["flag"].to_numpy() > 0, bkg_df["score"].to_numpy()
    factor = len(bkg_df) / test.sum()
    rows = table.set_index(["region", "process"])
    # the flag region counts every event; the network region the test split, weighted by n / n(test)
    assert rows.loc[("baseline", "total"), "yield_pb"] == pytest.approx(w[flag].sum(), rel=1e-12)
    assert rows.loc[("baseline", "total"), "n_raw"] == flag.sum()
    passing = test & (score > 0.5)
    assert rows.loc[("nn", "total"), "yield_pb"] == pytest.approx(factor * w[passing].sum(), rel=1e-12)
    assert rows.loc[("nn", "total"), "stat_pb"] == pytest.approx(factor * np.sqrt((w[passing] ** 2).sum()), rel=1e-12)
    assert rows.loc[("nn", "total"), "n_raw"] == passing.sum()
    assert rows.loc[("nn", "znunu"), "max_event_weight_pb"] == pytest.approx(factor * w[test].max(), rel=1e-12)
    assert rows.loc[("baseline", "znunu"), "max_event_weight_pb"] == pytest.approx(w.max(), rel=1e-12)
    # each row got the blocks of its own event (column y of the block = its id), test events only
    seen = np.concatenate(model.seen)
    assert sorted(seen.astype(np.int64)) == sorted(event_ids(bkg_df)[test])
    # a grid point the model did not train on: every event scored, weights as they are
    model.seen.clear()
    sig = compute_point_yields(point, tmp_path / "sig.csv", _regions(tmp_path), loader=loader, input_paths=point_tables)
    ws, scores = point_df["weight_pb"].to_numpy(), point_df["score"].to_numpy()
    assert sig.set_index("region").loc["nn", "yield_pb"] == pytest.approx(ws[scores > 0.5].sum(), rel=1e-12)
    assert list(sig["region"]) == ["baseline", "nn"] and set(sig["m_parent"]) == {1000.0}
    assert len(np.concatenate(model.seen)) == len(point_df) and len(loaded) == 2


def test_tables_must_hold_the_feature_table_events(tmp_path: Path) -> None:
    bkg, tables, df = _sample(tmp_path, "znunu", 50, 3)
    short = pd.read_csv(bkg).iloc[1:]
    short.to_csv(tmp_path / "znunu.csv.gz", index=False)
    extra = pd.concat([short, short.iloc[:1].assign(event=10**6)])

    def loader(path, names):  # noqa: ANN001, ANN202
        return BlockModel(heldout_ids={})

    with pytest.raises(FeatureError, match=r"znunu.*49 events.*50"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader, input_paths={"znunu": tables})
    extra.to_csv(tmp_path / "znunu.csv.gz", index=False)
    with pytest.raises(FeatureError, match="1 of the first not in the second"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader, input_paths={"znunu": tables})
    with pytest.raises(FeatureError, match="no model-input tables given for sample 'znunu'"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader, input_paths={"other": tables})
    with pytest.raises(FeatureError, match=r"znunu.csv.gz: model inputs given twice"):
        compute_point_yields(bkg, tmp_path / "p.csv", _regions(tmp_path), feature_names=["x"], loader=loader,
                             input_paths=tables, masses=(1.0, 0.0))


def test_model_and_tables_must_agree_on_their_recorded_inputs(tmp_path: Path) -> None:
    bkg, tables, _ = _sample(tmp_path, "znunu", 40, 4)

    def loader(path, names):  # noqa: ANN001, ANN202
        return BlockModel(metadata={"pfcand_pt_min": "10.0"})  # trained on the 10 GeV tables

    with pytest.raises(ModelMetadataError, match="pfcand_pt_min=1.0 in the event tables, 10.0 in the model"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader, input_paths={"znunu": tables})


def test_one_fold_model_needs_its_id_split(tmp_path: Path) -> None:
    _, _, df = _sample(tmp_path, "znunu", 40, 5)
    model = BlockModel(heldout_ids={"znunu": "x"}, metadata={"split_scheme": "sample"})
    with pytest.raises(ModelMetadataError, match="id-based split"):
        FoldEnsemble([model], ["m.onnx"]).assignment(df, "znunu.csv.gz")
    k2 = [BlockModel(kfold=2, fold=f, heldout_ids={}) for f in (0, 1)]
    _, _, index, factor = FoldEnsemble(k2, ["a", "b"]).assignment(df, "znunu.csv.gz")
    assert set(index.tolist()) == {0, 1} and (factor == 1).all()  # k >= 2: every event, full weight


def test_one_model_path_of_a_fold_model_scores_its_held_out_events_only(tmp_path: Path) -> None:
    """A region's one ``model`` that records held-out ids is scored as a 1-fold ensemble (its test split, weighted
    up), not on every event (its training events included); a fold model of k >= 2 given alone is refused."""
    bkg, tables, df = _sample(tmp_path, "znunu", 200, 11)
    test = _test_split(df)
    model = BlockModel(heldout_ids={"znunu": ids_fingerprint(event_ids(df)[test])})
    (tmp_path / "one.onnx").touch()
    regions = [{"name": "nn", "kind": "onnx", "model": str(tmp_path / "one.onnx"), "threshold": 0.5}]
    table = compute_background_yields([bkg], tmp_path / "bkg.csv", regions, loader=lambda p, n: model,
                                      input_paths={"znunu": tables})
    passing = test & (df["score"].to_numpy() > 0.5)
    assert table.set_index(["region", "process"]).loc[("nn", "total"), "n_raw"] == passing.sum()
    assert sorted(np.concatenate(model.seen).astype(np.int64)) == sorted(event_ids(df)[test])
    fold1 = BlockModel(kfold=2, fold=1, heldout_ids={})
    with pytest.raises(ModelMetadataError, match="holds out fold 1/2"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", regions, loader=lambda p, n: fold1,
                                  input_paths={"znunu": tables})


def test_fold_models_need_the_sample_column_and_unique_ids(tmp_path: Path) -> None:
    """Without a ``sample`` column the held-out check would see no trained sample: refused, naming the file;
    duplicate ids are refused also without it."""
    bkg, tables, df = _sample(tmp_path, "znunu", 60, 12)
    model = BlockModel(heldout_ids={"znunu": ids_fingerprint(event_ids(df)[_test_split(df)])})
    no_sample = tmp_path / "nosample.csv.gz"
    df.drop(columns=["sample", "score"]).to_csv(no_sample, index=False)
    with pytest.raises(FeatureError, match=r"nosample.csv.gz: no 'sample' column"):
        compute_background_yields([no_sample], tmp_path / "bkg.csv", _regions(tmp_path), loader=lambda p, n: model,
                                  input_paths={"nosample": tables})
    twice = df.drop(columns="sample").iloc[[0, 0]]
    with pytest.raises(FeatureError, match="duplicate event id"):
        event_ids(twice, "twice.csv")


def test_a_trained_sample_with_no_held_out_event_is_an_error(tmp_path: Path) -> None:
    """A sample the 1-fold model trained on whose test split is empty would add zero yield: an error naming it."""
    _, _, df = _sample(tmp_path, "znunu", 40, 13)
    train_only = df[~_test_split(df)]
    model = BlockModel(heldout_ids={"znunu": ids_fingerprint(np.empty(0, dtype=np.int64))})
    with pytest.raises(EmptySelectionError, match=r"znunu.csv.gz: none of the \d+ events of sample znunu"):
        FoldEnsemble([model], ["m.onnx"]).assignment(train_only, "znunu.csv.gz")


def test_chunks_must_agree_on_their_input_metadata(tmp_path: Path) -> None:
    """A stale chunk of other inputs (another pfcand_pt_min) is refused by name, not dropped from the comparison
    with the model's metadata; NaN in a block names its chunk."""
    from susyscan.training.eventtable import read_table

    bkg, tables, _ = _sample(tmp_path, "znunu", 40, 14)
    stale = read_table(tables[1])
    stale.metadata["pfcand_pt_min"] = 10.0
    write_table(stale, tables[1])
    loader = lambda p, n: BlockModel(metadata={"pfcand_pt_min": "1.0"})  # noqa: E731
    with pytest.raises(FeatureError, match=r"znunu_chunk1.npz: pfcand_pt_min=10.0 differs"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader,
                                  input_paths={"znunu": tables})
    stale.metadata["pfcand_pt_min"] = 1.0
    stale.blocks["pfcands"][0] = np.nan
    write_table(stale, tables[1])
    with pytest.raises(FeatureError, match=r"block 'pfcands' of \[.*znunu_chunk1.npz'\]"):
        compute_background_yields([bkg], tmp_path / "bkg.csv", _regions(tmp_path), loader=loader,
                                  input_paths={"znunu": tables})
