"""Delphes ROOT reader on a small Delphes-like file written with uproot."""

from __future__ import annotations

import logging
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from susyscan.errors import EventFileError
from susyscan.eventio import BRANCHES
from susyscan.ingest.delphes import branch_map, read_delphes


def _collection(rows: list[list[dict]]) -> ak.Array:
    return ak.Array(rows)


def write_delphes_like(path: Path, with_fatjet: bool = True, drop: str | None = None) -> Path:
    """Three events; collections written as uproot record arrays -> branches ``Coll.Field`` + ``Coll_size``."""
    content = {
        "Event": _collection([[{"Weight": 1.5}], [{"Weight": 2.0}], [{"Weight": 0.5}]]),
        "Electron": _collection([[{"PT": 30.0, "Eta": 0.1, "Phi": 0.2, "Charge": -1, "IsolationVar": 0.05}], [], []]),
        "Muon": _collection([[], [{"PT": 20.0, "Eta": 1.0, "Phi": -1.0, "Charge": 1, "IsolationVar": 0.0},
                                  {"PT": 45.0, "Eta": -0.5, "Phi": 2.0, "Charge": -1, "IsolationVar": 0.1}], []]),
        "Photon": _collection([[], [], [{"PT": 50.0, "Eta": 0.0, "Phi": 0.0, "IsolationVar": 0.0}]]),
        "Jet": _collection([
            [{"PT": 40.0, "Eta": 0.5, "Phi": 1.0, "Mass": 5.0, "BTag": 1, "TauTag": 0, "Charge": 0},
             {"PT": 60.0, "Eta": -0.5, "Phi": -2.0, "Mass": 8.0, "BTag": 2, "TauTag": 1, "Charge": -1}],
            [], [{"PT": 25.0, "Eta": 2.0, "Phi": 0.5, "Mass": 3.0, "BTag": 0, "TauTag": 0, "Charge": 1}]]),
        "MissingET": _collection([[{"MET": 10.0, "Phi": 0.5}], [{"MET": 80.0, "Phi": -2.0}], [{"MET": 5.0, "Phi": 3.0}]]),
        "EFlowTrack": _collection([[{"PT": 5.0, "Eta": 0.0, "Phi": 0.0, "Charge": 1, "PID": 211},
                                    {"PT": 0.5, "Eta": 0.0, "Phi": 0.0, "Charge": -1, "PID": -211}],
                                   [{"PT": 20.0, "Eta": 1.0, "Phi": -1.0, "Charge": 1, "PID": -13}], []]),
        "EFlowPhoton": _collection([[{"ET": 3.0, "Eta": 0.1, "Phi": 0.1}], [], []]),
        "EFlowNeutralHadron": _collection([[], [{"ET": 7.0, "Eta": 0.2, "Phi": 0.3}], []]),
        "Particle": _collection([[{"PID": 23, "Status": 22, "PT": 5.0, "Eta": 0.0, "Phi": 0.0, "Mass": 91.0},
                                  {"PID": 211, "Status": 1, "PT": 5.0, "Eta": 0.0, "Phi": 0.0, "Mass": 0.14}], [], []]),
    }
    if with_fatjet:
        content["FatJet"] = _collection([[{"PT": 100.0, "Eta": 0.0, "Phi": 1.0, "Mass": 30.0, "BTag": 0}], [], []])
    if drop is not None:
        coll, _, field = drop.partition(".")
        content[coll] = ak.zip({f: content[coll][f] for f in ak.fields(content[coll]) if f != field})
    with uproot.recreate(path) as handle:
        handle.mktree("Delphes", {k: v.type.content for k, v in content.items()},
                      counter_name=lambda counted: f"{counted}_size",
                      field_name=lambda outer, inner: inner if outer == "" else f"{outer}.{inner}")
        handle["Delphes"].extend(content)
    return path


def test_branch_map_handles_real_and_flat_naming() -> None:
    mapping = branch_map(["Muon", "Muon/Muon.PT", "Muon_size", "Jet.PT", "Event_Weight"])
    assert mapping["Muon.PT"] == "Muon/Muon.PT" and mapping["Jet.PT"] == "Jet.PT"
    assert mapping["Event.Weight"] == "Event_Weight"


def test_read_delphes_maps_to_contract(tmp_path: Path) -> None:
    events, info = read_delphes(write_delphes_like(tmp_path / "delphes.root"), pfcand_pt_min=1.0)
    assert set(BRANCHES) <= set(events.fields) and len(events) == 3 and info["n_events"] == 3
    np.testing.assert_allclose(ak.to_numpy(events.weight), [1.5, 2.0, 0.5])
    assert ak.to_list(events.muon_pt) == [[], [45.0, 20.0], []]  # sorted by decreasing pT
    assert ak.to_list(events.muon_charge) == [[], [-1, 1], []]
    assert ak.to_list(events.jet_pt) == [[60.0, 40.0], [], [25.0]]
    assert ak.to_list(events.jet_btag) == [[0, 1], [], [0]]  # BTag bit 0 only
    assert ak.to_list(events.tau_pt) == [[60.0], [], []] and ak.to_list(events.tau_charge) == [[-1], [], []]
    assert ak.to_list(events.largejet_pt) == [[100.0], [], []]
    np.testing.assert_allclose(ak.to_numpy(events.met), [10.0, 80.0, 5.0])
    assert ak.to_list(events.pfcand_pid) == [[211, 22], [13, 130], []]  # 0.5 GeV track below threshold
    assert ak.to_list(events.pfcand_charge) == [[1, 0], [1, 0], []]
    assert ak.to_list(events.truth_pid) == [[23], [], []]  # only hard-process status
    assert ak.to_list(events.electron_iso) == [[pytest.approx(0.05)], [], []]


def test_missing_fatjet_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        events, _ = read_delphes(write_delphes_like(tmp_path / "nofat.root", with_fatjet=False))
    assert ak.all(ak.num(events.largejet_pt) == 0)
    assert "FatJet" in caplog.text


def test_missing_required_branch(tmp_path: Path) -> None:
    path = write_delphes_like(tmp_path / "nobtag.root", drop="Jet.BTag")
    with pytest.raises(EventFileError, match=r"nobtag.root.*Jet.BTag"):
        read_delphes(path)


def test_truncated_garbage_and_wrong_tree(tmp_path: Path) -> None:
    data = write_delphes_like(tmp_path / "good.root").read_bytes()
    cut = tmp_path / "cut.root"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(EventFileError, match="cut.root"):
        read_delphes(cut)
    garbage = tmp_path / "garbage.root"
    garbage.write_bytes(b"\x00\x01" * 3000)
    with pytest.raises(EventFileError, match="garbage.root"):
        read_delphes(garbage)
    other = tmp_path / "other.root"
    with uproot.recreate(other) as handle:
        handle["events"] = {"x": np.ones(2)}
    with pytest.raises(EventFileError, match=r"other.root.*'Delphes'"):
        read_delphes(other)


def test_entry_range(tmp_path: Path) -> None:
    events, info = read_delphes(write_delphes_like(tmp_path / "d.root"), first_event=1, max_events=5)
    assert len(events) == 2 and info["n_events"] == 2
    np.testing.assert_allclose(ak.to_numpy(events.weight), [2.0, 0.5])
    assert ak.to_list(events.muon_pt) == [[45.0, 20.0], []]
