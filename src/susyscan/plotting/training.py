"""Training plots: loss history, ROC curve with the AUC and its MC uncertainty, weighted score distributions.

AUC uncertainty: the Hanley-McNeil (1982) standard error,
``SE^2 = [A(1-A) + (n_s - 1)(Q1 - A^2) + (n_b - 1)(Q2 - A^2)] / (n_s n_b)`` with ``Q1 = A/(2-A)``,
``Q2 = 2A^2/(1+A)``, where n_s and n_b are the effective numbers of signal and background MC events
(Kish: ``(sum w)^2 / sum w^2``; the raw counts for unweighted events).  It is the statistical uncertainty
from the finite MC test sample, not the spread between trainings.  For A = 1/2 it equals the exact
Mann-Whitney variance ``(n_s + n_b + 1) / (12 n_s n_b)``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from susyscan.plotting.style import apply_style, plt, save_figure

logger = logging.getLogger(__name__)

#: x-axis label and name of one step of the loss history per model type.
LOSS_STEPS: dict[str, tuple[str, str]] = {"nn": ("epoch", "epoch"), "bdt": ("boosting round", "round")}
SIGNAL_COLOUR = "#D55E00"
BACKGROUND_COLOUR = "#0072B2"


def _save(fig: plt.Figure, path: str | Path) -> None:
    save_figure(fig, str(path))


def loss_steps(model_type: str) -> tuple[str, str]:
    """(axis label, step name) of a model type's loss history: epochs for networks, boosting rounds for BDTs."""
    return LOSS_STEPS.get(model_type.lower(), ("epoch", "epoch"))


def plot_loss(history: pd.DataFrame, path: str | Path, title: str = "", best_epoch: int | None = None,
              model_type: str = "nn") -> None:
    """Write :func:`loss_figure` to ``path``."""
    _save(loss_figure(history, title, best_epoch, model_type), path)


def loss_figure(history: pd.DataFrame, title: str = "", best_epoch: int | None = None,
                model_type: str = "nn") -> plt.Figure:
    """Training and validation loss per step (``history`` columns epoch, train_loss, val_loss; with a ``member``
    column, one pair of curves per ensemble member): epochs for a network, boosting rounds for a BDT
    (``model_type``).  The loss axis starts at zero."""
    axis_label, step = loss_steps(model_type)
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 4))
    members = history.groupby("member", sort=True) if "member" in history.columns else [(None, history)]
    for k, (member, curve) in enumerate(members):
        suffix = "" if member is None else f" (member {member})"
        alpha = 1.0 if k == 0 else 0.5
        ax.plot(curve["epoch"], curve["train_loss"], label="training" + suffix, color=BACKGROUND_COLOUR, alpha=alpha)
        ax.plot(curve["epoch"], curve["val_loss"], label="validation" + suffix, color=SIGNAL_COLOUR, alpha=alpha)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle="--", label=f"selected {step} {best_epoch}")
    ax.set_xlabel(axis_label)
    ax.set_ylabel("binary cross-entropy")
    top = float(np.nanmax(history[["train_loss", "val_loss"]].to_numpy(float)))
    ax.set_ylim(0.0, 1.15 * top if math.isfinite(top) and top > 0 else 1.0)
    ax.set_xlim(left=0.0)
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="best")
    return fig


def effective_count(weights: np.ndarray) -> float:
    """Kish effective sample size ``(sum w)^2 / sum w^2`` (0 for no events)."""
    w = np.asarray(weights, float)
    denominator = float(np.square(w).sum())
    return float(w.sum()) ** 2 / denominator if denominator > 0 else 0.0


def hanley_mcneil_se(auc: float, n_signal: float, n_background: float) -> float:
    """Hanley-McNeil standard error of an AUC from ``n_signal`` and ``n_background`` (effective) events."""
    if n_signal <= 0 or n_background <= 0:
        return math.nan
    q1 = auc / (2.0 - auc)
    q2 = 2.0 * auc * auc / (1.0 + auc)
    variance = (auc * (1 - auc) + (n_signal - 1) * (q1 - auc * auc) + (n_background - 1) * (q2 - auc * auc)) / (
        n_signal * n_background)
    return math.sqrt(max(variance, 0.0))


@dataclass(frozen=True)
class AucResult:
    """AUC, its Hanley-McNeil MC uncertainty and the effective signal/background counts it used."""

    auc: float
    error: float
    n_signal: float
    n_background: float

    def label(self) -> str:
        digits = max(2, 1 - int(math.floor(math.log10(self.error)))) if self.error > 0 else 4
        return f"AUC = {self.auc:.{digits}f} ± {self.error:.{digits}f}"


def auc_with_uncertainty(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> AucResult:
    """ROC AUC (weighted when ``weights`` are given) with the Hanley-McNeil uncertainty on effective counts."""
    y = np.asarray(y_true).astype(int)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    auc = float(roc_auc_score(y, scores, sample_weight=weights))
    n_s, n_b = effective_count(w[y == 1]), effective_count(w[y == 0])
    return AucResult(auc, hanley_mcneil_se(auc, n_s, n_b), n_s, n_b)


def plot_roc(y_true: np.ndarray, scores: np.ndarray, path: str | Path, title: str = "") -> AucResult:
    """Write :func:`roc_figure` to ``path``; returns the AUC and its uncertainty."""
    fig, result = roc_figure(y_true, scores, title)
    _save(fig, path)
    return result


def roc_figure(y_true: np.ndarray, scores: np.ndarray, title: str = "") -> tuple[plt.Figure, AucResult]:
    """ROC curve (unweighted events) with its AUC ± Hanley-McNeil MC uncertainty; both axes in [0, 1]."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    result = auc_with_uncertainty(y_true, scores)
    apply_style()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, color=SIGNAL_COLOUR,
            label=f"{result.label()}\n(MC stat., Hanley-McNeil;\n{result.n_signal:.0f} sig., "
                  f"{result.n_background:.0f} bkg. events)")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("false positive rate (background)")
    ax.set_ylabel("true positive rate (signal)")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="lower right", fontsize="small")
    return fig, result


def plot_scores(
    y_true: np.ndarray,
    scores: np.ndarray,
    weights: np.ndarray,
    path: str | Path,
    score_cut: float | None = None,
    title: str = "",
    bins: int = 40,
    lumi_ifb: float | None = None,
) -> None:
    """Write :func:`scores_figure` to ``path``."""
    _save(scores_figure(y_true, scores, weights, score_cut, title, bins, lumi_ifb), path)


def scores_figure(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray, score_cut: float | None = None,
                  title: str = "", bins: int = 40, lumi_ifb: float | None = None) -> plt.Figure:
    """Score distributions of signal and background weighted to expected events at ``lumi_ifb`` (log scale),
    with the signal-region cut ``score_cut`` drawn when given."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    apply_style()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, name, colour in ((0, "background", BACKGROUND_COLOUR), (1, "signal", SIGNAL_COLOUR)):
        mask = np.asarray(y_true) == label
        ax.hist(scores[mask], bins=list(edges), weights=weights[mask], histtype="step", linewidth=1.5, label=name,
                color=colour)
    if score_cut is not None:
        ax.axvline(score_cut, color="black", linestyle="--", label=f"signal region: score > {score_cut:g}")
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 30)  # room for the legend
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("classifier score")
    ax.set_ylabel("expected events" + (f" / {lumi_ifb:g} fb$^{{-1}}$" if lumi_ifb is not None else ""))
    if lumi_ifb is not None:
        ax.text(0.98, 0.97, f"{lumi_ifb:g} fb$^{{-1}}$", transform=ax.transAxes, ha="right", va="top",
                fontsize="small", gid="lumi_label")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="upper left", ncols=1, fontsize="small")
    return fig
