"""Parametric detector simulation: particle-level events -> reconstructed collections of the contract.

Choices (numbers in resources/detector/atlas.yaml, from the Delphes ATLAS card):

* Particles: invisible = neutrinos and the card's BSM invisibles, or |eta| > calo_eta_max. Charged
  particles inside the tracker that pass the tracking efficiency are tracks (momentum smearing);
  other e/gamma get the ECal resolution, other hadrons the HCal one (calorimeter-only, charge 0);
  muons without a track are lost. Smearing is log-normal (mean-preserving), as in Delphes.
* Electrons/muons: tracks of true e/mu passing the identification efficiency (on smeared pT);
  photons: ECal deposits of true photons passing the photon efficiency. Relative isolation = sum
  of smeared pT of visible non-e/mu particles with pT > iso_pt_min in dR < iso_cone, over the
  object pT. Non-isolated e/mu are kept (with iso) per card ``store_nonisolated``.
* Jets: anti-kt (fastjet, whole chunk at once) on visible particles with their true momenta,
  excluding all muons (card: jets from calorimeter towers, where muons deposit nothing) and the
  *isolated* reconstructed electrons and photons, and particles with true energy <= jets.input_energy_min
  (the card's tower EnergyMin; they stay in the MET soft term); each jet's four-momentum is then smeared with
  the card jet energy resolution; pT > jets.pt_min.
* b-tag: jet flavour from truth b (else c) quarks within match_dr (large-R jets: their R),
  efficiency formula per flavour. Tau tag: jets matched (dR < match_dr) to truth taus that have no
  hard final-state e/mu nearby (hadronic), with 1..max_tracks tracks in track_dr: efficiency by
  prong count (card formulas of pT, eta); unmatched jets get the fake rate of their flavour (b, c, light
  quark, gluon from the hard-process partons) and prong count. The tau object is the jet (pT, eta, phi).
* MET = -(sum of reconstructed muons + isolated electrons/photons + jets + soft term), the soft
  term being the smeared jet-input particles not in any jet and the tracks of muons that failed
  identification, with pT > met.soft_pt_min (see :func:`missing_et`).
* Track soft term (optional branches ``met_tst``, ``met_tst_phi``): the tracks among the MET soft-term particles
  (:func:`track_soft_term`).
* PF candidates: every visible particle after smearing with pT > pfcand_pt_min, classes 11, 13,
  211 (tracks), 22 (ECal), 130 (HCal).
"""

from __future__ import annotations

import copy
import logging
import time

import awkward as ak
import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.jets import FlatJets, btag, cluster, jet_flavour, tau_tag
from susyscan.detector.kinematics import delta_r, pt_eta_phi, same_event_pairs, sorted_collection
from susyscan.detector.objects import RecoObjects, object_branches, reconstruct
from susyscan.detector.particles import PID_MUON, FlatParticles, respond
from susyscan.detector.truthtag import TAU_TAG_WEIGHT, truth_tag_taus
from susyscan.errors import EventFileError

logger = logging.getLogger(__name__)

TRUTH_FIELDS = ("pid", "px", "py", "pz", "e", "mass", "status")
#: normals drawn per call when :func:`_reserve` skips a pool of them (bounded memory)
_SKIP_BLOCK = 1 << 16


def _reserve(rng: np.random.Generator, size: int, normal: bool) -> np.random.Generator:
    """A copy of ``rng`` at its current position, and ``rng`` moved on as if it had drawn a pool of ``size``
    uniforms (``rng.random``) or standard normals: the copy then draws any prefix of that pool, the same numbers,
    without the pool being made (simulate() drew one pool of ``n_particles + 1`` per jet collection and read one
    number per jet: ~8 MB each, and the page faults of allocating them). A uniform takes one 64-bit output of the
    bit generator; PCG64 (``default_rng``) and PCG64DXSM, whose ``advance(n)`` is exactly n outputs, are advanced
    when no half-used 32-bit output is buffered (``advance`` would discard it). Every other case (Philox, whose
    ``advance`` counts blocks of outputs, normals: ziggurat takes a varying number of outputs each) draws and drops
    in blocks."""
    reserved = copy.deepcopy(rng)
    bit_generator = rng.bit_generator
    if (not normal and isinstance(bit_generator, (np.random.PCG64, np.random.PCG64DXSM))
            and not bit_generator.state["has_uint32"]):
        bit_generator.advance(size)
        return reserved
    draw = rng.standard_normal if normal else rng.random
    for start in range(0, size, _SKIP_BLOCK):
        draw(min(_SKIP_BLOCK, size - start))
    return reserved


def _split(events: ak.Array) -> tuple[ak.Array, ak.Array | None, np.ndarray | None]:
    """Accept the full particle-level record (particles, truth, weight) or a bare particle collection."""
    fields = ak.fields(events)
    if "particles" in fields:
        truth = events["truth"] if "truth" in fields else None
        weight = ak.to_numpy(events["weight"]).astype(np.float64) if "weight" in fields else np.ones(len(events))
        return events["particles"], truth, weight
    if "pid" in fields:
        logger.warning("simulate() got bare particles without truth: no b/tau tagging; weight and truth branches "
                       "are left to the caller (pass the full particle-level record to avoid this)")
        return events, None, None
    raise EventFileError(f"particle-level events: expected fields 'particles', 'truth', 'weight', got {fields}")


def _flat_truth(truth: ak.Array | None, n_events: int) -> dict[str, np.ndarray]:
    """Flatten the truth collection (empty when absent) and add pt/eta/phi and the event index."""
    if truth is None:
        empty = np.zeros(0)
        return {"pid": empty.astype(np.int64), "pt": empty, "eta": empty, "phi": empty, "mass": empty,
                "status": empty.astype(np.int64), "event": empty.astype(np.int64)}
    missing = [f for f in TRUTH_FIELDS if f not in ak.fields(truth)]
    if missing:
        raise EventFileError(f"particle-level events: truth lacks field(s) {missing}")
    flat = {f: ak.to_numpy(ak.flatten(truth[f], axis=1)) for f in TRUTH_FIELDS}
    pt, eta, phi = pt_eta_phi(*(flat[k].astype(np.float64) for k in ("px", "py", "pz")))
    counts = ak.to_numpy(ak.num(truth, axis=1))
    return {"pid": flat["pid"].astype(np.int64), "pt": pt, "eta": eta, "phi": phi,
            "mass": flat["mass"].astype(np.float64), "status": flat["status"].astype(np.int64),
            "event": np.repeat(np.arange(n_events), counts)}


def _hadronic_taus(p: FlatParticles, truth: dict[str, np.ndarray], card: DetectorCard) -> dict[str, np.ndarray]:
    """Truth taus in acceptance without a hard final-state e/mu nearby (i.e. hadronic decays)."""
    tc = card.tautagging
    sel = np.flatnonzero((np.abs(truth["pid"]) == 15) & (truth["pt"] > tc.tau_pt_min) & (np.abs(truth["eta"]) < tc.eta_max))
    taus = {k: truth[k][sel] for k in ("eta", "phi", "pt", "event")}
    leptons = np.flatnonzero(np.isin(np.abs(p.pid), (11, 13)))
    it, il = same_event_pairs(taus["event"], p.event[leptons], p.n_events)  # flat (tau, lepton) pairs per event
    lep = leptons[il]
    close = (delta_r(taus["eta"][it], taus["phi"][it], p.eta[lep], p.phi[lep]) < tc.leptonic_dr) & (
        p.pt[lep] > tc.leptonic_fraction * taus["pt"][it])
    leptonic = np.zeros(len(sel), dtype=bool)
    leptonic[it[close]] = True
    return {k: v[~leptonic] for k, v in taus.items()}


def _jet_branches(prefix: str, jets: FlatJets, tag: np.ndarray, n_events: int) -> dict[str, ak.Array]:
    """Sorted jet branches ``{prefix}_pt/eta/phi/mass/btag``."""
    return sorted_collection(prefix, {
        "pt": jets.pt.astype(np.float32), "eta": jets.eta.astype(np.float32), "phi": jets.phi.astype(np.float32),
        "mass": jets.mass.astype(np.float32), "btag": tag.astype(np.int32)}, jets.event, n_events)


def missing_et(
    p: FlatParticles, muons: RecoObjects, electrons: RecoObjects, photons: RecoObjects, jets: FlatJets,
    calo_inputs: np.ndarray, card: DetectorCard,
) -> tuple[np.ndarray, np.ndarray]:
    """MET magnitude and azimuth per event: minus the vector sum of the visible event.

    Terms: identified muons (isolated or not), isolated electrons and photons, jets, and the soft term =
    smeared ``calo_inputs`` outside jets plus the tracks of muons that failed identification, each with
    pT > ``met.soft_pt_min``. ``calo_inputs`` are all jet-input candidates (visible, not muons, not isolated
    electrons/photons), including those below ``jets.input_energy_min`` that were not clustered: such a
    particle is in no jet, so it enters the soft term exactly as an unclustered particle does. A muon failing
    the identification efficiency is still a track (Delphes'
    MuonEfficiency only selects the Muon collection; the eflow MET of e.g. the CMS card keeps the track),
    so it balances the event instead of becoming missing momentum; only muons without a track (outside
    ``tracker_eta_max`` or lost by the tracking efficiency, see :func:`respond`) are missing. Muons are
    never jet inputs (they leave no calorimeter deposit), so every tracked muon is counted exactly once.
    The Delphes ATLAS card itself sums calorimeter towers for MET, missing every muon; we follow the
    eflow MET instead (docs/architecture.md).
    """
    n, n_particles = p.n_events, len(p.pid)
    spx, spy = p.px * p.scale, p.py * p.scale
    hard = np.concatenate([muons.index, electrons.index[electrons.isolated], photons.index[photons.isolated]])
    soft = np.zeros(n_particles, dtype=bool)
    soft[calo_inputs] = True
    soft[p.pf_class == PID_MUON] = True   # muon tracks ...
    soft[muons.index] = False             # ... that are not identified muons
    soft[jets.constituents] = False
    soft &= p.pt_smeared > card.met_soft_pt_min
    objs = np.concatenate([hard, np.flatnonzero(soft)])
    sum_px = np.bincount(p.event[objs], weights=spx[objs], minlength=n) + np.bincount(jets.event, weights=jets.px, minlength=n)
    sum_py = np.bincount(p.event[objs], weights=spy[objs], minlength=n) + np.bincount(jets.event, weights=jets.py, minlength=n)
    return np.hypot(sum_px, sum_py), np.arctan2(-sum_py, -sum_px)


def track_soft_term(
    p: FlatParticles, muons: RecoObjects, electrons: RecoObjects, photons: RecoObjects, jets: FlatJets,
    calo_inputs: np.ndarray, card: DetectorCard,
) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude and azimuth of the track soft term (TST): minus the vector sum of the soft-term particles of
    :func:`missing_et` that are tracks (charged, inside the tracker, passing the tracking efficiency), as the ATLAS
    track-based soft term; the neutral soft particles stay in the MET but not here."""
    n, n_particles = p.n_events, len(p.pid)
    soft = np.zeros(n_particles, dtype=bool)
    soft[calo_inputs] = True
    soft[p.pf_class == PID_MUON] = True
    soft[muons.index] = False
    soft[electrons.index[electrons.isolated]] = False
    soft[photons.index[photons.isolated]] = False
    soft[jets.constituents] = False
    soft &= p.tracked & (p.pt_smeared > card.met_soft_pt_min)
    idx = np.flatnonzero(soft)
    sum_px = np.bincount(p.event[idx], weights=(p.px * p.scale)[idx], minlength=n)
    sum_py = np.bincount(p.event[idx], weights=(p.py * p.scale)[idx], minlength=n)
    return np.hypot(sum_px, sum_py), np.arctan2(-sum_py, -sum_px)


def simulate(
    particles: ak.Array,
    card: DetectorCard,
    rng: np.random.Generator,
    large_jet_radius: float = 1.0,
    pfcand_pt_min: float = 1.0,
    tau_truth_tagging: bool = False,
) -> ak.Array:
    """Reconstruct a chunk of particle-level events; returns one record per event with the contract branches.

    ``particles`` is the particle-level array of the contract (fields ``particles``, ``truth``,
    ``weight``), or a bare particle collection: then there is no truth (no b/tau tags) and the
    ``weight`` and ``truth_*`` branches are omitted for the caller to add. ``tau_truth_tagging``: the tau
    collection by truth tagging (:mod:`susyscan.detector.truthtag`: at most one tau, factor branch
    ``tau_tag_weight``); one extra U(0, 1) per event is drawn last, so every other branch is unchanged.
    """
    start = time.perf_counter()
    parts, truth_raw, weight = _split(particles)
    p = respond(parts, card, rng)
    n, n_particles = p.n_events, len(p.pid)
    truth = _flat_truth(truth_raw, n)
    u_id = rng.random(n_particles)
    # pools of n_particles + 1 numbers each (one read per jet), in this order in the stream; drawn per jet below
    jet_normals = _reserve(rng, n_particles + 1, normal=True)
    large_normals = _reserve(rng, n_particles + 1, normal=True)
    u_btag = _reserve(rng, n_particles + 1, normal=False)
    u_large_btag = _reserve(rng, n_particles + 1, normal=False)
    u_tau = _reserve(rng, n_particles + 1, normal=False)

    electrons = reconstruct(p, "electron", card, u_id)
    muons = reconstruct(p, "muon", card, u_id)
    photons = reconstruct(p, "photon", card, u_id)

    removed = np.zeros(n_particles, dtype=bool)
    removed[electrons.index[electrons.isolated]] = True
    removed[photons.index[photons.isolated]] = True
    calo_inputs = np.flatnonzero(p.visible & (p.pf_class != PID_MUON) & ~removed)
    jc = card.jets
    jet_inputs = calo_inputs[p.e[calo_inputs] > jc.input_energy_min] if jc.input_energy_min > 0 else calo_inputs
    jets = cluster(jet_inputs, p.px, p.py, p.pz, p.e, p.event, n, jc.radius, jc.cluster_pt_min,
                   jc.pt_min, jc.eta_max, jc.energy_resolution, jet_normals)
    large = cluster(jet_inputs, p.px, p.py, p.pz, p.e, p.event, n, large_jet_radius, jc.cluster_pt_min,
                    jc.pt_min, jc.eta_max, jc.energy_resolution, large_normals, with_constituents=False)
    jet_btag = btag(jets, truth, n, card, card.btagging.match_dr, u_btag.random(len(jets.pt)))
    large_btag = btag(large, truth, n, card, large_jet_radius, u_large_btag.random(len(large.pt)))

    pt_s = p.pt_smeared
    track_idx = np.flatnonzero(p.tracked & (pt_s > card.tautagging.track_pt_min))
    tracks = {"eta": p.eta[track_idx], "phi": p.phi[track_idx], "event": p.event[track_idx],
              "charge": p.pf_charge[track_idx]}
    hadronic, flavour = _hadronic_taus(p, truth, card), jet_flavour(jets, truth, n, card)
    if tau_truth_tagging:
        tau_tagged, tau_charge, tau_weight = truth_tag_taus(jets, hadronic, tracks, n, card, flavour, rng.random(n))
    else:
        tau_tagged, tau_charge = tau_tag(jets, hadronic, tracks, n, card, u_tau.random(len(jets.pt)), flavour)

    met, met_phi = missing_et(p, muons, electrons, photons, jets, calo_inputs, card)
    tst, tst_phi = track_soft_term(p, muons, electrons, photons, jets, calo_inputs, card)

    pf = np.flatnonzero(p.visible & (p.pf_class > 0) & (pt_s > pfcand_pt_min))
    branches: dict[str, ak.Array | np.ndarray] = {}
    if weight is not None:
        branches["weight"] = weight.astype(np.float64)
    branches |= sorted_collection("electron", object_branches(p, electrons, "electron", True), p.event[electrons.index[electrons.stored]], n)
    branches |= sorted_collection("muon", object_branches(p, muons, "muon", True), p.event[muons.index[muons.stored]], n)
    branches |= sorted_collection("photon", object_branches(p, photons, "photon", False), p.event[photons.index[photons.stored]], n)
    branches |= sorted_collection("tau", {
        "pt": jets.pt[tau_tagged].astype(np.float32), "eta": jets.eta[tau_tagged].astype(np.float32),
        "phi": jets.phi[tau_tagged].astype(np.float32), "charge": tau_charge[tau_tagged]}, jets.event[tau_tagged], n)
    branches |= _jet_branches("jet", jets, jet_btag, n)
    branches |= _jet_branches("largejet", large, large_btag, n)
    branches["met"] = met.astype(np.float32)
    branches["met_phi"] = met_phi.astype(np.float32)
    branches["met_tst"] = tst.astype(np.float32)
    branches["met_tst_phi"] = tst_phi.astype(np.float32)
    if tau_truth_tagging:
        branches[TAU_TAG_WEIGHT] = tau_weight
    branches |= sorted_collection("pfcand", {
        "pt": pt_s[pf].astype(np.float32), "eta": p.eta[pf].astype(np.float32), "phi": p.phi[pf].astype(np.float32),
        "charge": p.pf_charge[pf], "pid": p.pf_class[pf].astype(np.int32)}, p.event[pf], n)
    if truth_raw is not None:
        branches |= sorted_collection("truth", {
            "pid": truth["pid"].astype(np.int32), "pt": truth["pt"].astype(np.float32),
            "eta": truth["eta"].astype(np.float32), "phi": truth["phi"].astype(np.float32),
            "mass": truth["mass"].astype(np.float32), "status": truth["status"].astype(np.int32)}, truth["event"], n)
    result = ak.zip(branches, depth_limit=1)
    elapsed = time.perf_counter() - start
    logger.info("simulated %d events (%d particles) in %.2f s (%.0f events/s)", n, n_particles, elapsed, n / max(elapsed, 1e-9))
    return result
