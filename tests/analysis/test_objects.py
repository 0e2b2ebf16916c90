"""Signal-object selection: pT, |eta| and relative-isolation requirements, jet collection choice."""

from __future__ import annotations

import dataclasses

import awkward as ak
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.objects import select_objects
from susyscan.analysis.synthetic import build_events
from susyscan.errors import EventFileError


def _pts(objs: ak.Array) -> list[list[float]]:
    return [[round(v, 3) for v in row] for row in ak.to_list(objs.pt)]


@pytest.mark.parametrize("kind, prefix", [("muon", "muon"), ("electron", "electron"), ("photon", "photon")])
def test_pt_eta_iso_requirements(cfg: AnalysisConfig, kind: str, prefix: str) -> None:
    cuts = cfg.objects[kind]
    objs = [
        {"pt": 50.0, "eta": 0.0, "phi": 0.0, "iso": 0.0},                                  # kept
        {"pt": cuts.pt_min - 1.0, "eta": 0.0, "phi": 1.0, "iso": 0.0},                    # too soft
        {"pt": 40.0, "eta": cuts.abs_eta_max + 0.05, "phi": 2.0, "iso": 0.0},             # too forward
        {"pt": 30.0, "eta": -1.0, "phi": 3.0, "iso": cuts.rel_iso_max + 0.01},            # not isolated
        {"pt": 25.0, "eta": -(cuts.abs_eta_max - 0.05), "phi": -1.0, "iso": cuts.rel_iso_max - 0.01},  # kept
    ]
    selected = select_objects(build_events([{prefix: objs}]), cfg)
    assert _pts(selected[kind]) == [[50.0, 25.0]]


def test_taus_have_no_isolation_requirement(cfg: AnalysisConfig) -> None:
    cuts = cfg.objects["tau"]
    taus = [{"pt": cuts.pt_min + 5, "eta": 0.0, "phi": 0.0}, {"pt": cuts.pt_min - 1, "eta": 0.0, "phi": 1.0}]
    assert _pts(select_objects(build_events([{"tau": taus}]), cfg)["tau"]) == [[cuts.pt_min + 5]]


def test_jets_come_from_the_configured_collection(cfg: AnalysisConfig) -> None:
    event = {"largejet": [{"pt": 100.0, "eta": 0.0, "phi": 0.0}, {"pt": 15.0, "eta": 0.0, "phi": 2.0},
                          {"pt": 60.0, "eta": 3.0, "phi": 1.0}],
             "jet": [{"pt": 77.0, "eta": 0.0, "phi": 0.0}]}
    assert cfg.jet_collection == "largejet"
    assert _pts(select_objects(build_events([event]), cfg)["jet"]) == [[100.0]]
    small = dataclasses.replace(cfg, jet_collection="jet")
    assert _pts(select_objects(build_events([event]), small)["jet"]) == [[77.0]]


def test_missing_branch_names_sample(cfg: AnalysisConfig) -> None:
    events = build_events([{}])
    events = ak.without_field(events, "muon_iso")
    with pytest.raises(EventFileError, match="sample smu1.*muon_iso"):
        select_objects(events, cfg, sample="smu1")
