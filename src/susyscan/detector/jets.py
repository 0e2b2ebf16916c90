"""Anti-kt jets (fastjet, columnar over the chunk), jet energy smearing, b- and tau-tagging."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Iterator

import awkward as ak
import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.kinematics import (
    any_near,
    delta_r,
    event_offsets,
    lognormal_factor,
    mass,
    pt_eta_phi,
    same_event_pairs,
)

logger = logging.getLogger(__name__)


@dataclass
class FlatJets:
    """Selected jets of a chunk, flat, with the flat particle indices of their constituents."""

    event: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    mass: np.ndarray
    constituents: np.ndarray  # flat particle indices of all constituents of the selected jets


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send C-level stdout to /dev/null (fastjet prints its banner there on first use)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _import_fastjet():  # type: ignore[no-untyped-def]
    """Import fastjet (its banner is silenced at the first clustering)."""
    import fastjet

    return fastjet


#: Events per fastjet call in :func:`cluster`. fastjet's multi-event interface keeps every event's
#: ``ClusterSequence`` alive until its results are read, ~0.15 MB per event of 400 inputs: one call for a
#: 2000-event chunk made the process fault in ~300 MB (91 k minor page faults, 0.14-0.8 s of system time in a
#: fresh process depending on the load, against ~1.25 s of user time for both radii); 200-event blocks reuse the
#: freed memory (13-14 k faults, 0.02-0.06 s; ``benchmarks/profile_cluster.py --blocks``,
#: ``benchmarks/results/cluster_overhead.md``). Clustering is per event, so the block size changes no output.
CLUSTER_BLOCK_EVENTS = 200


def _cluster_block(fastjet, lists: ak.contents.Content, jet_definition,  # type: ignore[no-untyped-def]
                   cluster_pt_min: float, with_constituents: bool,
                   ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None, np.ndarray | None]:
    """One fastjet call on a block of events (``lists``: per event the input four-vectors): per event its jet
    count, the jets' (px, py, pz, E) flat, and with constituents per jet its constituent count and the
    constituents' positions within their event's inputs (flat)."""
    with _quiet_stdout():
        sequence = fastjet.ClusterSequence(ak.Array(lists), jet_definition)
        raw = sequence.inclusive_jets(cluster_pt_min)
        local = sequence.constituent_index(cluster_pt_min) if with_constituents else None
    counts = ak.to_numpy(ak.num(raw, axis=1))
    momenta = [ak.to_numpy(ak.flatten(raw[c], axis=1)).astype(np.float64) for c in ("px", "py", "pz", "E")]
    if local is None:
        return counts, momenta, None, None
    n_constituents = ak.to_numpy(ak.flatten(ak.num(local, axis=2), axis=1))
    return counts, momenta, n_constituents, ak.to_numpy(ak.flatten(local, axis=None)).astype(np.int64)


def cluster(
    inputs: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray,
    event: np.ndarray, n_events: int, radius: float, cluster_pt_min: float,
    pt_min: float, eta_max: float, resolution, normal_rng: np.random.Generator,  # type: ignore[no-untyped-def]
    with_constituents: bool = True,
) -> FlatJets:
    """Cluster the particles ``inputs`` (flat indices) per event, smear the jet energy, select jets.

    ``resolution`` is the card's absolute sigma(E) formula; ``normal_rng`` draws one standard normal per clustered
    jet, in order. ``with_constituents=False`` leaves ``constituents`` empty:
    fastjet's ``constituent_index`` costs ~12 % of the R = 0.4 clustering (0.033 vs 0.27 ms per unfiltered ttbar
    event of ~400 inputs; ``benchmarks/results/cluster_overhead.md``), so collections that never use their
    constituents skip it. fastjet is called on blocks of :data:`CLUSTER_BLOCK_EVENTS` events.
    """
    fastjet = _import_fastjet()
    input_offsets = event_offsets(event[inputs], n_events)
    columns = [v[inputs] for v in (px, py, pz, e)]
    jet_definition = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    empty = np.zeros(0, np.int64)  # each list starts with an empty block: no events, no fastjet call
    counts, momenta, n_const, local = [empty], [[np.zeros(0)] * 4], [empty], [empty]
    for start in range(0, n_events, CLUSTER_BLOCK_EVENTS):
        stop = min(start + CLUSTER_BLOCK_EVENTS, n_events)
        lo, hi = input_offsets[start], input_offsets[stop]
        # the layout of ak.zip({px, py, pz, E} lists, with_name="Momentum4D"), built directly
        lists = ak.contents.ListOffsetArray(ak.index.Index64(input_offsets[start:stop + 1] - lo), ak.contents.RecordArray(
            [ak.contents.NumpyArray(c[lo:hi]) for c in columns], ["px", "py", "pz", "E"],
            length=int(hi - lo), parameters={"__record__": "Momentum4D"}))
        block_counts, block_momenta, block_n_const, block_local = _cluster_block(
            fastjet, lists, jet_definition, cluster_pt_min, with_constituents)
        counts.append(block_counts)
        momenta.append(block_momenta)
        if block_n_const is not None and block_local is not None:
            n_const.append(block_n_const)
            local.append(block_local)
    jet_counts = np.concatenate(counts)
    jet_event = np.repeat(np.arange(n_events), jet_counts)
    jpx, jpy, jpz, je = (np.concatenate([m[i] for m in momenta]) for i in range(4))
    _, jeta, _ = pt_eta_phi(jpx, jpy, jpz)
    sigma_e = resolution(np.hypot(jpx, jpy), jeta, je)
    factor = lognormal_factor(sigma_e / np.maximum(je, 1e-9), normal_rng.standard_normal(len(je)))
    jpx, jpy, jpz, je = jpx * factor, jpy * factor, jpz * factor, je * factor
    jpt, jeta, jphi = pt_eta_phi(jpx, jpy, jpz)
    keep = (jpt > pt_min) & (np.abs(jeta) < eta_max)
    constituents = np.zeros(0, dtype=np.int64)
    if with_constituents:  # flat: per jet its constituents' positions within its event's inputs
        n_constituents = np.concatenate(n_const)
        position = np.concatenate(local) + np.repeat(input_offsets[jet_event], n_constituents)
        constituents = inputs[position[np.repeat(keep, n_constituents)]].astype(np.int64)
    return FlatJets(
        event=jet_event[keep], px=jpx[keep], py=jpy[keep], pz=jpz[keep], e=je[keep], pt=jpt[keep],
        eta=jeta[keep], phi=jphi[keep], mass=mass(je[keep], jpx[keep], jpy[keep], jpz[keep]),
        constituents=constituents,
    )


def any_within(jets: FlatJets, eta: np.ndarray, phi: np.ndarray, event: np.ndarray, n_events: int, max_dr: float) -> np.ndarray:
    """Per jet, whether any of the given objects (flat, event-sorted) lies within ``max_dr`` of the axis."""
    return any_near(jets.eta, jets.phi, jets.event, eta, phi, event, n_events, max_dr)


def btag(
    jets: FlatJets, truth: dict[str, np.ndarray], n_events: int, card: DetectorCard,
    match_dr: float, uniform: np.ndarray,
) -> np.ndarray:
    """b-tag decision per jet: flavour from truth b/c quarks within ``match_dr``, card efficiency per flavour."""
    bt = card.btagging
    apid = np.abs(truth["pid"])
    ok = (truth["pt"] > bt.parton_pt_min) & (np.abs(truth["eta"]) < bt.parton_eta_max)
    flavour = np.zeros(len(jets.pt), dtype=np.int64)
    for quark in (4, 5):  # b overrides c
        sel = ok & (apid == quark)
        near = any_within(jets, truth["eta"][sel], truth["phi"][sel], truth["event"][sel], n_events, match_dr)
        flavour[near] = quark
    eff = np.zeros(len(jets.pt))
    for quark, name in ((0, "light"), (4, "c"), (5, "b")):
        mask = flavour == quark
        if mask.any():
            eff[mask] = bt.efficiency[name](jets.pt[mask], jets.eta[mask])
    eff[np.abs(jets.eta) >= bt.eta_max] = 0.0
    return (uniform[: len(jets.pt)] < eff).astype(np.int32)


def jet_flavour(jets: FlatJets, truth: dict[str, np.ndarray], n_events: int, card: DetectorCard) -> np.ndarray:
    """Per jet the flavour label of the tau fake rate (``TAU_JET_FLAVOURS``): ``b`` or ``c`` from a truth b/c quark,
    else ``light`` for a u/d/s quark, else ``gluon`` for a gluon, within the b-tagging ``match_dr`` (hard-process
    partons with the b-tagging parton thresholds); jets matched to none are ``light`` (Delphes' default flavour 0)."""
    bt = card.btagging
    apid = np.abs(truth["pid"])
    ok = (truth["pt"] > bt.parton_pt_min) & (np.abs(truth["eta"]) < bt.parton_eta_max)
    flavour = np.full(len(jets.pt), "light", dtype=object)
    for label, pids in (("gluon", (21,)), ("light", (1, 2, 3)), ("c", (4,)), ("b", (5,))):  # later ones win
        sel = ok & np.isin(apid, pids)
        near = any_within(jets, truth["eta"][sel], truth["phi"][sel], truth["event"][sel], n_events, bt.match_dr)
        flavour[near] = label
    return flavour


def tau_tag(
    jets: FlatJets, hadronic_taus: dict[str, np.ndarray], tracks: dict[str, np.ndarray],
    n_events: int, card: DetectorCard, uniform: np.ndarray, flavour: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Track-counting tau tag per jet and the tau charge (sign of the summed track charge).

    Jets with 1..max_tracks tracks in track_dr are candidates; one matched to a hadronic truth tau is tagged with
    the card's efficiency of its prong class (1 or more tracks) at its (pT, eta), any other with the fake rate of
    its ``flavour`` (:func:`jet_flavour`; None: every jet ``light``) and prong class.
    """
    candidate, eff, charge = tau_tag_inputs(jets, hadronic_taus, tracks, n_events, card, flavour)
    tagged = candidate & (uniform[: len(jets.pt)] < eff)
    return tagged, charge


def tau_tag_inputs(
    jets: FlatJets, hadronic_taus: dict[str, np.ndarray], tracks: dict[str, np.ndarray],
    n_events: int, card: DetectorCard, flavour: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per jet (candidate mask, tag probability, tau charge) of :func:`tau_tag`: the random decision of
    :func:`tau_tag` and the truth tagging of :mod:`susyscan.detector.truthtag` share them."""
    tc = card.tautagging
    n_jets = len(jets.pt)
    ij, it = same_event_pairs(jets.event, tracks["event"], n_events)  # flat (jet, track) pairs of each event
    inside = delta_r(jets.eta[ij], jets.phi[ij], tracks["eta"][it], tracks["phi"][it]) < tc.track_dr
    n_tracks = np.bincount(ij[inside], minlength=n_jets)
    q_sum = np.bincount(ij[inside], weights=np.asarray(tracks["charge"])[it[inside]], minlength=n_jets)
    matched = any_within(jets, hadronic_taus["eta"], hadronic_taus["phi"], hadronic_taus["event"], n_events, tc.match_dr)
    eff = tau_tag_probability(jets.pt, jets.eta, n_tracks, matched,
                              np.full(len(jets.pt), "light", dtype=object) if flavour is None else flavour, card)
    candidate = (n_tracks >= 1) & (n_tracks <= tc.max_tracks) & (np.abs(jets.eta) < tc.eta_max)
    return candidate, eff, np.sign(q_sum).astype(np.int32)


def tau_tag_probability(pt: np.ndarray, eta: np.ndarray, n_tracks: np.ndarray, matched: np.ndarray,
                        flavour: np.ndarray, card: DetectorCard) -> np.ndarray:
    """Per jet the probability to be tagged as a tau: efficiency (true hadronic tau, ``matched``) or fake rate by
    jet ``flavour``, each for the prong class of ``n_tracks`` (1: ``1prong``, else ``multiprong``)."""
    from susyscan.detector.card import TAU_JET_FLAVOURS

    tc = card.tautagging
    pt = np.asarray(pt, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    one = np.asarray(n_tracks) == 1
    out = np.zeros(len(pt))
    for prongs, mask in (("1prong", one), ("multiprong", ~one)):
        sel = mask & matched
        out[sel] = tc.efficiency_of(prongs, pt[sel], eta[sel])
        for label in TAU_JET_FLAVOURS:
            sel = mask & ~matched & (flavour == label)
            if sel.any():
                out[sel] = tc.mistag_of(label, prongs, pt[sel], eta[sel])
    return out
