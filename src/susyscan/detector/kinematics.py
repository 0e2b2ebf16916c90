"""Flat (numpy) kinematics helpers shared by the detector modules."""

from __future__ import annotations

import awkward as ak
import numpy as np

from susyscan.angles import delta_phi, delta_r

__all__ = ["delta_phi", "delta_r"]  # re-exported for the detector modules; defined once in susyscan.angles


def pt_eta_phi(px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transverse momentum, pseudorapidity (+-1e3 along the beam) and azimuth."""
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.where(pt > 0, np.arcsinh(pz / np.where(pt > 0, pt, 1.0)), np.copysign(1e3, pz))
    return pt, eta, np.arctan2(py, px)


def mass(e: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> np.ndarray:
    """Invariant mass, clipped at zero for rounding."""
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))




def lognormal_factor(rel_sigma: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Multiplicative smearing factor with mean 1 and relative width ``rel_sigma`` (Delphes LogNormal).

    ``normal`` are standard-normal draws of the same shape.
    """
    s2 = np.log1p(np.square(np.maximum(rel_sigma, 0.0)))
    return np.exp(normal * np.sqrt(s2) - 0.5 * s2)


def jagged(values: np.ndarray, event_index: np.ndarray, n_events: int) -> ak.Array:
    """Group flat ``values`` (ordered by event) into one list per event."""
    counts = np.bincount(event_index, minlength=n_events) if len(event_index) else np.zeros(n_events, np.int64)
    return ak.unflatten(np.asarray(values), counts)


def sorted_collection(
    prefix: str, fields: dict[str, np.ndarray], event_index: np.ndarray, n_events: int
) -> dict[str, ak.Array]:
    """Jagged branches ``{prefix}_{field}`` ordered per event by decreasing ``fields['pt']``."""
    order = np.lexsort((-np.asarray(fields["pt"]), event_index))
    ev = event_index[order]
    return {f"{prefix}_{name}": jagged(np.asarray(values)[order], ev, n_events) for name, values in fields.items()}


def pairwise_min_dr_mask(
    eta_a: np.ndarray, phi_a: np.ndarray, ev_a: np.ndarray,
    eta_b: np.ndarray, phi_b: np.ndarray, ev_b: np.ndarray,
    n_events: int, max_dr: float,
) -> np.ndarray:
    """Per object of set A (flat), whether any object of set B in the same event lies within ``max_dr``."""
    a = ak.zip({"eta": jagged(eta_a, ev_a, n_events), "phi": jagged(phi_a, ev_a, n_events)})
    b = ak.zip({"eta": jagged(eta_b, ev_b, n_events), "phi": jagged(phi_b, ev_b, n_events)})
    pairs = ak.cartesian({"a": a, "b": b}, nested=True)
    dr = delta_r(pairs.a.eta, pairs.a.phi, pairs.b.eta, pairs.b.phi)
    return ak.to_numpy(ak.flatten(ak.any(dr < max_dr, axis=2), axis=1)).astype(bool)
