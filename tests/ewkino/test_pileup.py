"""Pileup overlay of the ewkino PF inputs (susyscan.analyses.ewkino.pileup)."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.analyses.ewkino import pileup
from susyscan.errors import ConfigError, EventFileError


def _library(n: int = 40, seed: int = 0) -> pileup.PileupLibrary:
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 8, n)
    total = int(counts.sum())
    charge = rng.choice([-1, 0, 1], total).astype(np.int32)
    return pileup.PileupLibrary(
        pt=rng.exponential(1.0, total).astype(np.float32) + 0.5, eta=rng.uniform(-2.5, 2.5, total).astype(np.float32),
        phi=rng.uniform(-np.pi, np.pi, total).astype(np.float32), charge=charge,
        pid=np.where(charge == 0, 22, 211).astype(np.int32),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), seed=seed, pt_min=0.5, sqrt_s_gev=13000.0)


def _events(n: int = 25) -> ak.Array:
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 5, n)
    total = int(counts.sum())
    pt = np.sort(rng.uniform(1, 100, total))[::-1].astype(np.float32)
    return ak.Array({
        "met": rng.uniform(200, 400, n),
        "pfcand_pt": ak.unflatten(pt, counts), "pfcand_eta": ak.unflatten(np.zeros(total, np.float32), counts),
        "pfcand_phi": ak.unflatten(np.zeros(total, np.float32), counts),
        "pfcand_charge": ak.unflatten(np.ones(total, np.int32), counts),
        "pfcand_pid": ak.unflatten(np.full(total, 211, np.int32), counts),
    })


def test_mu_zero_leaves_the_events_unchanged() -> None:
    events = _events()
    out = pileup.PileupOverlay(0.0, _library()).apply(events, {"sample": "s", "chunk": 0})
    assert ak.to_list(out) == ak.to_list(events)


def test_overlay_adds_whole_library_interactions_and_keeps_the_pt_order() -> None:
    events, library = _events(), _library()
    out = pileup.overlay(events, 5.0, library, np.random.default_rng(1))
    added = ak.to_numpy(ak.num(out.pfcand_pt)) - ak.to_numpy(ak.num(events.pfcand_pt))
    assert (added >= 0).all() and added.sum() > 0
    # every added candidate is a library candidate (pt values are copied, not resampled)
    extra_pt = np.setdiff1d(ak.to_numpy(ak.flatten(out.pfcand_pt)), ak.to_numpy(ak.flatten(events.pfcand_pt)))
    assert np.isin(extra_pt, library.pt).all()
    for row in ak.to_list(out.pfcand_pt):
        assert row == sorted(row, reverse=True)
    # the hard-scatter candidates are all still there, other branches untouched
    for hard, merged in zip(ak.to_list(events.pfcand_pt), ak.to_list(out.pfcand_pt), strict=True):
        assert all(np.isclose(merged, value).any() for value in hard)
    assert ak.to_list(out.met) == ak.to_list(events.met)
    phi = ak.to_numpy(ak.flatten(out.pfcand_phi))
    assert (np.abs(phi) <= np.pi + 1e-6).all()


def test_mean_number_of_added_candidates_follows_mu() -> None:
    events, library = _events(2000), _library(200)
    per_interaction = library.counts().mean()
    out = pileup.overlay(events, 20.0, library, np.random.default_rng(4))
    added = (ak.to_numpy(ak.num(out.pfcand_pt)) - ak.to_numpy(ak.num(events.pfcand_pt))).mean()
    assert added == pytest.approx(20.0 * per_interaction, rel=0.05)


def test_overlay_is_reproducible_per_chunk_and_differs_between_chunks() -> None:
    events, library = _events(), _library()
    ov = pileup.PileupOverlay(3.0, library, seed=7)
    a = ov.apply(events, {"sample": "znunu", "chunk": 1})
    b = ov.apply(events, {"sample": "znunu", "chunk": 1})
    c = ov.apply(events, {"sample": "znunu", "chunk": 2})
    assert ak.to_list(a.pfcand_pt) == ak.to_list(b.pfcand_pt)
    assert ak.to_list(a.pfcand_pt) != ak.to_list(c.pfcand_pt)
    d = ov.apply(events, {"sample": "wjets", "chunk": 1})
    assert ak.to_list(a.pfcand_pt) != ak.to_list(d.pfcand_pt)  # the stream is keyed by sample and chunk
    with pytest.raises(ConfigError, match="chunk"):
        ov.apply(events, {"sample": "znunu"})


def test_charged_hadron_subtraction_drops_only_charged_pileup() -> None:
    events, library = _events(), _library()
    out = pileup.overlay(events, 5.0, library, np.random.default_rng(1), charged_hadron_subtraction=True)
    hard = ak.to_numpy(ak.num(events.pfcand_pt))
    merged_charge = ak.to_list(out.pfcand_charge)
    n_charged = np.array([sum(1 for q in row if q != 0) for row in merged_charge])
    assert (n_charged == hard).all()  # the toy hard scatter is all charged; no charged pileup survives
    assert (ak.to_numpy(ak.num(out.pfcand_pt)) >= hard).all()


def test_library_round_trip_and_errors(tmp_path) -> None:  # noqa: ANN001
    library = _library()
    path = pileup.save_library(library, pileup.library_path(tmp_path, library.n_interactions, 0, 0.5))
    back = pileup.load_library(path)
    assert np.array_equal(back.offsets, library.offsets) and np.array_equal(back.pt, library.pt)
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(EventFileError, match="bad.npz"):
        pileup.load_library(tmp_path / "bad.npz")
    with pytest.raises(ConfigError, match="mu"):
        pileup.PileupOverlay(-1.0, library)
    with pytest.raises(EventFileError, match="pfcand_pid"):
        pileup.overlay(ak.Array({"pfcand_pt": [[1.0]]}), 1.0, library, np.random.default_rng(0))


def test_minimum_bias_library_from_pythia(tmp_path) -> None:  # noqa: ANN001
    library = pileup.cached_library(tmp_path, 60, seed=11, pt_min=0.5)
    assert library.n_interactions == 60
    assert pileup.library_path(tmp_path, 60, 11, 0.5).is_file()
    per_interaction = library.counts().mean()
    # 13 TeV inelastic events: a few to a few tens of candidates above 0.5 GeV, mostly soft
    assert 2 < per_interaction < 60
    assert np.median(library.pt) < 2.0
    assert set(np.unique(library.pid)) <= {11, 13, 22, 211, 130}
    again = pileup.cached_library(tmp_path, 60, seed=11, pt_min=0.5)  # read from the cache
    assert np.array_equal(again.pt, library.pt)


def test_pileup_note_names_the_setting() -> None:
    assert "without pileup" in pileup.pileup_note()
    assert "mu = 60" in pileup.pileup_note(60.0) and "no pileup mitigation" in pileup.pileup_note(60.0)
    assert "CHS" in pileup.pileup_note(20.0, charged_hadron_subtraction=True)
