"""An event file where no event passes the preselection, followed through every later stage.

An empty grid point is legitimate (zero signal yield, CLs = 1); an empty training region is an error
naming the region; nothing may turn into NaN along the way.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.merge import merge_features
from susyscan.analysis.select import select_features
from susyscan.analysis.synthetic import random_events
from susyscan.analyses.smuon import SPEC as SMUON
from susyscan.errors import EmptySelectionError
from susyscan.scan.yields import compute_background_yields, compute_point_yields
from susyscan.stats.limits import compute_limits
from susyscan.training.dataset import prepare_dataset

MODEL_FEATURES = SMUON.model_inputs


@pytest.fixture
def empty_point(tmp_path: Path, event_file_writer, smuon_cfg: AnalysisConfig) -> dict[str, Path]:
    """Signal point (300, 100) whose events all have MET = 0: nothing passes 'basic_met'."""
    events = random_events(400, seed=21)
    events = ak.with_field(events, np.zeros(400, dtype=np.float32), "met")
    path = event_file_writer(tmp_path / "smuon_300_100.root", events, sample="smuon_300_100", signal=True)
    features, cutflow = tmp_path / "chunk0.csv.gz", tmp_path / "chunk0.cutflow.json"
    record = select_features(path, smuon_cfg, features, cutflow, spec=SMUON)
    merged = tmp_path / "smuon_300_100.csv.gz"
    merge_features([features], [cutflow], merged)
    return {"features": features, "cutflow": cutflow, "merged": merged, "record": record}


def test_empty_selection_is_warned_not_fatal(empty_point: dict) -> None:
    record = empty_point["record"]
    assert record["cuts"][0]["n_raw"] == 400
    assert record["cuts"][1]["name"] == "basic_met" and record["cuts"][1]["n_raw"] == 0
    assert any("empty selection" in w for w in record["warnings"])
    assert any("basic_met" in w for w in record["warnings"])
    merged = pd.read_csv(empty_point["merged"])
    assert merged.empty and "weight_pb" in merged.columns


def test_empty_point_scans_to_zero_and_cls_one(tmp_path: Path, empty_point: dict, merged_features: dict[str, Path],
                                               onnx_writer, scan_regions) -> None:
    from susyscan.analyses.smuon.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    regions = scan_regions(onnx_writer(tmp_path / "m.onnx", FEATURES + DERIVED))
    with pytest.raises(EmptySelectionError, match="smuon_300_100.csv.gz"):
        compute_point_yields(empty_point["merged"], tmp_path / "no_masses.csv", regions, feature_names=MODEL_FEATURES)
    assert not (tmp_path / "no_masses.csv").exists()

    yields = compute_point_yields(empty_point["merged"], tmp_path / "yields.csv", regions, masses=(300.0, 100.0),
                                  feature_names=MODEL_FEATURES)
    assert (yields["yield_pb"] == 0).all() and (yields["n_raw"] == 0).all()
    assert (yields["m_parent"] == 300.0).all() and (yields["m_lsp"] == 100.0).all()
    compute_background_yields([merged_features["ttbar"]], tmp_path / "bkg.csv", regions, feature_names=MODEL_FEATURES)
    cls = compute_limits([tmp_path / "yields.csv"], tmp_path / "bkg.csv", tmp_path / "cls.csv", [139.0],
                         {"optimistic": 0.0, "pessimistic": 0.2}, upper_limits=False)
    assert len(cls) > 0
    assert (cls["cls_exp"] == 1.0).all()
    assert np.isfinite(cls[["cls_exp", "cls_exp_m2", "cls_exp_p2"]].to_numpy(dtype=float)).all()


def test_empty_point_in_training_region_is_an_error(tmp_path: Path, empty_point: dict,
                                                     merged_features: dict[str, Path], files_in) -> None:
    out = tmp_path / "ds"
    split_paths = {split: out / f"high.{split}.csv.gz" for split in ("train", "val", "test")}
    with pytest.raises(EmptySelectionError, match="'high'"):
        prepare_dataset([merged_features["ttbar"], empty_point["merged"]], split_paths, out / "high.json",
                        "high", [250.0, 100000.0], 139.0, seed=1, feature_names=MODEL_FEATURES)
    assert not out.exists() or files_in(out) == []
