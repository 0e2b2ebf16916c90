"""Object-based missing-transverse-momentum significance, in the approximation of the public recasts.

ATLAS (ATLAS-CONF-2018-038) divides MET by the resolution of the MET computed from the resolutions of the
objects that build it. The recasts of arXiv:1908.08215 (CheckMATE 2, MadAnalysis 5; our reference
``resources/atlas_1908_08215/README_reference.md``) approximate the resolution by adding in quadrature a
relative resolution per lepton and per jet and a constant soft term:

    S = MET / sigma,   sigma^2 = sum_l (a_l pT_l)^2 + sum_j (a_j pT_j)^2 + sigma_soft^2

with a_l = 0.03, a_j = 0.08, sigma_soft = 8.9 GeV there. No maintained library computes it (ATLAS's tool
needs the full reconstruction), hence this small function.
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

logger = logging.getLogger(__name__)


def met_resolution(lepton_pt: ak.Array, jet_pt: ak.Array, lepton_rel: float, jet_rel: float,
                   soft_term_gev: float) -> np.ndarray:
    """Per-event sigma (GeV) from jagged lepton and jet pT arrays (the objects entering the MET)."""
    lep2 = ak.to_numpy(ak.sum((lepton_rel * lepton_pt) ** 2, axis=1)).astype(np.float64)
    jet2 = ak.to_numpy(ak.sum((jet_rel * jet_pt) ** 2, axis=1)).astype(np.float64)
    return np.sqrt(lep2 + jet2 + soft_term_gev**2)


def met_significance(met: np.ndarray, lepton_pt: ak.Array, jet_pt: ak.Array, lepton_rel: float = 0.03,
                     jet_rel: float = 0.08, soft_term_gev: float = 8.9) -> np.ndarray:
    """S = MET / sigma per event (dimensionless); sigma > 0 needs soft_term_gev > 0 or at least one object."""
    sigma = met_resolution(lepton_pt, jet_pt, lepton_rel, jet_rel, soft_term_gev)
    met = np.asarray(met, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sigma > 0.0, met / np.where(sigma > 0.0, sigma, 1.0), np.where(met > 0, np.inf, 0.0))
