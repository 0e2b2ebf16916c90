"""Cutflow plot: luminosity-scaled yield after each cut, one line per process and for a few signal points.

Backgrounds are solid lines in distinct qualitative colours; signals dashed, coloured along a sequential map
(so no two share a colour).  With more than ``max_signals`` signal points only that many are drawn, chosen
evenly in final yield (the legend says how many of how many; the table has them all).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from susyscan.plotting.style import apply_style, plt, save_figure

logger = logging.getLogger(__name__)

#: Okabe-Ito and Tol colours for backgrounds (colour-blind safe, distinct; no orange or purple, which the signals use).
BACKGROUND_COLOURS = ("#0072B2", "#009E73", "#000000", "#56B4E9", "#999999", "#117733", "#332288")
SIGNAL_COLOURMAP = "plasma"
MAX_SIGNALS = 6


def shown_signals(long: pd.DataFrame, max_signals: int = MAX_SIGNALS) -> list[str]:
    """Signal groups to draw: all if at most ``max_signals``, else ``max_signals`` spread evenly over the
    groups sorted by their yield after the last cut (largest first)."""
    signal = long[long["is_signal"].astype(int) == 1]
    last = signal.sort_values("order").groupby("group", sort=False)["yield"].last().sort_values(ascending=False)
    groups = list(last.index)
    if len(groups) <= max_signals:
        return groups
    picks = np.unique(np.round(np.linspace(0, len(groups) - 1, max_signals)).astype(int))
    return [groups[i] for i in picks]


def group_colours(backgrounds: list[str], signals: list[str]) -> dict[str, str]:
    """Distinct colours: qualitative for backgrounds, a sequential map sampled evenly for signals."""
    if len(backgrounds) > len(BACKGROUND_COLOURS):
        extra = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]
        palette = list(BACKGROUND_COLOURS) + [to_hex(c) for c in extra]
    else:
        palette = list(BACKGROUND_COLOURS)
    colours = {name: palette[i % len(palette)] for i, name in enumerate(backgrounds)}
    cmap = plt.get_cmap(SIGNAL_COLOURMAP)
    for i, name in enumerate(signals):
        colours[name] = to_hex(cmap(0.05 + 0.7 * i / max(len(signals) - 1, 1)))
    return colours


def plot_cutflow(long: pd.DataFrame, out_path: str | Path, lumi_ifb: float, max_signals: int = MAX_SIGNALS) -> None:
    """Write :func:`cutflow_figure` to ``out_path``."""
    save_figure(cutflow_figure(long, lumi_ifb, max_signals), str(out_path))
    logger.info("wrote cutflow plot %s", out_path)


def cutflow_figure(long: pd.DataFrame, lumi_ifb: float, max_signals: int = MAX_SIGNALS) -> plt.Figure:
    """Plot ``long`` (from ``susyscan.analysis.cutflow.cutflow_yields``) as lines with MC-stat bands on a log
    scale; backgrounds solid, signals dashed (at most ``max_signals`` of them)."""
    apply_style()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    labels = long.drop_duplicates("order").sort_values("order")
    x = np.arange(len(labels))
    is_signal = long.groupby("group", sort=False)["is_signal"].first().astype(int)
    backgrounds = [g for g, s in is_signal.items() if not s]
    all_signals = [g for g, s in is_signal.items() if s]
    signals = shown_signals(long, max_signals)
    colours = group_colours(backgrounds, signals)
    for group in backgrounds + signals:
        part = long[long["group"] == group].sort_values("order")
        y = part["yield"].to_numpy(float)
        err = part["stat"].to_numpy(float)
        positive = y > 0
        style = "--" if group in signals else "-"
        ax.plot(x, np.where(positive, y, np.nan), style, marker="o", ms=3, label=str(group), color=colours[group])
        ax.fill_between(x, np.clip(y - err, 1e-3 * y, None), y + err, where=positive, color=colours[group],
                        alpha=0.2, lw=0)
    tick_labels = [lab + (" (*)" if comp else "") for lab, comp in zip(labels["label"], labels["for_comparison_only"])]
    ax.set_xticks(x, tick_labels, rotation=35, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(f"Events / {lumi_ifb:g} fb$^{{-1}}$")
    title = "Cutflow ((*) comparison-only)"
    if len(signals) < len(all_signals):
        title += f"; {len(signals)} of {len(all_signals)} signal points shown (all in the cutflow table)"
        logger.info("cutflow plot: %d of %d signal points drawn: %s", len(signals), len(all_signals), signals)
    ax.legend(fontsize=8, ncol=2, loc="lower left")
    ax.set_title(title, fontsize=10)
    return fig
