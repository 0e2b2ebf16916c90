"""Permutation importance: drop in weighted ROC AUC when a feature (or the PF block) is shuffled across events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.atomic import atomic_path, write_csv_atomic
from susyscan.training.importance import permuted_metrics
from susyscan.training.metrics import weighted_auc

logger = logging.getLogger(__name__)

PF_BLOCK = "pfcands (all)"
ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def permutation_importance(score_fn: ScoreFn, highlevel: np.ndarray, pfcands: np.ndarray, labels: np.ndarray,
                           weights: np.ndarray, feature_names: list[str], seed: int = 0, n_repeats: int = 3) -> pd.DataFrame:
    """Table ``feature, auc_drop, auc_drop_std, auc_nominal`` sorted by decreasing drop.

    Each high-level column, and the whole candidate block (rows shuffled across events), is permuted
    ``n_repeats`` times with a seeded generator (the shared ``susyscan.training.importance.permuted_metrics``).
    """
    def auc(blocks: tuple[np.ndarray, ...]) -> float:
        return weighted_auc(score_fn(*blocks), labels, weights)

    entries = [*((0, j) for j in range(len(feature_names))), (1, None)]
    nominal, aucs = permuted_metrics(auc, (highlevel, pfcands), entries, seed, n_repeats)
    rows = []
    for name, values in zip([*feature_names, PF_BLOCK], aucs, strict=True):
        drops = nominal - values
        rows.append({"feature": name, "auc_drop": float(np.mean(drops)), "auc_drop_std": float(np.std(drops)),
                     "auc_nominal": nominal})
    table = pd.DataFrame(rows).sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True)
    logger.info("nominal AUC %.4f; most important: %s", nominal, ", ".join(table["feature"].head(3)))
    return table


def plot_importance(table: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Horizontal bar plot of the AUC drops (written atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.25 * len(table) + 1.5))
    ordered = table.iloc[::-1]
    ax.barh(ordered["feature"], ordered["auc_drop"], xerr=ordered["auc_drop_std"], color="tab:blue")
    ax.set_xlabel("ROC AUC drop when permuted")
    ax.set_title(title)
    fig.tight_layout()
    suffix = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix)
    plt.close(fig)


def write_importance(table: pd.DataFrame, csv_path: str | Path, plot_path: str | Path | None = None, title: str = "") -> None:
    """CSV table and (optional) bar plot."""
    write_csv_atomic(table, csv_path, float_format="%.9g")
    if plot_path is not None:
        plot_importance(table, plot_path, title)
