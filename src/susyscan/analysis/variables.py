"""Event-level variables (features plus cut helpers) computed from the selected objects."""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from susyscan.analysis.features import FEATURES, SENTINEL
from susyscan.analysis.kinematics import invariant_mass_massless, mct_massless, mt2_massless_visible
from susyscan.analysis.leptau import LEPTAU_VARIABLES, leptau_variables

logger = logging.getLogger(__name__)

CUT_HELPERS: list[str] = [
    "n_taus", "n_photons", "n_leptons",
    "mu_charge_product",  # q(mu1) * q(mu2); 0 with fewer than two muons
    "sum_mu_pt",          # pT(mu1) + pT(mu2), missing muons count 0
    "jet1_pt_or0",        # leading-jet pT, 0 without jets (hadronic proxy of the dynamic vetoes)
]
EVENT_VARIABLES: list[str] = FEATURES + CUT_HELPERS + LEPTAU_VARIABLES
"""Every name a cut or baseline expression may use (``LEPTAU_VARIABLES``: one lepton + one hadronic tau,
:mod:`susyscan.analysis.leptau`; computed only when asked for, see :func:`event_variables`)."""


def leading(values: ak.Array, n: int) -> np.ndarray:
    """(n_events, n) float64 array of the first n entries per event, SENTINEL where missing."""
    padded = ak.fill_none(ak.pad_none(values, n, axis=1, clip=True), SENTINEL)
    return ak.to_numpy(padded).astype(np.float64).reshape(-1, n)


def event_variables(
    objects: dict[str, ak.Array], met: np.ndarray, met_phi: np.ndarray, mt2_invisible_mass: float = 0.0,
    events: ak.Array | None = None, leptau: bool = False,
) -> dict[str, np.ndarray]:
    """The EVENT_VARIABLES as float64 numpy arrays of length n_events; the ``LEPTAU_VARIABLES`` only with
    ``leptau`` (``events``: the event record, for the tau prong count and mass)."""
    out: dict[str, np.ndarray] = {}
    muons, electrons, jets = objects["muon"], objects["electron"], objects["jet"]
    out["n_electrons"] = ak.to_numpy(ak.num(electrons, axis=1)).astype(np.float64)
    out["n_muons"] = ak.to_numpy(ak.num(muons, axis=1)).astype(np.float64)
    out["n_jets"] = ak.to_numpy(ak.num(jets, axis=1)).astype(np.float64)
    for prefix, objs in (("jet", jets), ("ele", electrons), ("mu", muons)):
        for field in ("pt", "eta", "phi"):
            lead = leading(objs[field], 2)
            out[f"{prefix}1_{field}"] = lead[:, 0]
            out[f"{prefix}2_{field}"] = lead[:, 1]

    two_mu = out["n_muons"] >= 2
    # zeros instead of sentinels where a muon is missing, so no overflow; masked out below
    pt1, eta1, phi1 = (np.where(two_mu, out[f"mu1_{f}"], 0.0) for f in ("pt", "eta", "phi"))
    pt2, eta2, phi2 = (np.where(two_mu, out[f"mu2_{f}"], 0.0) for f in ("pt", "eta", "phi"))
    met = np.asarray(met, dtype=np.float64)
    met_phi = np.asarray(met_phi, dtype=np.float64)
    out["mll"] = np.where(two_mu, invariant_mass_massless(pt1, eta1, phi1, pt2, eta2, phi2), SENTINEL)
    out["mct"] = np.where(two_mu, mct_massless(pt1, phi1, pt2, phi2), SENTINEL)
    mt2_values = np.full(len(met), SENTINEL)
    if np.any(two_mu):
        mt2_values[two_mu] = mt2_massless_visible(
            pt1[two_mu], phi1[two_mu], pt2[two_mu], phi2[two_mu], met[two_mu], met_phi[two_mu],
            mt2_invisible_mass,
        )
    out["mt2"] = mt2_values
    out["met"] = met
    out["ht"] = ak.to_numpy(ak.sum(jets.pt, axis=1)).astype(np.float64)
    out["met_phi"] = met_phi

    charges = leading(muons.charge, 2)
    out["n_taus"] = ak.to_numpy(ak.num(objects["tau"], axis=1)).astype(np.float64)
    out["n_photons"] = ak.to_numpy(ak.num(objects["photon"], axis=1)).astype(np.float64)
    out["n_leptons"] = out["n_electrons"] + out["n_muons"]
    out["mu_charge_product"] = np.where(two_mu, charges[:, 0] * charges[:, 1], 0.0)
    out["sum_mu_pt"] = np.clip(out["mu1_pt"], 0.0, None) + np.clip(out["mu2_pt"], 0.0, None)
    out["jet1_pt_or0"] = np.where(out["n_jets"] > 0, out["jet1_pt"], 0.0)
    if leptau:
        out |= leptau_variables(objects, met, met_phi, events)
    return out
