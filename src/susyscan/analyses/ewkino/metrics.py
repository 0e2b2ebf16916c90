"""Weighted ROC AUC (the train/validation/test split is the shared ``susyscan.training.splitting.split_by_id``)."""

from __future__ import annotations

import numpy as np

from susyscan.errors import EmptySelectionError


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
