"""Process-level truth from Pythia: the hard-process-only sample (fast scan) and the regenerated chunk (labels)."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import EventFileError
from susyscan.generation.xsec import lookup
from susyscan.surrogate.contract import truth_columns
from susyscan.surrogate.fastscan import dense_grid, hard_process_sample


def test_hard_process_sample_kinematics() -> None:
    m, mx = 300.0, 100.0
    sample = hard_process_sample("smuon_R", m, mx, 300, seed=11)
    f = sample.features
    assert len(f) == 300 and list(f.columns) == truth_columns()
    assert (f["n_leptons"] == 2).all() and (f["lep1_flavour"] == 13).all()
    assert (f["lep1_charge"] * f["lep2_charge"] == -1).all()
    # mT2 endpoint with a massless trial LSP: (m^2 - m_chi^2) / m (Lester & Summers); reached within 10 %
    endpoint = (m**2 - mx**2) / m
    assert f["mt2"].max() <= endpoint * (1 + 1e-6)
    assert f["mt2"].max() > 0.9 * endpoint
    # no ISR at process level: the invisible system balances the dilepton pT
    px = f["lep1_pt"] * np.cos(f["lep1_phi"]) + f["lep2_pt"] * np.cos(f["lep2_phi"])
    py = f["lep1_pt"] * np.sin(f["lep1_phi"]) + f["lep2_pt"] * np.sin(f["lep2_phi"])
    np.testing.assert_allclose(np.hypot(px, py), f["met"], rtol=1e-6, atol=1e-6)
    # normalisation: the NLO+NLL table (resources/xsec) as in the full chain
    assert sample.xsec_pb == pytest.approx(lookup("pp13_slep_R_NLO+NLL_PDF4LHC.json", m)[0])


def test_dense_grid() -> None:
    points = dense_grid([100, 200, 50], [0, 150, 50], 50.0)
    assert points == [(100.0, 0.0), (100.0, 50.0), (150.0, 0.0), (150.0, 50.0), (150.0, 100.0), (200.0, 0.0),
                      (200.0, 50.0), (200.0, 100.0), (200.0, 150.0)]


@pytest.fixture(scope="module")
def chunk_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from susyscan.generation.chunk import generate_chunk

    path = tmp_path_factory.mktemp("chunk") / "c.root"
    spec = {"name": "smuon_300_100", "process": "smuon_R", "masses": {"m_smuon": 300.0, "m_neutralino": 100.0}}
    generate_chunk(spec, 1, 20, 7, path, None)
    return path


def test_regenerated_truth_joins_the_event_file(chunk_file: Path) -> None:
    """The per-event join is right.  Pythia moves a decayed smuon from its first copy (the process record's
    momentum) to its last copy (after the ISR and QED recoil) and its decay products with it, by boosts; so the
    mu- direction seen in the smuon's rest frame is nearly the same (up to the Wigner rotation of composed boosts)
    whether computed from the process-level features (first copy) or from the event file (last copy).  Matched
    rows agree within a few degrees; rows shifted by one event do not."""
    import vector

    from susyscan.eventio import read_events
    from susyscan.surrogate.regenerate import chunk_truth_features

    table = chunk_truth_features(chunk_file)
    assert table["event"].tolist() == list(range(20)) and (table["chunk"] == 1).all()
    assert (table["m_parent"] == 300.0).all() and (table["m_lsp"] == 100.0).all()
    events, _ = read_events(chunk_file, ["truth_pid", "truth_pt", "truth_eta", "truth_phi", "truth_mass",
                                         "truth_status"])

    def pick(pid: int, status: int) -> vector.MomentumNumpy4D:
        sel = (events["truth_pid"] == pid) & (events["truth_status"] == status) if status else \
            (events["truth_pid"] == pid) & (abs(events["truth_status"]) == 23)
        assert ak.all(ak.sum(sel, axis=1) == 1), (pid, status)
        first = {k: ak.to_numpy(ak.firsts(events[f"truth_{k}"][sel])).astype(float) for k in ("pt", "eta", "phi", "mass")}
        return vector.array(first)

    smuon_first, smuon_last, muon_file = pick(2000013, -22), pick(2000013, -62), pick(13, 0)
    minus = np.where(table["lep1_charge"] < 0, 1, 2)
    proc = {k: np.where(minus == 1, table[f"lep1_{k}"], table[f"lep2_{k}"]) for k in ("pt", "eta", "phi")}
    muon_proc = vector.array({**proc, "mass": np.full(len(table), 0.10566)})
    rest_proc = muon_proc.boostCM_of_p4(smuon_first)
    rest_file = muon_file.boostCM_of_p4(smuon_last)
    def cos_angle(a: vector.MomentumNumpy4D, b: vector.MomentumNumpy4D) -> np.ndarray:
        return (a.px * b.px + a.py * b.py + a.pz * b.pz) / (a.p * b.p)

    matched = cos_angle(rest_proc, rest_file)
    shifted = cos_angle(rest_proc[1:], rest_file[:-1])
    assert np.median(matched) > 0.98, np.sort(matched)
    assert np.median(shifted) < 0.5
    # the lab-frame values differ (the file's carry the recoil): the features are not the file's values
    assert (table["isr_pt"] > 0).all()
    assert not np.allclose(muon_proc.pt, muon_file.pt, rtol=1e-3)


def test_regeneration_with_wrong_seed_is_refused(chunk_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from susyscan import eventio
    from susyscan.surrogate.regenerate import chunk_truth_features

    real = eventio.read_events

    def wrong_seed(path, branches=None):  # type: ignore[no-untyped-def]
        events, meta = real(path, branches)
        return events, {**meta, "seed": int(meta["seed"]) + 1}

    monkeypatch.setattr(eventio, "read_events", wrong_seed)
    with pytest.raises(EventFileError, match="differs from the file"):
        chunk_truth_features(chunk_file)
