"""Binary-classification metrics, the model-selection score (mean of F1, ROC AUC, precision, AUPRC) and the
event-weighted ROC AUC."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from susyscan.errors import EmptySelectionError

SELECTION_METRICS: tuple[str, ...] = ("f1", "roc_auc", "precision", "auprc")


def classification_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Unweighted metrics; F1/precision/recall/accuracy use ``scores >= threshold``."""
    y_true = np.asarray(y_true).astype(int)
    predicted = (np.asarray(scores) >= threshold).astype(int)
    both_classes = len(np.unique(y_true)) == 2
    return {
        "roc_auc": float(roc_auc_score(y_true, scores)) if both_classes else float("nan"),
        "auprc": float(average_precision_score(y_true, scores)) if both_classes else float("nan"),
        "f1": float(f1_score(y_true, predicted, zero_division=0)),
        "precision": float(precision_score(y_true, predicted, zero_division=0)),
        "recall": float(recall_score(y_true, predicted, zero_division=0)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "threshold": float(threshold),
    }


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under the ROC curve with event weights (``sklearn.metrics.roc_auc_score``; ties count one half);
    EmptySelectionError without positive signal and background weight."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    weights = np.ones_like(scores) if weights is None else np.asarray(weights, dtype=np.float64)
    s_total, b_total = weights[labels].sum(), weights[~labels].sum()
    if s_total <= 0 or b_total <= 0:
        raise EmptySelectionError(f"AUC needs positive signal and background weight (got {s_total}, {b_total})")
    return float(roc_auc_score(labels, scores, sample_weight=weights))


def selection_score(metrics: dict[str, float]) -> float:
    """Average of F1, ROC AUC, precision and AUPRC (the paper's best-model criterion)."""
    return float(np.mean([metrics[name] for name in SELECTION_METRICS]))


def bce_loss(y_true: np.ndarray, scores: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy of scores in [0, 1]."""
    p = np.clip(np.asarray(scores, dtype=float), eps, 1 - eps)
    y = np.asarray(y_true, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
