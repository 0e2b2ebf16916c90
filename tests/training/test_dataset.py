"""Dataset preparation: region selection, split fractions, balancing, weights, standardisation, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import ConfigError, EmptySelectionError, FeatureError
from susyscan.training.dataset import (
    build_dataset,
    load_dataset,
    prepare_dataset,
    save_dataset,
    split_paths_in,
    training_data_hash,
)
from susyscan.training.splitting import equal_share, split_by_sample

REGIONS = {"low": [0.0, 300.0], "high": [300.0, 100000.0]}
LUMI_FB = 139.0


def test_region_keeps_only_its_signal_and_all_backgrounds(low_dataset):
    names = low_dataset.sample_names
    assert names == sorted(["smuon_150_0", "smuon_200_50", "ttbar", "ww", "zz"])
    for split in (low_dataset.train, low_dataset.val, low_dataset.test):
        assert np.all(split.m_parent[split.y == 1] < 300.0)


def test_split_fractions_are_8_1_1_per_sample(low_dataset):
    for entry in low_dataset.info["samples"]:
        n = entry["n_total"]
        assert n == 300
        assert (entry["n_train"], entry["n_val"], entry["n_test"]) == (240, 30, 30)


def test_split_is_seeded_and_disjoint():
    codes = np.repeat(["a", "b", "c"], 100)
    first = split_by_sample(codes, (0.8, 0.1, 0.1), seed=1)
    assert np.array_equal(first, split_by_sample(codes, (0.8, 0.1, 0.1), seed=1))
    assert not np.array_equal(first, split_by_sample(codes, (0.8, 0.1, 0.1), seed=2))
    assert np.bincount(first).tolist() == [240, 30, 30]
    with pytest.raises(ConfigError):
        split_by_sample(codes, (0.8, 0.1, 0.2), seed=1)


def test_training_set_is_balanced_with_equal_share_per_background(low_dataset):
    train = low_dataset.train
    n_signal = int(train.y.sum())
    assert n_signal == 2 * 240  # the smaller class is kept whole
    assert len(train.y) == 2 * n_signal
    background_counts = [e["n_train_balanced"] for e in low_dataset.info["samples"] if e["is_signal"] == 0]
    assert background_counts == [160, 160, 160]


def test_equal_share_caps_small_components():
    assert equal_share({0: 10, 1: 100, 2: 100}, 100) == {0: 10, 1: 45, 2: 45}
    assert sum(equal_share({0: 3, 1: 4}, 100).values()) == 7


def test_equal_share_properties_on_random_inputs():
    rng = np.random.default_rng(0)
    for _ in range(200):
        sizes = {k: int(v) for k, v in enumerate(rng.integers(0, 50, size=rng.integers(1, 6)))}
        target = int(rng.integers(0, 200))
        quota = equal_share(sizes, target)
        assert sum(quota.values()) == min(target, sum(sizes.values()))
        assert all(0 <= quota[k] <= sizes[k] for k in sizes)
        uncapped = [quota[k] for k in sizes if quota[k] < sizes[k]]
        if uncapped:  # components below their size get the largest shares (within one event)
            assert max(quota.values()) - min(uncapped) <= 1


def test_weights_give_expected_events_at_luminosity(low_dataset, feature_table):
    ttbar = feature_table[feature_table["sample"] == "ttbar"]
    expected = ttbar["weight_pb"].sum() * 1000 * LUMI_FB
    code = low_dataset.sample_names.index("ttbar")
    for split in (low_dataset.val, low_dataset.test):
        assert split.weight[split.sample == code].sum() == pytest.approx(expected, rel=1e-12)


def test_balanced_train_weights_sum_to_each_sample_expected_events(low_dataset, feature_table, feature_names):
    """The train split is downsampled (backgrounds 240 -> 160 events each): its weights are scaled by n(sample) /
    n(sample, kept), so each sample's train weights sum to the sample's expected events (exactly, since the
    synthetic weights are constant per sample) and the ``balanced`` loss weighting shares the background class
    among its samples as their yields do (the scale taken before downsampling gave backgrounds 160/240 of it)."""
    from susyscan.training.train_nn import balanced_weights

    fold = build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, seed=7, feature_names=feature_names,
                         kfold=3, fold=1)
    assert fold.info["n_events"]["train"] < sum(e["n_train"] for e in fold.info["samples"])  # downsampled
    for dataset in (low_dataset, fold):
        train = dataset.train
        for code, name in enumerate(dataset.sample_names):
            rows = feature_table["sample"] == name
            expected = feature_table.loc[rows, "weight_pb"].sum() * 1000 * LUMI_FB  # k-fold: n(sample) counts all
            assert train.weight[train.sample == code].sum() == pytest.approx(expected, rel=1e-12), name
    train = low_dataset.train
    loss = balanced_weights(train.y, train.weight)
    background = [low_dataset.sample_names.index(n) for n in ("ttbar", "ww", "zz")]
    loss_share = np.array([loss[train.sample == c].sum() for c in background])
    yields = np.array([train.weight[train.sample == c].sum() for c in background])
    np.testing.assert_allclose(loss_share / loss_share.sum(), yields / yields.sum(), rtol=1e-12)
    physical = np.array([feature_table.loc[feature_table["sample"] == n, "weight_pb"].sum() for n in ("ttbar", "ww", "zz")])
    np.testing.assert_allclose(loss_share / loss_share.sum(), physical / physical.sum(), rtol=1e-12)


def test_standardisation_fitted_on_balanced_training_set_only(low_dataset):
    standardisation = low_dataset.standardisation
    assert np.allclose(standardisation.mean, low_dataset.train.X.mean(axis=0))
    assert np.allclose(standardisation.std, low_dataset.train.X.std(axis=0))
    everything = np.concatenate([low_dataset.train.X, low_dataset.val.X, low_dataset.test.X])
    assert not np.allclose(standardisation.mean, everything.mean(axis=0), atol=1e-3)


def test_save_load_roundtrip_and_hash(low_dataset, tmp_path):
    paths = split_paths_in(tmp_path, "low")
    save_dataset(low_dataset, paths, paths["meta"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["low.json", "low.test.csv.gz", "low.train.csv.gz",
                                                           "low.val.csv.gz"]
    loaded = load_dataset(paths, paths["meta"])
    assert np.array_equal(loaded.train.X, low_dataset.train.X)
    assert np.array_equal(loaded.test.weight, low_dataset.test.weight)
    assert np.array_equal(loaded.val.sample, low_dataset.val.sample)
    digest = training_data_hash(loaded.train.X, loaded.train.y, loaded.feature_names)
    assert digest == loaded.info["training_data_hash"] and len(digest) == 64
    test_table = pd.read_csv(paths["test"])
    assert {"weight_pb", "sample", "process", "is_signal", "event", "expected_events"} <= set(test_table.columns)


def test_tampered_training_split_is_detected(low_dataset, tmp_path):
    paths = split_paths_in(tmp_path, "low")
    save_dataset(low_dataset, paths, paths["meta"])
    table = pd.read_csv(paths["train"])
    table.loc[0, "x00"] += 1.0
    table.to_csv(paths["train"], index=False)
    with pytest.raises(FeatureError, match="hash"):
        load_dataset(paths, paths["meta"])


def test_background_split_does_not_depend_on_region(feature_table, feature_names):
    low = build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, seed=7, feature_names=feature_names)
    high = build_dataset(feature_table, "high", REGIONS["high"], LUMI_FB, seed=7, feature_names=feature_names)
    events = [set(d.test.frame.loc[d.test.frame["sample"] == "ttbar", "event"]) for d in (low, high)]
    assert events[0] == events[1] and len(events[0]) == 30


def test_prepare_dataset_from_csv(feature_table, feature_names, tmp_path):
    paths = []
    for sample, frame in feature_table.groupby("sample"):
        path = tmp_path / f"{sample}.csv.gz"
        frame.to_csv(path, index=False)
        paths.append(path)
    out = split_paths_in(tmp_path / "out", "high")
    dataset = prepare_dataset(paths, out, out["meta"], "high", REGIONS["high"], LUMI_FB, seed=1,
                              feature_names=feature_names)
    assert set(dataset.sample_names) == {"smuon_400_0", "smuon_500_100", "ttbar", "ww", "zz"}
    assert all(path.exists() for path in out.values())
    with pytest.raises(ConfigError, match="no model input features"):  # the analysis spec names them, always
        prepare_dataset(paths, out, out["meta"], "high", REGIONS["high"], LUMI_FB, seed=1)
    with pytest.raises(FeatureError, match="x99"):  # nothing is derived here: a missing input is an error
        prepare_dataset(paths, out, out["meta"], "high", REGIONS["high"], LUMI_FB, seed=1,
                        feature_names=[*feature_names, "x99"])


def test_nan_feature_names_column_and_sample(feature_table, feature_names):
    broken = feature_table.copy()
    broken.loc[broken["sample"] == "ww", "x05"] = np.inf
    first = broken.loc[broken["sample"] == "ww"].iloc[0]
    ident = "/".join(str(first[c]) for c in ("sample", "chunk", "event") if c in broken.columns)
    with pytest.raises(FeatureError, match=rf"x05.*ww.*first events \(sample.*event\): \['{ident}'"):
        build_dataset(broken, "low", REGIONS["low"], LUMI_FB, seed=1, feature_names=feature_names)


def test_missing_feature_column(feature_table, feature_names):
    with pytest.raises(FeatureError, match="not_a_feature"):
        build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, 1, feature_names=[*feature_names, "not_a_feature"])


def test_empty_region_names_region(feature_table, feature_names):
    with pytest.raises(EmptySelectionError, match="'nowhere'"):
        build_dataset(feature_table, "nowhere", [1000.0, 2000.0], LUMI_FB, 1, feature_names=feature_names)


def test_bad_region_bounds(feature_table, feature_names):
    with pytest.raises(ConfigError, match="mid"):
        build_dataset(feature_table, "mid", [300.0, 200.0], LUMI_FB, 1, feature_names=feature_names)


def test_real_feature_list_with_add_derived(tmp_path):
    """The smuon model inputs FEATURES + DERIVED (37), derived columns as the selection writes them."""
    from susyscan.analyses.smuon import SPEC
    from susyscan.analyses.smuon.derived import DERIVED, add_derived
    from susyscan.analysis.features import FEATURES
    from susyscan.training.synthetic import synthetic_feature_table

    table = synthetic_feature_table(n_per_sample=60, seed=1, feature_names=list(FEATURES))
    table[list(FEATURES)] = table[list(FEATURES)].abs() * 50.0
    dataset = build_dataset(add_derived(table), "low", REGIONS["low"], LUMI_FB, seed=1,
                            feature_names=SPEC.model_inputs)
    assert dataset.feature_names == list(FEATURES) + list(DERIVED)
    assert dataset.train.X.shape[1] == 37


def _block_tables(directory, n_per_sample=60):
    """Synthetic feature tables as .npz event tables with a [N, 3, 2] block whose entries encode each row's
    (sample, event), so that a split's block rows can be checked against its frame."""
    from susyscan.training.eventtable import EventTable, write_table
    from susyscan.training.synthetic import synthetic_feature_table

    frame = synthetic_feature_table(n_per_sample=n_per_sample, n_features=4, seed=2)
    paths = []
    for name, rows in frame.groupby("sample", sort=True):
        key = _row_key(rows)
        block = np.stack([key, -key], axis=1)[:, None, :].repeat(3, axis=1).astype(np.float64)
        path = directory / f"{name}.npz"
        write_table(EventTable({c: rows[c].to_numpy() for c in rows.columns}, {"slots": block}, {"slots": ["a", "b"]}),
                    path)
        paths.append(path)
    return frame, paths


def _row_key(frame):
    samples = sorted(["smuon_150_0", "smuon_200_50", "smuon_400_0", "smuon_500_100", "ttbar", "ww", "zz"])
    return frame["sample"].map(samples.index).to_numpy() * 1000.0 + frame["event"].to_numpy()


def test_array_blocks_follow_their_rows_through_the_kfold_dataset(tmp_path):
    frame, inputs = _block_tables(tmp_path)
    names = ["x00", "x01", "x02", "x03"]
    paths = split_paths_in(tmp_path / "ds", "low", fold=1, suffix=".npz")
    built = prepare_dataset(inputs, paths, paths["meta"], "low", [0.0, 300.0], LUMI_FB, 7, feature_names=names,
                            kfold=3, fold=1)
    plain = build_dataset(frame, "low", [0.0, 300.0], LUMI_FB, 7, feature_names=names, kfold=3, fold=1)
    loaded = load_dataset(paths, paths["meta"])
    assert loaded.info["blocks"] == {"slots": {"shape": [3, 2], "fields": ["a", "b"]}}
    for split in ("train", "val", "test", "heldout"):
        for dataset in (built, loaded):
            part = getattr(dataset, split)
            assert part.blocks["slots"].shape == (len(part.y), 3, 2) and len(part.y) > 0
            assert np.array_equal(part.blocks["slots"][:, 2, 0], _row_key(part.frame)), split
        # the blocks do not change the scalar split tables
        pd.testing.assert_frame_equal(getattr(loaded, split).frame, getattr(plain, split).frame, check_dtype=False)
    with pytest.raises(FeatureError, match=r"fold1\.train\.csv\.gz: a CSV table holds columns only"):
        save_dataset(built, split_paths_in(tmp_path / "csv", "low", fold=1), tmp_path / "csv" / "meta.json")
    # the format follows the path (eventtable): a dataset without blocks may be stored as .npz and reads back equal
    npz_paths = split_paths_in(tmp_path / "npz", "low", fold=1, suffix=".npz")
    save_dataset(plain, npz_paths, npz_paths["meta"])
    reread = load_dataset(npz_paths, npz_paths["meta"])
    for split in ("train", "val", "test", "heldout"):
        pd.testing.assert_frame_equal(getattr(reread, split).frame, getattr(plain, split).frame, check_dtype=False)
        assert getattr(reread, split).blocks == {}


def test_changed_block_fails_the_training_data_hash(tmp_path):
    from susyscan.training.eventtable import EventTable, read_table, write_table

    _, inputs = _block_tables(tmp_path, n_per_sample=40)
    paths = split_paths_in(tmp_path / "ds", "low", suffix=".npz")
    prepare_dataset(inputs, paths, paths["meta"], "low", [0.0, 300.0], LUMI_FB, 7, feature_names=["x00", "x01"])
    train = read_table(paths["train"])
    changed = dict(train.blocks, slots=train.blocks["slots"] + 1.0)
    write_table(EventTable(train.columns, changed, train.fields), paths["train"])
    with pytest.raises(FeatureError, match="training data hash"):
        load_dataset(paths, paths["meta"])


def test_nan_in_a_block_names_block_and_sample(tmp_path):
    from susyscan.training.dataset import read_tables

    _, inputs = _block_tables(tmp_path, n_per_sample=20)
    table = read_tables(inputs)
    table.blocks["slots"][table.columns["sample"] == "ww", 1, 1] = np.nan
    with pytest.raises(FeatureError, match=r"block 'slots' has NaN/inf values in 20 events of sample\(s\) \['ww'\]"):
        build_dataset(table, "low", [0.0, 300.0], LUMI_FB, 7, feature_names=["x00"])


def test_mixed_input_formats_are_refused(tmp_path):
    from susyscan.training.dataset import read_tables

    frame, inputs = _block_tables(tmp_path, n_per_sample=10)
    csv = tmp_path / "zz.csv.gz"
    frame.loc[frame["sample"] == "zz"].to_csv(csv, index=False)
    with pytest.raises(FeatureError, match=r"mix \.npz event tables and CSV tables"):
        read_tables([*inputs[:2], csv])
    with pytest.raises(EmptySelectionError, match="no feature files"):
        read_tables([])


def test_single_fold_id_split_without_balancing(feature_table, feature_names, tmp_path):
    """kfold=1 keeps the input order, splits by id (splitting.split_by_id), keeps every event, and its held-out
    table is its test split (checked by load_heldout against the recorded ids)."""
    from susyscan.training.folds import event_ids
    from susyscan.training.splitting import split_by_id

    dataset = build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, 5, (0.6, 0.2, 0.2), feature_names,
                            kfold=1, fold=0, split_scheme="id", balance=False)
    region = feature_table.loc[(feature_table["is_signal"] == 0) | (feature_table["m_parent"] < 300.0)]
    labels = split_by_id(region["sample"].to_numpy(), event_ids(region), (0.6, 0.2, 0.2), 5)
    for index, split in enumerate(("train", "val", "test")):
        expected = region.loc[labels == index]
        got = getattr(dataset, split).frame
        assert list(zip(got["sample"], got["event"])) == list(zip(expected["sample"], expected["event"]))
    assert dataset.info["kfold"] == 1 and dataset.info["balance"] is False and dataset.info["split_scheme"] == "id"
    paths = split_paths_in(tmp_path, "low", fold=0)
    save_dataset(dataset, paths, paths["meta"])
    loaded = load_dataset(paths, paths["meta"])
    assert loaded.heldout is not None
    pd.testing.assert_frame_equal(loaded.heldout.frame, loaded.test.frame)
    with pytest.raises(ConfigError, match="split scheme 'hash'"):
        build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, 5, feature_names=feature_names, split_scheme="hash")
    with pytest.raises(ConfigError, match="kfold >= 1"):
        build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, 5, feature_names=feature_names, kfold=1, fold=1)


def test_chunk_tables_get_weight_pb_from_their_headers(tmp_path):
    """Chunk tables without weight_pb: gen_weight * xsec / summed weights of the sample's chunks given, xsec the
    sum-of-weights mean of the chunks' cross sections (the merged feature CSVs' convention, merge_features)."""
    from susyscan.training.dataset import chunk_weights_pb, read_tables
    from susyscan.training.eventtable import EventTable, write_table

    paths = []
    for chunk, (sumw, xsec) in enumerate(((4.0, 2.0), (6.0, 3.0))):
        gen = np.array([1.0, 2.0, -1.0])
        columns = {"sample": np.full(3, "ww"), "process": np.full(3, "ww"), "is_signal": np.zeros(3, np.int8),
                   "m_parent": np.zeros(3), "m_lsp": np.zeros(3), "chunk": np.full(3, chunk), "event": np.arange(3),
                   "gen_weight": gen}
        header = {"sample": "ww", "sum_weights": sumw, "xsec_pb": xsec}
        paths.append(tmp_path / f"chunk{chunk}.npz")
        write_table(EventTable(columns, {"b": np.ones((3, 2))}, metadata={"chunk_header": header, "mu": 0}), paths[-1])
    table = read_tables(paths)
    # xsec = (4 * 2 + 6 * 3) / 10 = 2.6 pb for both chunks (not each chunk's own 2 or 3 pb), summed weights 10
    np.testing.assert_allclose(table.columns["weight_pb"], [0.26, 0.52, -0.26, 0.26, 0.52, -0.26], rtol=1e-15)
    assert table.metadata == {"mu": 0}  # the per-chunk header differs between the tables: not shared
    bad = EventTable({"sample": np.full(1, "zz"), "gen_weight": np.ones(1)}, metadata={"chunk_header": {}}, source="x")
    with pytest.raises(FeatureError, match=r"x: no weight_pb column.*missing \['sample', 'sum_weights', 'xsec_pb'\]"):
        chunk_weights_pb([bad])


def test_csv_inputs_read_as_one_frame_equal_to_the_event_table_route(feature_table, tmp_path):
    """read_tables concatenates the frames pandas reads from the merged feature CSVs (no EventTable in between):
    the same frame, dtypes included, as the former route through read_table(...).frame(); a file without the
    meta columns is an error naming it."""
    from susyscan.training.dataset import read_tables
    from susyscan.training.eventtable import read_table

    paths = []
    for sample, frame in feature_table.groupby("sample"):
        paths.append(tmp_path / f"{sample}.csv.gz")
        frame.to_csv(paths[-1], index=False)
    expected = pd.concat([read_table(path).frame() for path in paths], ignore_index=True)
    pd.testing.assert_frame_equal(read_tables(paths), expected, check_exact=True)
    feature_table.drop(columns="process").to_csv(tmp_path / "bad.csv.gz", index=False)
    with pytest.raises(FeatureError, match=r"bad\.csv\.gz: missing columns \['process'\]"):
        read_tables([tmp_path / "bad.csv.gz"])
