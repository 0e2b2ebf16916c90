"""The flat-numpy detector code paths give exactly what the awkward formulations they replaced gave.

Each reference below is the previous (awkward: ``ak.unflatten``, ``ak.zip``, ``ak.cartesian``) implementation,
kept here to check the faster one bit for bit on random events with empty events, single objects and many pairs.
"""

from __future__ import annotations

import importlib

import awkward as ak
import numpy as np
import pytest

from susyscan.detector import load_card
from susyscan.detector.jets import FlatJets, cluster, tau_tag, tau_tag_probability
from susyscan.detector.kinematics import delta_r, jagged, lognormal_factor, pt_eta_phi, sorted_collection
from susyscan.detector.particles import FlatParticles

CARD = load_card()


def _same(a: ak.Array, b: ak.Array) -> bool:
    """Same type, same layout form and the same buffer bytes."""
    form_a, len_a, buf_a = ak.to_buffers(a)
    form_b, len_b, buf_b = ak.to_buffers(b)
    return (str(a.type) == str(b.type) and form_a == form_b and len_a == len_b and buf_a.keys() == buf_b.keys()
            and all(np.asarray(buf_a[k]).tobytes() == np.asarray(buf_b[k]).tobytes() for k in buf_a))


def _events(rng: np.random.Generator, n_events: int, mean: float) -> np.ndarray:
    """Sorted event index of a Poisson number of objects per event (many events empty for small ``mean``)."""
    return np.repeat(np.arange(n_events), rng.poisson(mean, n_events))


@pytest.mark.parametrize("with_nan", [False, True])
@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("mean", [0.3, 4.0])
def test_jagged_and_sorted_collection_equal_unflatten(mean: float, shuffled: bool, with_nan: bool) -> None:
    """Also with equal pT within events (they keep their order), objects not ordered by event (the lexsort) and
    NaN pT (last in its event, as the lexsort puts it)."""
    rng = np.random.default_rng(11)
    n_events = 50
    event = _events(rng, n_events - 3, mean)  # the last events are empty
    values = rng.normal(size=len(event)).astype(np.float32)
    reference = ak.unflatten(values, np.bincount(event, minlength=n_events))
    assert _same(jagged(values, event, n_events), reference)
    fields = {"pt": np.round(rng.exponential(30, len(event)) / 10).astype(np.float32),  # many ties
              "q": rng.integers(-1, 2, len(event)).astype(np.int32)}
    if with_nan:
        fields["pt"][::7] = np.nan
    if shuffled:
        event = rng.permutation(event)
    order = np.lexsort((-fields["pt"], event))
    got = sorted_collection("x", fields, event, n_events)
    for name, column in fields.items():
        assert _same(got[f"x_{name}"], ak.unflatten(column[order], np.bincount(event[order], minlength=n_events)))


def _tau_tag_reference(jets: FlatJets, tracks: dict[str, np.ndarray], n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """Track count and summed track charge per jet, as the awkward cartesian of jets and tracks computed them."""
    def jag(values: np.ndarray, event: np.ndarray) -> ak.Array:
        return ak.unflatten(np.asarray(values), np.bincount(event, minlength=n_events))

    j = ak.zip({"eta": jag(jets.eta, jets.event), "phi": jag(jets.phi, jets.event)})
    t = ak.zip({"eta": jag(tracks["eta"], tracks["event"]), "phi": jag(tracks["phi"], tracks["event"]),
                "q": jag(tracks["charge"], tracks["event"])})
    pairs = ak.cartesian({"j": j, "t": t}, nested=True)
    inside = delta_r(pairs.j.eta, pairs.j.phi, pairs.t.eta, pairs.t.phi) < CARD.tautagging.track_dr
    n_tracks = ak.to_numpy(ak.flatten(ak.sum(inside, axis=2), axis=1))
    q_sum = ak.to_numpy(ak.flatten(ak.sum(ak.where(inside, pairs.t.q, 0), axis=2), axis=1))
    return n_tracks, np.sign(q_sum).astype(np.int32)


def _flat_jets(rng: np.random.Generator, n_events: int, mean: float) -> FlatJets:
    event = _events(rng, n_events, mean)
    pt, eta, phi = rng.exponential(40, len(event)) + 20, rng.uniform(-2.6, 2.6, len(event)), rng.uniform(-np.pi, np.pi, len(event))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return FlatJets(event=event, px=px, py=py, pz=pz, e=np.sqrt(px**2 + py**2 + pz**2), pt=pt, eta=eta, phi=phi,
                    mass=np.zeros(len(event)), constituents=np.zeros(0, dtype=np.int64))


def test_tau_tag_track_counting_equals_cartesian() -> None:
    rng = np.random.default_rng(12)
    n_events = 300
    jets = _flat_jets(rng, n_events, 3.0)
    event = _events(rng, n_events, 25.0)
    tracks = {"event": event, "eta": rng.uniform(-2.5, 2.5, len(event)), "phi": rng.uniform(-np.pi, np.pi, len(event)),
              "charge": rng.choice(np.array([-1, 1], dtype=np.int32), len(event))}
    for i in np.flatnonzero(rng.random(len(jets.pt)) < 0.5):  # narrow jets: 1-3 tracks near half of the jets
        same = np.flatnonzero(event == jets.event[i])[:3]
        tracks["eta"][same] = jets.eta[i] + rng.normal(0, 0.05, len(same))
        tracks["phi"][same] = jets.phi[i] + rng.normal(0, 0.05, len(same))
    n_tracks, charge = _tau_tag_reference(jets, tracks, n_events)
    assert n_tracks.max() >= 2 and (n_tracks == 1).any() and (n_tracks == 0).any()
    no_taus = {k: np.zeros(0) for k in ("eta", "phi", "pt")} | {"event": np.zeros(0, dtype=np.int64)}
    uniform = rng.random(len(jets.pt) + 1)
    tagged, got_charge = tau_tag(jets, no_taus, tracks, n_events, CARD, uniform)
    assert np.array_equal(got_charge, charge) and got_charge.dtype == charge.dtype
    # the tag itself: candidates by track count, then the card's light-jet fake rate
    eff = tau_tag_probability(jets.pt, jets.eta, n_tracks, np.zeros(len(jets.pt), dtype=bool),
                              np.full(len(jets.pt), "light", dtype=object), CARD)
    tc = CARD.tautagging
    expected = (n_tracks >= 1) & (n_tracks <= tc.max_tracks) & (np.abs(jets.eta) < tc.eta_max) & (
        uniform[: len(jets.pt)] < eff)
    assert expected.any() and np.array_equal(tagged, expected)


def test_hadronic_taus_equal_cartesian_veto() -> None:
    # the package re-exports the function simulate under the module name, so take the module from importlib
    hadronic_taus = importlib.import_module("susyscan.detector.simulate")._hadronic_taus
    rng = np.random.default_rng(13)
    n_events = 400
    event = _events(rng, n_events, 6.0)
    n = len(event)
    pid = rng.choice(np.array([11, -11, 13, -13, 211, 22]), n)
    pt, eta, phi = rng.exponential(20, n) + 1, rng.uniform(-2.5, 2.5, n), rng.uniform(-np.pi, np.pi, n)
    zeros = np.zeros(n)
    p = FlatParticles(n_events=n_events, event=event, pid=pid, charge=zeros, px=zeros, py=zeros, pz=zeros, e=zeros,
                      pt=pt, eta=eta, phi=phi, visible=np.ones(n, dtype=bool), pf_class=np.zeros(n, dtype=np.int32),
                      scale=np.ones(n), tracked=np.ones(n, dtype=bool))
    t_event = _events(rng, n_events, 1.5)
    m = len(t_event)
    truth = {"pid": rng.choice(np.array([15, -15, 5]), m), "pt": rng.exponential(40, m) + 15,
             "eta": rng.uniform(-2.6, 2.6, m), "phi": rng.uniform(-np.pi, np.pi, m), "event": t_event,
             "mass": zeros[:m], "status": np.full(m, 23)}
    for i in np.flatnonzero(rng.random(m) < 0.4):  # put a hard lepton next to some taus
        same = np.flatnonzero((event == t_event[i]) & np.isin(np.abs(pid), (11, 13)))[:1]
        eta[same], phi[same], pt[same] = truth["eta"][i] + 0.01, truth["phi"][i], truth["pt"][i]
    got = hadronic_taus(p, truth, CARD)

    tc = CARD.tautagging
    sel = np.flatnonzero((np.abs(truth["pid"]) == 15) & (truth["pt"] > tc.tau_pt_min) & (np.abs(truth["eta"]) < tc.eta_max))
    taus = {k: truth[k][sel] for k in ("eta", "phi", "pt", "event")}
    lep = np.flatnonzero(np.isin(np.abs(pid), (11, 13)))

    def jag(values: np.ndarray, ev: np.ndarray) -> ak.Array:
        return ak.unflatten(values, np.bincount(ev, minlength=n_events))

    t = ak.zip({k: jag(taus[k], taus["event"]) for k in ("eta", "phi", "pt")})
    lz = ak.zip({"eta": jag(eta[lep], event[lep]), "phi": jag(phi[lep], event[lep]), "pt": jag(pt[lep], event[lep])})
    pairs = ak.cartesian({"t": t, "l": lz}, nested=True)
    close = (delta_r(pairs.t.eta, pairs.t.phi, pairs.l.eta, pairs.l.phi) < tc.leptonic_dr) & (
        pairs.l.pt > tc.leptonic_fraction * pairs.t.pt)
    leptonic = ak.to_numpy(ak.flatten(ak.any(close, axis=2), axis=1)).astype(bool)
    assert 0 < leptonic.sum() < len(leptonic)
    assert got.keys() == taus.keys()
    for k in taus:
        assert np.array_equal(got[k], taus[k][~leptonic])


def test_cluster_constituents_equal_awkward_mapping() -> None:
    fastjet = pytest.importorskip("fastjet")
    rng = np.random.default_rng(14)
    n_events = 40
    event = _events(rng, n_events, 60.0)
    n = len(event) + 30
    pt, eta, phi = rng.exponential(5, n) + 0.5, rng.uniform(-3, 3, n), rng.uniform(-np.pi, np.pi, n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2)
    event = np.concatenate([event, np.full(30, n_events - 1)])  # 30 extra particles in the last event
    inputs = np.flatnonzero(rng.random(n) < 0.8)
    jc = CARD.jets
    jets = cluster(inputs, px, py, pz, e, event, n_events, 0.4, 5.0, 10.0, jc.eta_max, jc.energy_resolution,
                   np.random.default_rng(16))

    def jag(values: np.ndarray) -> ak.Array:
        return ak.unflatten(values, np.bincount(event[inputs], minlength=n_events))

    vectors = ak.zip({"px": jag(px[inputs]), "py": jag(py[inputs]), "pz": jag(pz[inputs]), "E": jag(e[inputs])},
                     with_name="Momentum4D")
    sequence = fastjet.ClusterSequence(vectors, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4))
    raw, local = sequence.inclusive_jets(5.0), sequence.constituent_index(5.0)
    jet_counts = ak.to_numpy(ak.num(raw, axis=1))
    rpx, rpy, rpz, re = (ak.to_numpy(ak.flatten(raw[c], axis=1)) for c in ("px", "py", "pz", "E"))
    _, reta, _ = pt_eta_phi(rpx, rpy, rpz)
    factor = lognormal_factor(jc.energy_resolution(np.hypot(rpx, rpy), reta, re) / np.maximum(re, 1e-9), np.random.default_rng(16).standard_normal(len(re)))
    jpt, jeta, _ = pt_eta_phi(rpx * factor, rpy * factor, rpz * factor)
    keep = (jpt > 10.0) & (np.abs(jeta) < jc.eta_max)
    assert 0 < keep.sum() < len(keep)
    kept_local = ak.flatten(local[ak.unflatten(keep, jet_counts)], axis=2)
    expected = ak.to_numpy(ak.flatten(jag(inputs)[kept_local], axis=1)).astype(np.int64)
    assert np.array_equal(jets.constituents, expected) and jets.constituents.dtype == expected.dtype
    assert np.array_equal(jets.event, np.repeat(np.arange(n_events), jet_counts)[keep])


@pytest.mark.parametrize("with_constituents", [True, False])
def test_cluster_blocks_equal_one_call(monkeypatch: pytest.MonkeyPatch, with_constituents: bool) -> None:
    """fastjet on blocks of events (``CLUSTER_BLOCK_EVENTS``) gives the jets of one call on all events, bit for bit:
    blocks of 7 over 40 events (a partial last block, a block of only empty events, and a block
    boundary inside a run of empty events) against one block."""
    pytest.importorskip("fastjet")
    jets_module = importlib.import_module("susyscan.detector.jets")
    rng = np.random.default_rng(15)
    n_events = 40
    event = _events(rng, n_events, 60.0)
    n = len(event)
    pt, eta, phi = rng.exponential(5, n) + 0.5, rng.uniform(-3, 3, n), rng.uniform(-np.pi, np.pi, n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2)
    empty = (event >= 13) & (event < 22)  # events 13-21: all of the block 14-20, and both neighbouring blocks' edges
    inputs = np.flatnonzero((rng.random(n) < 0.8) & ~empty)
    jc = CARD.jets

    def run(block: int) -> FlatJets:
        monkeypatch.setattr(jets_module, "CLUSTER_BLOCK_EVENTS", block)
        return cluster(inputs, px, py, pz, e, event, n_events, 0.4, 5.0, 10.0, jc.eta_max, jc.energy_resolution,
                       np.random.default_rng(16), with_constituents=with_constituents)

    one, blocked = run(n_events), run(7)
    assert 0 < len(one.pt) and (len(one.constituents) > 0) == with_constituents
    assert not np.isin(np.arange(13, 22), one.event).any()
    for field in ("event", "px", "py", "pz", "e", "pt", "eta", "phi", "mass", "constituents"):
        a, b = getattr(one, field), getattr(blocked, field)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), field
