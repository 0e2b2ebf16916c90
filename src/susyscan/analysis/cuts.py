"""Evaluate the ordered preselection: per-cut masks, cumulative masks and weighted counts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from susyscan.analysis.config import Cut
from susyscan.analysis.expressions import evaluate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CutCount:
    """Events surviving all cuts up to and including one cut."""

    name: str
    label: str
    for_comparison_only: bool
    n_raw: int
    sumw: float
    sumw2: float


def cut_masks(cuts: list[Cut], variables: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """Boolean mask of each cut on its own (not cumulative)."""
    n_events = len(next(iter(variables.values()))) if variables else 0
    masks = []
    for cut in cuts:
        mask = np.broadcast_to(evaluate(cut.expr, variables, cut.name), (n_events,)).astype(bool)
        masks.append(mask)
    return masks


def cumulative(masks: list[np.ndarray]) -> list[np.ndarray]:
    """Running AND of the masks, in cut order."""
    return list(np.logical_and.accumulate(np.vstack(masks), axis=0)) if masks else []


def preselection_mask(cuts: list[Cut], masks: list[np.ndarray], n_events: int) -> np.ndarray:
    """AND of the cuts applied to the feature dataset (for_comparison_only cuts excluded)."""
    mask = np.ones(n_events, dtype=bool)
    for cut, cut_mask in zip(cuts, masks, strict=True):
        if not cut.for_comparison_only:
            mask &= cut_mask
    return mask


def comparison_mask(cuts: list[Cut], masks: list[np.ndarray], n_events: int) -> np.ndarray:
    """AND of the for_comparison_only cuts (all True when there are none)."""
    mask = np.ones(n_events, dtype=bool)
    for cut, cut_mask in zip(cuts, masks, strict=True):
        if cut.for_comparison_only:
            mask &= cut_mask
    return mask


def count(mask: np.ndarray, weights: np.ndarray) -> tuple[int, float, float]:
    """(n_raw, sum of weights, sum of weights^2) of the events in ``mask``."""
    selected = weights[mask]
    return int(mask.sum()), float(selected.sum()), float(np.square(selected).sum())


def cutflow_counts(cuts: list[Cut], masks: list[np.ndarray], weights: np.ndarray,
                   weights_from: tuple[int, np.ndarray] | None = None) -> list[CutCount]:
    """An 'initial' row plus one cumulative row per cut. ``weights_from = (index, later)``: the rows of the cuts from
    ``cuts[index]`` on count the weights ``later`` instead (a per-event factor that enters at that cut, e.g. the tau
    truth-tag P1 at ``n_taus == 1``, ``susyscan.analysis.tautruth``); one pass over the cumulative masks."""
    first, later = weights_from if weights_from is not None else (len(cuts), weights)
    rows = [CutCount("initial", "Initial", False, *count(np.ones(len(weights), dtype=bool), weights))]
    for index, (cut, mask) in enumerate(zip(cuts, cumulative(masks), strict=True)):
        rows.append(CutCount(cut.name, cut.label, cut.for_comparison_only,
                             *count(mask, later if index >= first else weights)))
    return rows
