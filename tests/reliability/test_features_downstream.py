"""Bad feature tables flowing into dataset preparation and the scan, and mismatched ONNX models.

Feature tables here are real merged CSVs made from event files (fixture ``merged_features``), then
damaged the way a hand-edited or foreign file would be. Every failure must name the column/sample/file
and leave no output behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.smuon import SPEC as SMUON
from susyscan.errors import EventFileError, FeatureError, ModelMetadataError
from susyscan.scan.yields import compute_background_yields, compute_point_yields
from susyscan.training.dataset import prepare_dataset

HIGH = [250.0, 100000.0]

MODEL_FEATURES = SMUON.model_inputs


def _prepare(features: list[Path], out: Path) -> None:
    split_paths = {split: out / f"high.{split}.csv.gz" for split in ("train", "val", "test")}
    prepare_dataset(features, split_paths, out / "high.json", "high", HIGH, 139.0, seed=1, feature_names=MODEL_FEATURES)


def _damaged(src: Path, dst: Path, column: str, value: object, rows: slice = slice(3, 5)) -> Path:
    frame = pd.read_csv(src)
    frame[column] = frame[column].astype(object)
    frame.loc[frame.index[rows], column] = value
    frame.to_csv(dst, index=False, compression="gzip")
    return dst


def test_clean_tables_prepare_and_scan(tmp_path: Path, merged_features: dict[str, Path], onnx_writer,
                                       scan_regions) -> None:
    """The undamaged tables go through (so the failures below are caused by the damage)."""
    _prepare([merged_features["ttbar"], merged_features["smuon_300_100"]], tmp_path / "ds")
    assert (tmp_path / "ds/high.train.csv.gz").exists()
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    model = onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED)
    table = compute_point_yields(merged_features["smuon_300_100"], tmp_path / "y.csv", scan_regions(model),
                                 feature_names=MODEL_FEATURES)
    assert (table["yield_pb"] > 0).all()


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, "abc"])
def test_nonfinite_feature_into_training(tmp_path: Path, merged_features: dict[str, Path], files_in,
                                         value: object) -> None:
    bad = _damaged(merged_features["ttbar"], tmp_path / "ttbar.csv.gz", "mt2", value)
    out = tmp_path / "ds"
    with pytest.raises(FeatureError, match=r"'mt2'.*ttbar"):
        _prepare([bad, merged_features["smuon_300_100"]], out)
    assert not out.exists() or files_in(out) == []


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nonfinite_feature_into_scan(tmp_path: Path, merged_features: dict[str, Path], onnx_writer, scan_regions,
                                     value: float) -> None:
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    model = onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED)
    bad = _damaged(merged_features["smuon_300_100"], tmp_path / "point.csv.gz", "mu1_pt", value)
    with pytest.raises(FeatureError, match=r"point.csv.gz.*mu1_pt"):
        compute_point_yields(bad, tmp_path / "yields.csv", scan_regions(model), feature_names=MODEL_FEATURES)
    assert not (tmp_path / "yields.csv").exists()
    bad_background = _damaged(merged_features["ttbar"], tmp_path / "ttbar.csv.gz", "mu1_pt", value)
    with pytest.raises(FeatureError, match=r"ttbar.csv.gz.*mu1_pt"):
        compute_background_yields([bad_background], tmp_path / "bkg.csv", scan_regions(model),
                                  feature_names=MODEL_FEATURES)
    assert not (tmp_path / "bkg.csv").exists()


@pytest.mark.parametrize("column", ["met", "mt2", "mu2_eta"])
def test_missing_feature_column(tmp_path: Path, merged_features: dict[str, Path], onnx_writer, scan_regions,
                                files_in, column: str) -> None:
    """A feature table from an older analysis version lacks a column: both stages name it, not a KeyError."""
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    for name in ("ttbar", "smuon_300_100"):
        pd.read_csv(merged_features[name]).drop(columns=column).to_csv(tmp_path / f"{name}.csv.gz", index=False)
    out = tmp_path / "ds"
    with pytest.raises(FeatureError, match=column):
        _prepare([tmp_path / "ttbar.csv.gz", tmp_path / "smuon_300_100.csv.gz"], out)
    assert not out.exists() or files_in(out) == []
    model = onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED)
    with pytest.raises(FeatureError, match=rf"smuon_300_100.csv.gz.*{column}"):
        compute_point_yields(tmp_path / "smuon_300_100.csv.gz", tmp_path / "yields.csv", scan_regions(model),
                             feature_names=MODEL_FEATURES)
    assert not (tmp_path / "yields.csv").exists()


def test_onnx_feature_list_mismatch_in_scan(tmp_path: Path, merged_features: dict[str, Path], onnx_writer,
                                            scan_regions) -> None:
    """Models exported by an older version (no derived features) or with reordered inputs are refused."""
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    old = onnx_writer(tmp_path / "old.onnx", FEATURES)
    swapped = FEATURES + DERIVED
    swapped[0], swapped[1] = swapped[1], swapped[0]
    reordered = onnx_writer(tmp_path / "reordered.onnx", swapped)
    for model, detail in ((old, "lengths differ"), (reordered, "position 0")):
        with pytest.raises(ModelMetadataError, match=rf"{model.name}.*{detail}"):
            compute_point_yields(merged_features["smuon_300_100"], tmp_path / "yields.csv", scan_regions(model),
                                 feature_names=MODEL_FEATURES)
        assert not (tmp_path / "yields.csv").exists()
        with pytest.raises(ModelMetadataError, match=model.name):
            compute_background_yields([merged_features["ttbar"]], tmp_path / "bkg.csv", scan_regions(model),
                                      feature_names=MODEL_FEATURES)
        assert not (tmp_path / "bkg.csv").exists()


def test_onnx_without_metadata_in_scan(tmp_path: Path, merged_features: dict[str, Path], onnx_writer,
                                       scan_regions) -> None:
    import onnx

    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    model_path = onnx_writer(tmp_path / "bare.onnx", FEATURES + DERIVED)
    model = onnx.load(str(model_path))
    del model.metadata_props[:]
    onnx.save(model, str(model_path))
    with pytest.raises(ModelMetadataError, match=r"bare.onnx.*feature_names"):
        compute_point_yields(merged_features["smuon_300_100"], tmp_path / "yields.csv", scan_regions(model_path),
                             feature_names=MODEL_FEATURES)
    assert not (tmp_path / "yields.csv").exists()


def test_negative_weights_flow_into_training_and_scan(tmp_path: Path, merged_features: dict[str, Path],
                                                      onnx_writer, scan_regions) -> None:
    """Negative weight_pb rows are neither dropped by the dataset preparation nor by the yields."""
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    frame = pd.read_csv(merged_features["ttbar"])
    negative = np.arange(len(frame)) % 3 == 0
    frame.loc[negative, "weight_pb"] *= -1.0
    frame.to_csv(tmp_path / "ttbar.csv.gz", index=False, compression="gzip")
    out = tmp_path / "ds"
    _prepare([tmp_path / "ttbar.csv.gz", merged_features["smuon_300_100"]], out)
    splits = pd.concat([pd.read_csv(out / f"high.{s}.csv.gz") for s in ("train", "val", "test")])
    background = splits[splits["is_signal"] == 0]
    assert len(background) == len(frame)
    assert (background["weight_pb"] < 0).sum() == negative.sum()

    model = onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED, slope=0.0, offset=10.0)  # every event passes
    table = compute_background_yields([tmp_path / "ttbar.csv.gz"], tmp_path / "bkg.csv", scan_regions(model),
                                      feature_names=MODEL_FEATURES)
    nn = table[(table["region"] == "NN high") & (table["process"] == "total")]
    assert float(nn["yield_pb"].iloc[0]) == pytest.approx(frame["weight_pb"].sum(), rel=1e-6)


def test_negative_background_total_is_floored_in_limits(tmp_path: Path, merged_features: dict[str, Path],
                                                       onnx_writer, scan_regions) -> None:
    """A region whose summed background is negative (NLO weights, few events) must not reach pyhf as is."""
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES
    from susyscan.stats.limits import compute_limits

    regions = scan_regions(onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED))
    compute_point_yields(merged_features["smuon_300_100"], tmp_path / "point.csv", regions,
                         feature_names=MODEL_FEATURES)
    background = compute_background_yields([merged_features["ttbar"]], tmp_path / "bkg.csv", regions,
                                           feature_names=MODEL_FEATURES)
    background.loc[background["region"] == "NN high", "yield_pb"] = -0.01
    background.to_csv(tmp_path / "bkg.csv", index=False)
    cls = compute_limits([tmp_path / "point.csv"], tmp_path / "bkg.csv", tmp_path / "cls.csv", [139.0],
                         {"optimistic": 0.0, "pessimistic": 0.2}, upper_limits=False)
    rows = cls[cls["region"] == "NN high"]
    assert len(rows) == 2
    assert (rows["bkg_events"] < 0).all()  # reported as given ...
    assert rows["bkg_zero_mc"].all() and (rows["bkg_fit_events"] > 0).all()  # ... but replaced in the fit
    assert rows["note"].str.contains("zero background MC").all()  # by the documented zero-MC bound
    assert ((rows["cls_exp"] >= 0) & (rows["cls_exp"] <= 1)).all()


@pytest.mark.parametrize("damage", ["truncated", "not_gzip"])
def test_unreadable_feature_table(tmp_path: Path, merged_features: dict[str, Path], onnx_writer, scan_regions,
                                  files_in, damage: str) -> None:
    """A feature CSV cut short (full disk, killed copy) or replaced by junk: named, not an EOFError."""
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    data = merged_features["smuon_300_100"].read_bytes()
    bad = tmp_path / "smuon_300_100.csv.gz"
    bad.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"\x1f\x8b\x08 junk" * 100)
    out = tmp_path / "ds"
    # the dataset stage reads through the shared event-table container (training.eventtable): its file error
    with pytest.raises(EventFileError, match="smuon_300_100.csv.gz.*cannot read"):
        _prepare([merged_features["ttbar"], bad], out)
    assert not out.exists() or files_in(out) == []
    model = onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED)
    with pytest.raises(FeatureError, match="smuon_300_100.csv.gz.*cannot read"):
        compute_point_yields(bad, tmp_path / "yields.csv", scan_regions(model), feature_names=MODEL_FEATURES)
    assert not (tmp_path / "yields.csv").exists()
