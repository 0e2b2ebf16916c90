"""Selection cuts and cutflow on hand-built events."""

from __future__ import annotations

import pytest

from susyscan.errors import ConfigError, EventFileError
from susyscan.analyses.ewkino.config import ewkino_config_from_dict
from susyscan.analyses.ewkino.selection import select_events

from .conftest import CONFIG, events_from_lists, metadata

GOOD = {"jet_pt": [400.0], "jet_eta": [0.1], "jet_phi": [0.0], "met": 650.0, "met_phi": 3.0}  # meff = 1050


def hand_built():
    """Six events: index -> expected (preselected, baseline)."""
    records = [
        dict(GOOD, weight=1.0),                                                    # passes everything
        dict(GOOD, muon_pt=[15.0], muon_eta=[0.0], muon_phi=[1.0], muon_charge=[1], weight=2.0),  # lepton veto
        dict(GOOD, met=150.0, weight=3.0),                                         # MET cut
        dict(GOOD, jet_pt=[400, 90, 80, 70, 60], jet_eta=[0.0] * 5, jet_phi=[0, 1, 2, -1, -2], weight=4.0),  # 5 jets
        dict(GOOD, jet_pt=[400.0, 200.0], jet_eta=[0.0, 0.0], jet_phi=[0.0, 2.9], weight=5.0),  # jet2 along MET
        dict(GOOD, muon_pt=[5.0], muon_eta=[0.0], muon_phi=[1.0], muon_charge=[1], weight=6.0),  # soft muon: kept
    ]
    return events_from_lists(records)


def test_cuts_on_hand_built_events(cfg):
    presel, baseline, record = select_events(hand_built(), metadata("zjets", n=6), cfg)
    assert presel.tolist() == [True, False, False, False, True, True]
    assert baseline.tolist() == [True, False, False, False, False, True]
    rows = {r["name"]: r for r in record["cuts"]}
    assert [r["name"] for r in record["cuts"]][:5] == ["initial", "lepton_veto", "met", "leading_jet", "n_jets"]
    assert rows["initial"]["n_raw"] == 6 and rows["initial"]["sumw"] == pytest.approx(21.0)
    assert rows["lepton_veto"]["sumw"] == pytest.approx(19.0)
    assert rows["n_jets"]["n_raw"] == 3 and rows["n_jets"]["sumw"] == pytest.approx(12.0)
    assert rows["n_jets"]["sumw2"] == pytest.approx(1 + 25 + 36)
    assert rows["baseline_meff"]["sumw"] == pytest.approx(7.0)
    assert rows["baseline_dphi"]["for_comparison_only"] is True
    assert record["warnings"] == []


def test_empty_selection_warns(cfg):
    events = events_from_lists([dict(GOOD, met=100.0)])
    presel, _, record = select_events(events, metadata("zjets", n=1), cfg)
    assert not presel.any()
    assert any("met" in w for w in record["warnings"])


def test_missing_branch_and_metadata(cfg):
    events = hand_built()
    with pytest.raises(EventFileError, match="met_phi"):
        select_events(events[[f for f in events.fields if f != "met_phi"]], metadata("zjets"), cfg)
    bad = metadata("zjets")
    del bad["xsec_pb"]
    with pytest.raises(EventFileError, match="xsec_pb"):
        select_events(events, bad, cfg)


def test_config_rejects_bad_phi_reference():
    import yaml

    raw = yaml.safe_load(CONFIG.read_text())
    raw["inputs"]["phi_reference"] = "beam"
    with pytest.raises(ConfigError, match="phi_reference"):
        ewkino_config_from_dict(raw, "test")
    raw["inputs"]["phi_reference"] = "met"
    raw["cuts"][0]["typo"] = 1
    with pytest.raises(ConfigError, match=r"cuts\[0\] must have keys"):
        ewkino_config_from_dict(raw, "test")


def test_cuts_come_from_the_yaml_through_the_shared_evaluator(cfg):
    import yaml

    from susyscan.analyses.ewkino.config import CUT_VARIABLES
    from susyscan.analyses.ewkino.selection import event_variables

    assert set(event_variables(hand_built(), cfg)) == set(CUT_VARIABLES)
    raw = yaml.safe_load(CONFIG.read_text())
    assert [c["name"] for c in raw["cuts"]] == [c.name for c in cfg.cuts]
    # a changed threshold in the YAML changes the selection: MET > 700 removes the 650 GeV events from the baseline
    raw["cuts"][[c["name"] for c in raw["cuts"]].index("baseline_met")]["expr"] = "met > 700.0"
    _, baseline, record = select_events(hand_built(), metadata("zjets", n=6), ewkino_config_from_dict(raw, "t.yaml"))
    assert not baseline.any() and {r["name"]: r for r in record["cuts"]}["baseline_met"]["n_raw"] == 0
    raw["cuts"][0]["expr"] = "n_taus == 0"
    with pytest.raises(ConfigError, match="lepton_veto"):
        ewkino_config_from_dict(raw, "t.yaml")
    raw["cuts"][0]["expr"] = "__import__('os')"
    with pytest.raises(ConfigError):
        ewkino_config_from_dict(raw, "t.yaml")
    raw["cuts"] = [dict(c, for_comparison_only=True) for c in yaml.safe_load(CONFIG.read_text())["cuts"]]
    with pytest.raises(ConfigError, match="preselection would keep every event"):
        ewkino_config_from_dict(raw, "t.yaml")
