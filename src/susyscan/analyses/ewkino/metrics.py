"""Weighted ROC AUC and the deterministic train/validation/test split."""

from __future__ import annotations

import numpy as np

from susyscan.errors import ConfigError, EmptySelectionError
from susyscan.training.folds import splitmix64 as _splitmix64

SPLIT_NAMES = ("train", "val", "test")


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under the ROC curve with event weights (``sklearn.metrics.roc_auc_score``; ties count one half)."""
    from sklearn.metrics import roc_auc_score

    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    weights = np.ones_like(scores) if weights is None else np.asarray(weights, dtype=np.float64)
    s_total, b_total = weights[labels].sum(), weights[~labels].sum()
    if s_total <= 0 or b_total <= 0:
        raise EmptySelectionError(f"AUC needs positive signal and background weight (got {s_total}, {b_total})")
    return float(roc_auc_score(labels, scores, sample_weight=weights))


def split_labels(chunk_key: np.ndarray, event: np.ndarray, fractions: tuple[float, float, float], seed: int) -> np.ndarray:
    """0/1/2 (train/val/test) per event from a hash of (chunk, event index, seed).

    The assignment of an event does not depend on which other files are loaded, so the training and
    the significance stage agree on which events are test events.
    """
    fractions_arr = np.asarray(fractions, dtype=np.float64)
    if fractions_arr.shape != (3,) or (fractions_arr < 0).any() or not np.isclose(fractions_arr.sum(), 1.0):
        raise ConfigError(f"split fractions {fractions} must be three non-negative numbers summing to 1")
    with np.errstate(over="ignore"):
        mixed = _splitmix64(chunk_key.astype(np.uint64) * np.uint64(1_000_003) + event.astype(np.uint64)
                            + _splitmix64(np.array([seed], dtype=np.uint64)))
    uniform = (mixed >> np.uint64(11)).astype(np.float64) / float(2**53)
    edges = np.cumsum(fractions_arr)[:2]
    return np.searchsorted(edges, uniform, side="right").astype(np.int8)
