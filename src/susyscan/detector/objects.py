"""Electrons, muons and photons: identification efficiency and relative isolation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.kinematics import delta_r, same_event_pairs
from susyscan.detector.particles import PID_ELECTRON, PID_MUON, PID_PHOTON, FlatParticles


@dataclass
class RecoObjects:
    """Flat indices (into :class:`FlatParticles`) of reconstructed objects of one type, with isolation."""

    index: np.ndarray
    iso: np.ndarray
    isolated: np.ndarray
    stored: np.ndarray


def relative_isolation(p: FlatParticles, candidates: np.ndarray, card: DetectorCard) -> np.ndarray:
    """Scalar sum of smeared pT of other visible particles in dR < iso_cone, divided by the candidate pT."""
    if len(candidates) == 0:
        return np.zeros(0)
    iso_card = card.isolation
    pt_s = p.pt_smeared
    inputs = np.flatnonzero(
        p.visible & (pt_s > iso_card.iso_pt_min) & ~np.isin(np.abs(p.pid), np.asarray(iso_card.exclude_pids))
    )
    ia, ib = same_event_pairs(p.event[candidates], p.event[inputs], p.n_events)
    ci, oi = candidates[ia], inputs[ib]
    inside = (delta_r(p.eta[ci], p.phi[ci], p.eta[oi], p.phi[oi]) < iso_card.iso_cone) & (ci != oi)
    sum_pt = np.bincount(ia, weights=np.where(inside, pt_s[oi], 0.0), minlength=len(candidates))
    return sum_pt / np.maximum(pt_s[candidates], 1e-9)


def reconstruct(p: FlatParticles, kind: str, card: DetectorCard, uniform: np.ndarray) -> RecoObjects:
    """Electrons/muons (tracked, ID efficiency on smeared pT) or photons (ECal deposits of true photons)."""
    if kind == "electron":
        cand = (p.pf_class == PID_ELECTRON) & (np.abs(p.pid) == 11)
    elif kind == "muon":
        cand = p.pf_class == PID_MUON
    else:
        cand = (p.pf_class == PID_PHOTON) & (np.abs(p.pid) == 22)
    idx = np.flatnonzero(cand)
    eff = card.identification_efficiency[kind](p.pt_smeared[idx], p.eta[idx])
    idx = idx[uniform[idx] < eff]
    iso = relative_isolation(p, idx, card)
    isolated = iso <= card.isolation.ratio_max[kind]
    stored = isolated | card.isolation.store_nonisolated[kind]
    return RecoObjects(index=idx, iso=iso, isolated=isolated, stored=stored)


def object_branches(p: FlatParticles, reco: RecoObjects, prefix: str, with_charge: bool) -> dict[str, np.ndarray]:
    """Flat field arrays (stored objects only) for :func:`sorted_collection`."""
    idx = reco.index[reco.stored]
    fields: dict[str, np.ndarray] = {
        "pt": p.pt_smeared[idx].astype(np.float32),
        "eta": p.eta[idx].astype(np.float32),
        "phi": p.phi[idx].astype(np.float32),
    }
    if with_charge:
        fields["charge"] = np.rint(p.charge[idx]).astype(np.int32)
    fields["iso"] = reco.iso[reco.stored].astype(np.float32)
    return fields
