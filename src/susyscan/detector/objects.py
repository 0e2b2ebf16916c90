"""Electrons, muons and photons: identification efficiency and relative isolation."""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.kinematics import delta_r, jagged
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
    n = p.n_events
    cand = ak.zip({"eta": jagged(p.eta[candidates], p.event[candidates], n),
                   "phi": jagged(p.phi[candidates], p.event[candidates], n),
                   "idx": jagged(candidates, p.event[candidates], n)})
    other = ak.zip({"eta": jagged(p.eta[inputs], p.event[inputs], n),
                    "phi": jagged(p.phi[inputs], p.event[inputs], n),
                    "pt": jagged(pt_s[inputs], p.event[inputs], n),
                    "idx": jagged(inputs, p.event[inputs], n)})
    pairs = ak.cartesian({"c": cand, "o": other}, nested=True)
    inside = (delta_r(pairs.c.eta, pairs.c.phi, pairs.o.eta, pairs.o.phi) < iso_card.iso_cone) & (pairs.c.idx != pairs.o.idx)
    sum_pt = ak.to_numpy(ak.flatten(ak.sum(ak.where(inside, pairs.o.pt, 0.0), axis=2), axis=1))
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
