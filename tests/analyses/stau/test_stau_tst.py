"""The track soft term of the detector (optional event-file branches met_tst, met_tst_phi): soft tracks only,
not neutrals, not jet constituents or leptons; written and read back; absent in older files."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from susyscan.detector import load_card, simulate
from susyscan.detector.synthetic import make_events
from susyscan.eventio import read_events, write_events
from susyscan.eventio.schema import BRANCHES

CARD = load_card()


def test_tst_is_minus_the_soft_tracks() -> None:
    # a 60 GeV muon, one soft charged pion (3 GeV at phi = 1), one soft photon (4 GeV at phi = -2), a neutrino
    event = [(13, 60.0, 0.1, 0.0), (211, 3.0, 0.5, 1.0), (22, 4.0, -0.5, -2.0), (14, 55.0, 0.0, np.pi)]
    reco = simulate(make_events([event] * 200), CARD, np.random.default_rng(3))
    tst, phi = ak.to_numpy(reco.met_tst), ak.to_numpy(reco.met_tst_phi)
    identified = ak.to_numpy(ak.num(reco.muon_pt)) == 1   # an unidentified muon's track is soft (docs/architecture)
    # a tracked muon failing identification is a soft track (60 GeV in the TST); one without a track is invisible
    assert np.sum(tst[~identified] > 40.0) >= 0.7 * np.sum(~identified) > 0
    tst, phi = tst[identified], phi[identified]
    tracked = tst > 0.5                                     # the pion passed the tracking efficiency
    assert tracked.mean() > 0.9
    assert np.all((tst[tracked] > 2.0) & (tst[tracked] < 4.0))          # the pion's smeared pT; not the photon
    assert np.median(tst[tracked]) == pytest.approx(3.0, rel=0.05)
    assert np.allclose(phi[tracked], 1.0 - np.pi, atol=1e-4)           # minus the track direction
    assert np.all(tst[~tracked] < 1e-6)


def test_tst_round_trip_and_old_files(tmp_path: Path) -> None:
    reco = simulate(make_events([[(211, 3.0, 0.5, 1.0), (13, 40.0, 0.0, 0.0)]] * 5), CARD, np.random.default_rng(1))
    meta = {"sample": "s", "process": "w_lnu", "chunk": 0, "seed": 1, "xsec_pb": 1.0, "xsec_source": "t",
            "xsec_lo_pb": None, "sqrt_s_gev": 13000.0, "generator": "t", "detector_card": "t", "config_hash": "0",
            "susyscan_version": "0"}
    reco = ak.with_field(reco, ak.Array([[] for _ in range(5)]), "truth_pid")
    for name in ("pt", "eta", "phi", "mass", "status"):
        reco = ak.with_field(reco, reco["truth_pid"], f"truth_{name}")
    path = tmp_path / "with.root"
    write_events(path, reco, meta)
    events, _ = read_events(path)
    assert np.allclose(ak.to_numpy(events.met_tst), ak.to_numpy(reco.met_tst))
    old = ak.zip({name: reco[name] for name in BRANCHES}, depth_limit=1)  # a file of before the branch
    write_events(tmp_path / "old.root", old, meta)
    events, _ = read_events(tmp_path / "old.root")
    assert "met_tst" not in events.fields and set(BRANCHES) <= set(events.fields)


@pytest.mark.parametrize("with_tst", [True, False])
def test_leptau_reads_tst_when_present(with_tst: bool) -> None:
    from susyscan.analysis.leptau import leptau_variables

    empty = ak.Array([[]])
    objects = {k: ak.zip({"pt": empty, "eta": empty, "phi": empty, "charge": empty}) for k in ("electron", "muon", "tau")}
    objects["jet"] = ak.zip({"pt": empty, "eta": empty, "phi": empty})
    events = ak.Array({"met_tst": [7.0], "met_tst_phi": [0.5]}) if with_tst else ak.Array({"x": [0.0]})
    out = leptau_variables(objects, np.array([30.0]), np.array([0.0]), events)
    assert out["met_tst"].tolist() == ([7.0] if with_tst else [-999.0])
    assert out["met_tst_phi"].tolist() == ([0.5] if with_tst else [-999.0])
