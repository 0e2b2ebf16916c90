"""Cutflow plot: luminosity-scaled yield after each cut, one line per process/signal sample."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.plotting.style import apply_style, plt, save_figure

logger = logging.getLogger(__name__)


def plot_cutflow(long: pd.DataFrame, out_path: str | Path, lumi_ifb: float) -> None:
    """Plot ``long`` (from ``susyscan.analysis.cutflow.cutflow_yields``) as step lines with MC-stat
    bands on a log scale; backgrounds solid, signals dashed."""
    apply_style()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    labels = long.drop_duplicates("order").sort_values("order")
    x = np.arange(len(labels))
    for group, part in long.groupby("group", sort=False):
        part = part.sort_values("order")
        y = part["yield"].to_numpy()
        err = part["stat"].to_numpy()
        style = "--" if int(part["is_signal"].iloc[0]) else "-"
        floor = np.where(y > 0, y, np.nan)
        line = ax.plot(x, floor, style, marker="o", ms=3, label=str(group))[0]
        ax.fill_between(x, np.clip(y - err, 1e-3, None), y + err, color=line.get_color(), alpha=0.2, step=None)
    tick_labels = [lab + (" (*)" if comp else "") for lab, comp in zip(labels["label"], labels["for_comparison_only"])]
    ax.set_xticks(x, tick_labels, rotation=35, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(f"Events / {lumi_ifb:g} fb$^{{-1}}$")
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Cutflow ((*) comparison-only)", fontsize=10)
    save_figure(fig, str(out_path))
    logger.info("wrote cutflow plot %s", out_path)
