"""Each preselection cut on hand-built events, cumulative weighted cutflow, comparison-only cuts."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import build_events, synthetic_metadata
from susyscan.analysis.synthetic import dimuon_record as dimuon_event


def _mu(pt: float, phi: float, charge: int, eta: float = 0.0, iso: float = 0.0) -> dict:
    return {"pt": pt, "eta": eta, "phi": phi, "charge": charge, "iso": iso}


def _run(cfg: AnalysisConfig, records: list[dict]):
    events = build_events(records)
    return analyse_events(events, synthetic_metadata(n_events=len(records), sum_weights=float(len(records))), cfg)


def _passes(cfg: AnalysisConfig, record: dict) -> dict[str, int]:
    """Cumulative n_raw per cut for a single event."""
    _, cutflow = _run(cfg, [record])
    return {row["name"]: row["n_raw"] for row in cutflow["cuts"]}


def test_reference_event_passes_everything(cfg: AnalysisConfig) -> None:
    counts = _passes(cfg, dimuon_event())
    assert all(v == 1 for v in counts.values()), counts


@pytest.mark.parametrize("record, first_failing", [
    (dimuon_event(met=100.0), "basic_met"),
    (dimuon_event(muon=[_mu(200, 0.0, 1)]), "two_isolated_muons"),
    (dimuon_event(muon=[_mu(200, 0.0, 1), _mu(150, 1.0, -1), _mu(30, 2.5, 1)]), "two_isolated_muons"),
    (dimuon_event(muon=[_mu(200, 0.0, 1), _mu(150, 1.0, -1), _mu(30, 2.5, 1, iso=0.5)]), None),  # 3rd not isolated
    (dimuon_event(muon=[_mu(200, 0.0, 1), _mu(150, 1.0, 1)]), "opposite_charge"),
    (dimuon_event(muon=[_mu(45, 0.0, 1), _mu(30, 1.0, -1)]), "muon_pt"),
    (dimuon_event(muon=[_mu(200, 0.0, 1), _mu(19, 1.0, -1)]), "muon_pt"),
    (dimuon_event(met=150.0, met_phi=0.5), "mt2_cut"),                                    # MET inside visible cone
    (dimuon_event(muon=[_mu(200, 0.0, 1, eta=0.0), _mu(150, 1.0, -1, eta=0.0)], met=300.0, met_phi=3.6,
                  electron=[{"pt": 20, "eta": 2.0, "phi": -1.0, "iso": 0.0}]), "lepton_veto"),
])
def test_each_cut(cfg: AnalysisConfig, record: dict, first_failing: str | None) -> None:
    counts = _passes(cfg, record)
    names = list(counts)
    expected = {n: int(first_failing is None or names.index(n) < names.index(first_failing)) for n in names}
    assert counts == expected


def test_z_veto_is_comparison_only(cfg: AnalysisConfig) -> None:
    # m_ll = 91 GeV (equal eta, dphi from m^2 = 2 pT1 pT2 (1 - cos dphi)): fails z_veto only
    dphi = float(np.arccos(1.0 - 91.0**2 / (2 * 200.0 * 150.0)))
    z_like = dimuon_event(muon=[_mu(200, 0.0, 1), _mu(150, dphi, -1)])
    frame, cutflow = _run(cfg, [z_like])
    counts = {row["name"]: row["n_raw"] for row in cutflow["cuts"]}
    assert np.isclose(frame["mll"].iloc[0], 91.0, atol=1e-3)
    assert counts["mt2_cut"] == 1 and counts["z_veto"] == 0
    assert len(frame) == 1  # still in the feature dataset
    assert frame[[c for c in frame.columns if c.startswith("sr_")]].to_numpy().sum() == 0
    assert [c.name for c in cfg.cuts if c.for_comparison_only] == ["z_veto", "lepton_veto"]


def test_comparison_cut_does_not_remove_feature_rows(cfg: AnalysisConfig) -> None:
    with_electron = dimuon_event(electron=[{"pt": 20, "eta": 2.0, "phi": -1.0, "iso": 0.0}])
    frame, cutflow = _run(cfg, [dimuon_event(), with_electron])
    assert len(frame) == 2
    assert cutflow["cuts"][-1]["name"] == "lepton_veto" and cutflow["cuts"][-1]["n_raw"] == 1
    assert frame["n_electrons"].tolist() == [0.0, 1.0]
    assert frame["sr_static_jet_veto"].tolist() == [1, 0]  # baselines include comparison cuts


def test_weighted_counts_and_negative_weight_warning(cfg: AnalysisConfig) -> None:
    records = [dimuon_event(weight=2.0), dimuon_event(weight=-0.5), dimuon_event(weight=3.0, met=50.0)]
    frame, cutflow = _run(cfg, records)
    initial, basic = cutflow["cuts"][0], cutflow["cuts"][1]
    assert (initial["n_raw"], initial["sumw"], initial["sumw2"]) == (3, 4.5, 4.0 + 0.25 + 9.0)
    assert (basic["n_raw"], basic["sumw"], basic["sumw2"]) == (2, 1.5, 4.25)
    assert frame["gen_weight"].tolist() == [2.0, -0.5]
    assert any("negative weight" in w for w in cutflow["warnings"])


def test_zero_events_after_a_cut_is_warned_with_cut_name(cfg: AnalysisConfig, caplog) -> None:
    frame, cutflow = _run(cfg, [dimuon_event(met=10.0)])
    assert frame.empty and list(frame.columns[:3]) == ["n_electrons", "n_muons", "n_jets"]
    assert any("basic_met" in w for w in cutflow["warnings"])
    assert any("empty selection" in w for w in cutflow["warnings"])
    assert "test_sample" in caplog.text and "basic_met" in caplog.text


def test_cutflow_weights_switch_at_a_cut() -> None:
    """``weights_from=(index, later)``: the rows before cut ``index`` (and 'initial') count ``weights``, the rows from
    it on ``later`` - in one pass, as the two plain passes joined at that row (the tau truth-tag P1 at n_taus == 1)."""
    from susyscan.analysis.config import Cut
    from susyscan.analysis.cuts import cutflow_counts

    cuts = [Cut(name=f"c{i}", label=f"cut {i}", expr="x > 0") for i in range(3)]
    masks = [np.array([1, 1, 1, 0], bool), np.array([1, 1, 0, 1], bool), np.array([1, 0, 1, 1], bool)]
    weights, later = np.array([1.0, 2.0, 4.0, 8.0]), np.array([0.5, 0.25, 3.0, -1.0])
    rows = cutflow_counts(cuts, masks, weights, weights_from=(1, later))
    joined = cutflow_counts(cuts, masks, weights)[:2] + cutflow_counts(cuts, masks, later)[2:]
    assert rows == joined
    assert [r.sumw for r in rows] == [15.0, 7.0, 0.75, 0.5] and [r.n_raw for r in rows] == [4, 3, 2, 1]
    assert cutflow_counts(cuts, masks, weights, weights_from=(3, later)) == cutflow_counts(cuts, masks, weights)
