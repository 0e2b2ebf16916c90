"""The stau preselection and cut-and-count regions on hand-made events (config/analyses/stau.yaml through the
shared YAML-cut selection), and the feature-table bookkeeping columns (process_class, jets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest

from susyscan.analyses import load_spec
from susyscan.analyses.stau import FEATURES_0J, FEATURES_1J, SPEC
from susyscan.analysis.config import load_analysis_config
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import build_events, synthetic_metadata
from susyscan.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
YAML = REPO / "config" / "analyses" / "stau.yaml"


def _event(lep: dict[str, Any] | None = None, tau_charge: int = 1, met: float = 70.0, extra_jet_btag: int = 0,
           electron: dict[str, Any] | None = None, prongs: int = 1, extra_jet: bool = True) -> dict[str, Any]:
    """A muon (35 GeV, phi 0), a tau (45 GeV, eta 0.5, phi 2.5) on its jet, MET at phi -1.5, a 55 GeV jet."""
    record: dict[str, Any] = {
        "muon": [lep if lep is not None else {"pt": 35.0, "eta": 0.0, "phi": 0.0, "charge": -1, "iso": 0.0}],
        "tau": [{"pt": 45.0, "eta": 0.5, "phi": 2.5, "charge": tau_charge}],
        "jet": [{"pt": 45.0, "eta": 0.5, "phi": 2.5, "mass": 1.2, "btag": 0}],
        "met": met, "met_phi": -1.5,
    }
    if extra_jet:
        record["jet"].append({"pt": 55.0, "eta": -1.0, "phi": -2.0, "mass": 8.0, "btag": extra_jet_btag})
    if electron is not None:
        record["electron"] = [electron]
    record["prongs"] = prongs
    return record


def _with_pfcands(records: list[dict[str, Any]]) -> ak.Array:
    """build_events plus charged PF candidates: ``prongs`` tracks inside the tau cone, one far away."""
    events = build_events(records)
    eta, phi, charge = [], [], []
    for r in records:
        tau = r["tau"][0]
        eta.append([tau["eta"] + 0.03 * i for i in range(r["prongs"])] + [-2.0])
        phi.append([tau["phi"] - 0.03 * i for i in range(r["prongs"])] + [1.0])
        charge.append([1] * r["prongs"] + [-1])
    for name, values in (("pfcand_eta", eta), ("pfcand_phi", phi), ("pfcand_charge", charge)):
        events = ak.with_field(events, ak.Array(values), name)
    return events


RECORDS = [
    _event(),                                                                       # 0: passes, in both regions' cuts but mT2
    _event(tau_charge=-1),                                                          # 1: same sign
    _event(lep={"pt": 25.0, "eta": 0.0, "phi": 0.0, "charge": -1, "iso": 0.0}),    # 2: lepton below 27 GeV
    _event(electron={"pt": 20.0, "eta": 1.0, "phi": 1.0, "charge": 1, "iso": 0.0}),  # 3: two leptons
    _event(met=40.0),                                                               # 4: MET below 50 GeV
    _event(extra_jet_btag=1),                                                       # 5: b-jet: preselected, no region
    _event(lep={"pt": 30.0, "eta": 0.4, "phi": 2.2, "charge": -1, "iso": 0.0}, prongs=3, extra_jet=False),  # 6
]


def _run(process: str = "w_lnu") -> tuple[Any, dict[str, Any]]:
    cfg = load_analysis_config(YAML)
    spec = load_spec(YAML)
    events = _with_pfcands(RECORDS)
    return analyse_events(events, synthetic_metadata("stau_wjets", process, n_events=len(RECORDS)), cfg, spec)


def test_spec_of_the_yaml_and_feature_lists() -> None:
    assert load_spec(YAML) is SPEC
    assert len(FEATURES_1J) == 67 and len(FEATURES_0J) == 50
    assert list(FEATURES_1J) == SPEC.model_inputs
    assert not any("jet" in name for name in FEATURES_0J if name != "n_bjets")


def test_cutflow_on_hand_made_events() -> None:
    frame, cutflow = _run()
    counts = [(c["name"], c["n_raw"]) for c in cutflow["cuts"]]
    assert counts == [("initial", 7), ("one_lepton", 6), ("lepton_pt", 5), ("one_tau", 5), ("opposite_sign", 4),
                      ("met_cut", 3), ("b_veto", 2)]
    # the b-veto is for the cut-and-count regions only: event 5 is in the feature table
    assert frame["event"].tolist() == [0, 5, 6]


def test_event_variables_regions_and_bookkeeping() -> None:
    frame, _ = _run()
    row = frame.set_index("event")
    assert row.loc[0, "lep1_flavour"] == 13 and row.loc[6, "lep1_flavour"] == 13
    assert row.loc[0, "tau1_nprong"] == 1 and row.loc[6, "tau1_nprong"] == 3
    assert row.loc[0, "tau1_mass"] == pytest.approx(1.2)        # mass of the jet the tau was tagged on
    # the tau's own jet is overlap-removed: one jet (55 GeV > 40) in events 0 and 5, none in event 6
    assert row["n_jets40"].tolist() == [1, 1, 0] and row["jets"].tolist() == [1, 1, 0]
    assert row["n_bjets"].tolist() == [0, 1, 0]
    assert row.loc[0, "jet1_pt"] == pytest.approx(55.0) and row.loc[6, "jet1_pt"] == -999.0
    assert set(row["process_class"]) == {"wjets"}
    assert set(row["met_tst"]) == {-999.0} and set(row["dphi_met_tst"]) == {-999.0}  # hand-made events: no TST
    # event 0: dphi 2.5 > 1, dR 2.55 < 3.2, mT sum 169 > 150, m(lep, tau) 77.9 > 75 -> in the region without mT2
    assert row["sr_cc_nomt2"].tolist() == [1, 0, 0]              # 5: b-jet; 6: dphi(lep, tau) = 0.3
    expected_hadhad = int(row.loc[0, "mt2_0"] > 70.0)
    assert row["sr_cc_hadhad"].tolist() == [expected_hadhad, 0, 0]


def test_unknown_process_has_no_class() -> None:
    with pytest.raises(ConfigError, match="process 'mystery'.*no network class"):
        _run("mystery")


def test_met_significance_is_object_based() -> None:
    frame, _ = _run()
    row = frame.set_index("event").loc[0]
    # sigma^2 = (0.03 * 35)^2 + (0.08 * 55)^2 + (0.08 * 45)^2 + 8.9^2 (lepton, jet, tau, soft term)
    sigma = np.sqrt((0.03 * 35) ** 2 + (0.08 * 55) ** 2 + (0.08 * 45) ** 2 + 8.9**2)
    assert row["met_significance"] == pytest.approx(70.0 / sigma, rel=1e-6)
