"""Feature columns, sentinels, NaN handling and the CSV round trip of select_features."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import susyscan.analysis.select as select_module
from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.features import BOOKKEEPING_COLUMNS, FEATURES, SENTINEL
from susyscan.analysis.select import analyse_events, check_finite, select_features
from susyscan.analysis.synthetic import build_events, dimuon_record, random_events, synthetic_metadata
from susyscan.errors import EventFileError, FeatureError


def test_feature_list_contract() -> None:
    assert len(FEATURES) == 27 and len(set(FEATURES)) == 27
    assert FEATURES[:3] == ["n_electrons", "n_muons", "n_jets"]
    assert FEATURES[-6:] == ["mll", "mct", "mt2", "met", "ht", "met_phi"]


def test_columns_and_sentinels(cfg: AnalysisConfig) -> None:
    record = dimuon_record(largejet=[{"pt": 60.0, "eta": 1.5, "phi": -2.0}])
    frame, _ = analyse_events(build_events([record]), synthetic_metadata(n_events=1), cfg)
    regions = [r.column for r in cfg.baselines]
    assert list(frame.columns) == FEATURES + BOOKKEEPING_COLUMNS + regions
    row = frame.iloc[0]
    assert row["n_jets"] == 1 and np.isclose(row["jet1_pt"], 60.0) and np.isclose(row["ht"], 60.0)
    for name in ["jet2_pt", "jet2_eta", "jet2_phi"] + [f"ele{i}_{f}" for i in (1, 2) for f in ("pt", "eta", "phi")]:
        assert row[name] == SENTINEL, name
    assert np.isclose(row["mu1_pt"], 200.0) and np.isclose(row["mu2_phi"], 1.0)
    assert np.isclose(row["met"], 300.0) and np.isclose(row["met_phi"], 3.6, atol=1e-6)
    assert row["m_parent"] == -1.0 and row["is_signal"] == 0 and row["event"] == 0


def test_signal_masses_from_metadata(cfg: AnalysisConfig) -> None:
    meta = synthetic_metadata(sample="smuon_300_100", process="smuon", n_events=1,
                              masses={"m_smuon": 300, "m_neutralino": 100})
    frame, cutflow = analyse_events(build_events([dimuon_record()]), meta, cfg)
    assert (frame["is_signal"].iloc[0], frame["m_parent"].iloc[0], frame["m_lsp"].iloc[0]) == (1, 300.0, 100.0)
    assert cutflow["is_signal"] == 1
    bad = dict(meta, masses={"m_slepton": 300})
    with pytest.raises(EventFileError, match="smuon_300_100.*m_smuon"):
        analyse_events(build_events([dimuon_record()]), bad, cfg)


def test_nan_in_a_feature_is_an_error_naming_column_and_sample(cfg: AnalysisConfig) -> None:
    record = dimuon_record(largejet=[{"pt": 60.0, "eta": float("nan"), "phi": 0.0}])
    record["largejet"][0]["eta"] = 0.5
    events = build_events([record])
    frame, _ = analyse_events(events, synthetic_metadata(n_events=1), cfg)
    frame.loc[0, "jet1_phi"] = np.inf
    with pytest.raises(FeatureError, match="sample zz_1.*jet1_phi"):
        check_finite(frame, FEATURES, "sample zz_1 chunk 0")
    nan_muon = dimuon_record()
    nan_muon["muon"][1]["phi"] = float("nan")
    with pytest.raises(FeatureError, match="sample ww.*'mu2_phi'"):
        analyse_events(build_events([nan_muon]), synthetic_metadata(sample="ww", n_events=1), cfg)


def test_missing_metadata_is_an_error(cfg: AnalysisConfig) -> None:
    meta = synthetic_metadata(n_events=1)
    del meta["xsec_pb"]
    with pytest.raises(EventFileError, match="xsec_pb"):
        analyse_events(build_events([dimuon_record()]), meta, cfg)


def test_select_features_round_trip_and_determinism(cfg: AnalysisConfig, tmp_path: Path, monkeypatch) -> None:
    events = random_events(3000, seed=5)
    meta = synthetic_metadata(sample="ttbar", n_events=3000, chunk=2)
    monkeypatch.setattr(select_module, "read_event_file", lambda path: (events, meta))
    out_a, out_b = tmp_path / "a" / "chunk2.csv.gz", tmp_path / "b" / "chunk2.csv.gz"
    cutflow = select_features("ignored.root", cfg, out_a, tmp_path / "a" / "chunk2.cutflow.json")
    select_features("ignored.root", cfg, out_b, tmp_path / "b" / "chunk2.cutflow.json")
    assert out_a.read_bytes() == out_b.read_bytes()  # byte-identical reruns
    frame = pd.read_csv(out_a)
    in_memory, _ = analyse_events(events, meta, cfg)
    assert len(frame) == cutflow["cuts"][[c.name for c in cfg.cuts].index("mt2_cut") + 1]["n_raw"] > 0
    assert list(frame.columns) == list(in_memory.columns)
    np.testing.assert_allclose(frame[FEATURES].to_numpy(), in_memory[FEATURES].to_numpy(), rtol=1e-8)
    saved = json.loads((tmp_path / "a" / "chunk2.cutflow.json").read_text())
    assert saved["sum_weights"] == 3000.0 and saved["chunk"] == 2 and saved["cuts"][0]["name"] == "initial"
    assert not list(tmp_path.rglob("*.tmp"))
