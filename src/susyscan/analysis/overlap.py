"""Overlap removal between signal objects, in the order the smuon paper describes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import awkward as ak

from susyscan.analysis.kinematics import delta_r

if TYPE_CHECKING:
    from susyscan.analysis.config import OverlapRemoval

logger = logging.getLogger(__name__)


def _eta_phi(*collections: ak.Array) -> ak.Array:
    """Concatenate collections per event, keeping only eta and phi."""
    parts = [ak.zip({"eta": c.eta, "phi": c.phi}) for c in collections]
    return parts[0] if len(parts) == 1 else ak.concatenate(parts, axis=1)


def isolated_from(targets: ak.Array, others: ak.Array, dr_min: float) -> ak.Array:
    """Per-target boolean: True when no object of ``others`` lies within dR < dr_min."""
    pairs = ak.cartesian({"t": targets, "o": others}, axis=1, nested=True)
    dr = delta_r(pairs.t.eta, pairs.t.phi, pairs.o.eta, pairs.o.phi)
    return ak.all(dr >= dr_min, axis=-1)


def remove_overlaps(objects: dict[str, ak.Array], cones: OverlapRemoval) -> dict[str, ak.Array]:
    """Apply, in order: jets near muons/photons, jets near electrons/taus, electrons near the
    surviving jets, photons near the surviving electrons and muons. Returns a new dict."""
    out = dict(objects)
    jets = out["jet"]
    jets = jets[isolated_from(jets, _eta_phi(out["muon"], out["photon"]), cones.jet_muon_photon_dr)]
    jets = jets[isolated_from(jets, _eta_phi(out["electron"], out["tau"]), cones.jet_electron_tau_dr)]
    electrons = out["electron"]
    electrons = electrons[isolated_from(electrons, _eta_phi(jets), cones.electron_jet_dr)]
    photons = out["photon"]
    photons = photons[isolated_from(photons, _eta_phi(electrons, out["muon"]), cones.photon_lepton_dr)]
    out.update(jet=jets, electron=electrons, photon=photons)
    return out
