"""Training plots: loss history, ROC curve and weighted score distributions."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from susyscan.plotting.style import apply_style, plt, save_figure

logger = logging.getLogger(__name__)


def _save(fig: plt.Figure, path: str | Path) -> None:
    save_figure(fig, str(path))


def plot_loss(history: pd.DataFrame, path: str | Path, title: str = "", best_epoch: int | None = None) -> None:
    """Training and validation loss per epoch (``history`` columns epoch, train_loss, val_loss)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history["epoch"], history["train_loss"], label="training")
    ax.plot(history["epoch"], history["val_loss"], label="validation")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle="--", label=f"selected epoch {best_epoch}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="best")
    _save(fig, path)


def plot_roc(y_true: np.ndarray, scores: np.ndarray, path: str | Path, title: str = "") -> None:
    """ROC curve (unweighted, test set) with its AUC."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    auc = roc_auc_score(y_true, scores)
    apply_style()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"AUC = {auc:.4f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel("false positive rate (background)")
    ax.set_ylabel("true positive rate (signal)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    _save(fig, path)


def plot_scores(
    y_true: np.ndarray,
    scores: np.ndarray,
    weights: np.ndarray,
    path: str | Path,
    score_cut: float | None = None,
    title: str = "",
    bins: int = 40,
) -> None:
    """Score distributions of signal and background weighted to expected events (log scale)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, name in ((0, "background"), (1, "signal")):
        mask = np.asarray(y_true) == label
        ax.hist(scores[mask], bins=list(edges), weights=weights[mask], histtype="step", linewidth=1.5, label=name)
    if score_cut is not None:
        ax.axvline(score_cut, color="black", linestyle="--", label=f"cut {score_cut}")
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 30)  # room for the legend
    ax.set_xlabel("classifier score")
    ax.set_ylabel("expected events")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="upper center", ncols=3, fontsize="small")
    _save(fig, path)
