"""Each overlap-removal step and their order."""

from __future__ import annotations

import awkward as ak

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.objects import select_objects
from susyscan.analysis.overlap import isolated_from, remove_overlaps
from susyscan.analysis.synthetic import build_events


def _run(cfg: AnalysisConfig, event: dict) -> dict[str, list[list[float]]]:
    objs = remove_overlaps(select_objects(build_events([event]), cfg), cfg.overlap)
    return {k: [[round(v, 2) for v in row] for row in ak.to_list(v.pt)] for k, v in objs.items()}


def mu(pt: float, eta: float, phi: float) -> dict:
    return {"pt": pt, "eta": eta, "phi": phi, "charge": 1, "iso": 0.0}


def jet(pt: float, eta: float, phi: float) -> dict:
    return {"pt": pt, "eta": eta, "phi": phi}


def test_isolated_from_with_empty_others_keeps_everything() -> None:
    targets = ak.Array([[{"eta": 0.0, "phi": 0.0}], []])
    others = ak.Array([[], [{"eta": 0.0, "phi": 0.0}]])
    assert ak.to_list(isolated_from(targets, others, 0.4)) == [[True], []]


def test_step1_jets_near_muons_and_photons(cfg: AnalysisConfig) -> None:
    dr = cfg.overlap.jet_muon_photon_dr
    event = {"muon": [mu(50, 0.0, 0.0)], "photon": [{"pt": 40, "eta": 1.0, "phi": 2.0}],
             "largejet": [jet(100, 0.0, dr - 0.05), jet(90, 0.0, dr + 0.05), jet(80, 1.0 + dr - 0.05, 2.0),
                          jet(70, 0.0, 3.14)]}
    out = _run(cfg, event)
    assert out["jet"] == [[90.0, 70.0]]
    assert out["muon"] == [[50.0]] and out["photon"] == [[40.0]]  # muons/photons untouched by step 1


def test_step1_uses_wrapped_delta_phi(cfg: AnalysisConfig) -> None:
    event = {"muon": [mu(50, 0.0, 3.10)], "largejet": [jet(100, 0.0, -3.10)]}  # dR = 0.083
    assert _run(cfg, event)["jet"] == [[]]


def test_step2_jets_near_electrons_and_taus(cfg: AnalysisConfig) -> None:
    dr = cfg.overlap.jet_electron_tau_dr
    event = {"electron": [{"pt": 30, "eta": 0.0, "phi": 0.0, "iso": 0.0}],
             "tau": [{"pt": 40, "eta": -1.0, "phi": -2.0}],
             "largejet": [jet(100, dr - 0.05, 0.0), jet(90, -1.0, -2.0 + dr - 0.05), jet(80, 2.0, 2.0)]}
    out = _run(cfg, event)
    assert out["jet"] == [[80.0]]
    assert out["electron"] == [[30.0]] and out["tau"] == [[40.0]]


def test_step3_electrons_near_surviving_jets_only(cfg: AnalysisConfig) -> None:
    # jet A at dR 0.1 of electron 1 is removed (step 2) and so cannot remove electron 1;
    # electron 2 at dR 0.3 of jet B (kept: 0.3 > jet_electron_tau_dr) is removed in step 3.
    assert cfg.overlap.jet_electron_tau_dr < 0.3 < cfg.overlap.electron_jet_dr
    event = {"electron": [{"pt": 60, "eta": 0.0, "phi": 0.0, "iso": 0.0},
                          {"pt": 30, "eta": 1.0, "phi": 2.3, "iso": 0.0}],
             "largejet": [jet(100, 0.1, 0.0), jet(90, 1.0, 2.0)]}
    out = _run(cfg, event)
    assert out["jet"] == [[90.0]]
    assert out["electron"] == [[60.0]]


def test_step4_photons_near_electrons_and_muons(cfg: AnalysisConfig) -> None:
    dr = cfg.overlap.photon_lepton_dr
    event = {"muon": [mu(50, 0.0, 0.0)],
             "electron": [{"pt": 30, "eta": 1.5, "phi": 1.5, "iso": 0.0},     # survives
                          {"pt": 25, "eta": -1.5, "phi": -1.5, "iso": 0.0}],  # removed by a jet in step 3
             "largejet": [jet(100, -1.5, -1.5 + 0.3)],
             "photon": [{"pt": 80, "eta": dr - 0.1, "phi": 0.0, "iso": 0.0},     # near muon: removed
                        {"pt": 70, "eta": 1.5, "phi": 1.5 + 0.1, "iso": 0.0},    # near electron: removed
                        {"pt": 60, "eta": -1.5, "phi": -1.5 - 0.15, "iso": 0.0},  # near removed electron: kept
                        {"pt": 50, "eta": 2.0, "phi": -3.0, "iso": 0.0}]}        # isolated: kept
    out = _run(cfg, event)
    assert out["electron"] == [[30.0]]
    assert out["photon"] == [[60.0, 50.0]]
