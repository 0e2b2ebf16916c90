"""Static and dynamic jet-veto baselines."""

from __future__ import annotations

import numpy as np

from susyscan.analysis.config import AnalysisConfig
from susyscan.analyses.smuon.derived import DERIVED, add_derived
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import build_events, dimuon_record, random_events, synthetic_metadata


STATIC_VETO = "sr_static_jet_veto"
DYNAMIC_VETOES = [f"sr_dynamic_veto_{i}" for i in range(1, 7)]


def _flags(cfg: AnalysisConfig, jets: list[dict]) -> dict[str, int]:
    frame, _ = analyse_events(build_events([dimuon_record(largejet=jets)]), synthetic_metadata(n_events=1), cfg)
    return {name: int(frame[name].iloc[0]) for name in [STATIC_VETO, *DYNAMIC_VETOES]}


def _jet(pt: float, phi: float = -2.0) -> dict:
    return {"pt": pt, "eta": 1.2, "phi": phi}


def test_regions_declared(cfg: AnalysisConfig) -> None:
    assert [r.column for r in cfg.baselines] == [STATIC_VETO, *DYNAMIC_VETOES]
    assert [r.label for r in cfg.baselines] == ["Static jet veto", *(f"Dynamic veto {i}" for i in range(1, 7))]


def test_no_jets_passes_everything(cfg: AnalysisConfig) -> None:
    assert set(_flags(cfg, []).values()) == {1}


def test_static_veto_threshold(cfg: AnalysisConfig) -> None:
    assert _flags(cfg, [_jet(22.0)])[STATIC_VETO] == 1  # selected jet (> 20 GeV) below the 25 GeV veto
    assert _flags(cfg, [_jet(30.0)])[STATIC_VETO] == 0


def test_dynamic_vetoes_ordering(cfg: AnalysisConfig) -> None:
    # muons 200 + 150 GeV, MET 300: S_T = 350, S_T + MET = 650
    f = _flags(cfg, [_jet(250.0)])  # pT(j1) > pT(mu1) only
    assert [f[f"sr_dynamic_veto_{i}"] for i in range(1, 7)] == [0, 1, 1, 0, 1, 1]
    f = _flags(cfg, [_jet(180.0), _jet(190.0, phi=-1.0)])  # HT = 370 > S_T, jets < pT(mu1)
    assert [f[f"sr_dynamic_veto_{i}"] for i in range(1, 7)] == [1, 1, 1, 0, 0, 1]
    f = _flags(cfg, [_jet(700.0)])
    assert [f[f"sr_dynamic_veto_{i}"] for i in range(1, 7)] == [0, 0, 0, 0, 0, 0]


def test_dynamic_vetoes_agree_with_derived_ratios(cfg: AnalysisConfig) -> None:
    frame, _ = analyse_events(random_events(10000, seed=11), synthetic_metadata(n_events=10000), cfg)
    frame = add_derived(frame[frame["n_electrons"] == 0])  # derived sums include electrons, vetoes muons only
    comparison = (np.abs(frame["mll"] - 91.1876) > 15.0).to_numpy()
    assert len(frame) > 30
    for i, ratio in enumerate(DERIVED[4:], start=1):
        expected = (frame[ratio] <= 1.0).to_numpy() & comparison
        np.testing.assert_array_equal(frame[f"sr_dynamic_veto_{i}"].to_numpy() == 1, expected, err_msg=ratio)
