"""Columnar kinematic helpers: angular distances, dilepton mass, mCT and mT2."""

from __future__ import annotations

import logging

import numpy as np
from mt2 import mt2 as _mt2

from susyscan.angles import delta_phi, delta_r

__all__ = ["delta_phi", "delta_r", "invariant_mass_massless", "mct_massless", "mt2_massless_visible"]

logger = logging.getLogger(__name__)




def invariant_mass_massless(
    pt1: np.ndarray, eta1: np.ndarray, phi1: np.ndarray,
    pt2: np.ndarray, eta2: np.ndarray, phi2: np.ndarray,
) -> np.ndarray:
    """Invariant mass of two massless objects: m^2 = 2 pT1 pT2 (cosh deta - cos dphi)."""
    m2 = 2.0 * pt1 * pt2 * (np.cosh(eta1 - eta2) - np.cos(phi1 - phi2))
    return np.sqrt(np.clip(m2, 0.0, None))


def mct_massless(pt1: np.ndarray, phi1: np.ndarray, pt2: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """Contransverse mass (Tovey 2008) of two massless visible objects:
    mCT^2 = 2 pT1 pT2 (1 + cos dphi)."""
    m2 = 2.0 * pt1 * pt2 * (1.0 + np.cos(phi1 - phi2))
    return np.sqrt(np.clip(m2, 0.0, None))


def mt2_massless_visible(
    pt1: np.ndarray, phi1: np.ndarray, pt2: np.ndarray, phi2: np.ndarray,
    met: np.ndarray, met_phi: np.ndarray, invisible_mass: float = 0.0,
) -> np.ndarray:
    """Stransverse mass of two massless visible legs and the MET, via the ``mt2`` package
    (Lester-Nachman bisection), with the same invisible-mass hypothesis on both legs."""
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite results are reported by the caller
        values = _mt2(
            0.0, pt1 * np.cos(phi1), pt1 * np.sin(phi1),
            0.0, pt2 * np.cos(phi2), pt2 * np.sin(phi2),
            met * np.cos(met_phi), met * np.sin(met_phi),
            invisible_mass, invisible_mass,
        )
    return np.asarray(values, dtype=np.float64)
