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

    ``normal`` are standard-normal draws of the same shape. Computed in place on two arrays (the same operations as
    ``exp(normal * sqrt(s2) - 0.5 * s2)`` with ``s2 = log1p(sigma^2)``, bit for bit): for a chunk's ~10^6 particles
    each temporary is ~8 MB of fresh pages.
    """
    s2 = np.maximum(np.asarray(rel_sigma, dtype=np.float64), 0.0, out=np.empty(np.shape(rel_sigma)))
    np.log1p(np.square(s2, out=s2), out=s2)
    factor = np.sqrt(s2)
    factor *= normal
    factor -= np.multiply(s2, 0.5, out=s2)
    return np.exp(factor, out=factor)


def event_offsets(event_index: np.ndarray, n_events: int) -> np.ndarray:
    """List offsets (int64, length ``n_events + 1``) of flat objects ordered by their event index."""
    counts = np.bincount(event_index, minlength=n_events) if len(event_index) else np.zeros(n_events, np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def jagged_from_offsets(values: np.ndarray, offsets: np.ndarray) -> ak.Array:
    """One list per event of flat ``values`` (1-d) cut at ``offsets``: the layout ``ak.unflatten`` builds (a list
    offset array over the values), made directly."""
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != offsets[-1]:
        raise ValueError(f"jagged: {values.shape} values for offsets ending at {offsets[-1]}")
    return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets), ak.contents.NumpyArray(values)))


def jagged(values: np.ndarray, event_index: np.ndarray, n_events: int) -> ak.Array:
    """Group flat ``values`` (ordered by event) into one list per event."""
    return jagged_from_offsets(values, event_offsets(event_index, n_events))


def sorted_collection(
    prefix: str, fields: dict[str, np.ndarray], event_index: np.ndarray, n_events: int
) -> dict[str, ak.Array]:
    """Jagged branches ``{prefix}_{field}`` ordered per event by decreasing ``fields['pt']`` (equal pT: in their
    order), i.e. ``np.lexsort((-pt, event_index))``. Objects already ordered by event (every detector collection)
    are sorted within their events only (``ak.argsort``, stable): the same order, ~4x faster than the lexsort for a
    chunk's ~4e5 PF candidates (``benchmarks/results/detector_rest.md``). A NaN pT (never from the detector, whose
    collections pass pT thresholds) takes the lexsort, which puts it last as before; ak.argsort would put it first."""
    pt, event_index = np.asarray(fields["pt"]), np.asarray(event_index)
    if np.all(event_index[1:] >= event_index[:-1]) and not np.isnan(pt).any():
        offsets = event_offsets(event_index, n_events)
        within = ak.argsort(jagged_from_offsets(pt, offsets), ascending=False, stable=True)
        order = ak.to_numpy(ak.flatten(within, axis=1)) + np.repeat(offsets[:-1], np.diff(offsets))
    else:
        order = np.lexsort((-pt, event_index))
        offsets = event_offsets(event_index[order], n_events)
    return {f"{prefix}_{name}": jagged_from_offsets(np.asarray(values)[order], offsets)
            for name, values in fields.items()}


def same_event_pairs(event_a: np.ndarray, event_b: np.ndarray, n_events: int) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs ``(i, j)`` with ``event_a[i] == event_b[j]``, ordered by ``i`` then ``j``.

    Both event-index arrays are sorted (objects ordered by event, as everywhere in the detector). Flat numpy: the
    same pairs, in the same order, as ``ak.cartesian(..., nested=True)`` of the two jagged collections, without
    building the jagged arrays.
    """
    event_a = np.asarray(event_a, dtype=np.int64)
    count_b = np.bincount(np.asarray(event_b, dtype=np.int64), minlength=n_events)
    start_b = np.cumsum(count_b) - count_b
    per_a = count_b[event_a]
    total = int(per_a.sum())
    first = np.cumsum(per_a) - per_a  # position of each A object's first pair
    ia = np.repeat(np.arange(len(event_a)), per_a)
    ib = np.repeat(start_b[event_a] - first, per_a) + np.arange(total)
    return ia, ib


def any_near(
    eta_a: np.ndarray, phi_a: np.ndarray, ev_a: np.ndarray,
    eta_b: np.ndarray, phi_b: np.ndarray, ev_b: np.ndarray,
    n_events: int, max_dr: float,
) -> np.ndarray:
    """Per object of set A (flat, event-sorted), whether any object of set B in the same event lies within
    ``max_dr``."""
    ia, ib = same_event_pairs(ev_a, ev_b, n_events)
    close = delta_r(eta_a[ia], phi_a[ia], eta_b[ib], phi_b[ib]) < max_dr
    out = np.zeros(len(ev_a), dtype=bool)
    out[ia[close]] = True
    return out


def pairwise_min_dr_mask(
    eta_a: np.ndarray, phi_a: np.ndarray, ev_a: np.ndarray,
    eta_b: np.ndarray, phi_b: np.ndarray, ev_b: np.ndarray,
    n_events: int, max_dr: float,
) -> np.ndarray:
    """Per object of set A (flat), whether any object of set B in the same event lies within ``max_dr``."""
    return any_near(np.asarray(eta_a), np.asarray(phi_a), np.asarray(ev_a), np.asarray(eta_b), np.asarray(phi_b),
                    np.asarray(ev_b), n_events, max_dr)
