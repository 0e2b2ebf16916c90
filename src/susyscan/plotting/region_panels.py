"""Detail figure of one luminosity: one small panel per signal region (the best-region curve included).

Each panel shows the region's expected contour for every background scenario (solid: the headline scenario,
dashed: the others), the expected +-1 sigma band of the headline scenario, the grid points it excludes, the
kinematic limit, and a status line ("whole grid excluded: limit beyond grid", "nothing excluded") plus the
region's caveats (:mod:`susyscan.plotting.limit_caveats`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.patches import PathPatch

from susyscan.errors import EmptySelectionError
from susyscan.plotting.cls_surface import PlaneGrid, band_area, exclusion
from susyscan.plotting.headline import BAND_COLOUR
from susyscan.plotting.labels import Method, PlaneLabels
from susyscan.plotting.limit_caveats import limit_caveats
from susyscan.contracts import BEST
from susyscan.plotting.limit_rows import POINT_KEYS, main_scenario, values_on_grid
from susyscan.plotting.style import apply_style, plt

logger = logging.getLogger(__name__)

LINESTYLES = ("-", "--", ":", "-.")


def regions_figure(cls: pd.DataFrame, lumi: float, labels: PlaneLabels, methods: Sequence[Method],
                   sqrt_s_tev: float, scenario: str | None = None, level: float = 0.05,
                   ncols: int = 4) -> tuple[plt.Figure, dict[str, dict[str, str]]]:
    """The panels of every region at ``lumi``; returns the figure and region -> scenario -> exclusion status."""
    apply_style()
    rows = cls[np.isclose(cls["lumi_ifb"], lumi)]
    if rows.empty:
        raise EmptySelectionError(f"no CLs rows at {lumi:g}/fb")
    scenario = scenario or main_scenario(rows)
    scenarios = [scenario] + [s for s in dict.fromkeys(rows["scenario"]) if s != scenario]
    regions = [r for r in dict.fromkeys(rows["region"]) if r != BEST] + ([BEST] if (rows["region"] == BEST).any()
                                                                         else [])
    points = rows[POINT_KEYS].drop_duplicates().sort_values(POINT_KEYS).reset_index(drop=True)
    x_points = points["m_parent"].to_numpy()
    grid = PlaneGrid.try_build(x_points, points["m_lsp"].to_numpy())
    ncols = max(1, min(ncols, len(regions)))
    nrows = math.ceil(len(regions) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 3.1 * nrows + 0.8), sharex=True, sharey=True,
                             squeeze=False)
    status: dict[str, dict[str, str]] = {}
    x_max = float(points["m_parent"].max())
    y_top = max(float(points["m_lsp"].max()) * 1.15, 1.0)
    for ax, region in zip(axes.flat, regions):
        colour = next((m.colour for m in methods if m.owns(region)), "black")
        status[region] = {}
        for k, scen in enumerate(scenarios):
            sub = rows[(rows["region"] == region) & (rows["scenario"] == scen)]
            if sub.empty:
                continue
            result = exclusion(grid, values_on_grid(points, sub, "cls_exp"), level, x_points)
            status[region][scen] = result.status
            for line in result.lines:
                ax.plot(line[:, 0], line[:, 1], color=colour, ls=LINESTYLES[k % len(LINESTYLES)], lw=1.6, zorder=5,
                        label=scen if line is result.lines[0] else None)
            if k == 0:
                _main_scenario_layers(ax, grid, points, sub, result.excluded_points, level)
                if result.status == "all":
                    ax.text(0.5, 0.5, "whole grid excluded:\nlimit beyond grid", transform=ax.transAxes,
                            ha="center", va="center", fontsize="small", color=colour, gid="beyond_grid")
                elif result.status == "none":
                    ax.text(0.5, 0.5, "nothing excluded", transform=ax.transAxes, ha="center", va="center",
                            fontsize="small", color="0.4")
                caveats = limit_caveats(sub)
                if caveats:
                    ax.text(0.97, 0.03, "; ".join(c.kind.replace("_", " ") for c in caveats), transform=ax.transAxes,
                            ha="right", va="bottom", fontsize="xx-small", color="#8B0000", gid="caveat")
        ax.plot([0, x_max * 1.1], [0, x_max * 1.1], color="0.6", lw=0.8, ls="-.")
        ax.set_title("best region per point" if region == BEST else region, fontsize="small", color=colour)
        ax.tick_params(labelsize="x-small")
    for ax in list(axes.flat)[len(regions):]:
        ax.set_visible(False)
    span = x_max - float(points["m_parent"].min()) or 1.0
    axes[0, 0].set_xlim(max(0.0, float(points["m_parent"].min()) - 0.05 * span), x_max + 0.05 * span)
    axes[0, 0].set_ylim(0.0, y_top)
    for ax in axes[-1, :]:
        ax.set_xlabel(labels.x, fontsize="small")
    for ax in axes[:, 0]:
        ax.set_ylabel(labels.y, fontsize="small")
    styles = ", ".join(f"{s} {LINESTYLES[k % len(LINESTYLES)]!r}" for k, s in enumerate(scenarios))
    fig.suptitle(f"{labels.experiment} {labels.status}   √s = {sqrt_s_tev:g} TeV, {lumi:g} fb$^{{-1}}$   expected "
                 f"CLs = {level:g} per region; line styles: {styles}; band: ±1σ ({scenario}); "
                 "filled dots: excluded", fontsize="small", y=1 - 0.25 / (3.1 * nrows + 0.8))
    height = 3.1 * nrows + 0.8
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.55 / height + 0.02, top=1 - 0.75 / height, wspace=0.06,
                        hspace=0.18)  # fixed margins: tight_layout costs seconds per figure
    return fig, status


def _main_scenario_layers(ax: plt.Axes, grid: PlaneGrid | None, points: pd.DataFrame, rows: pd.DataFrame,
                          excluded: np.ndarray, level: float) -> None:
    if {"cls_exp_m1", "cls_exp_p1"} <= set(rows.columns):
        band = band_area(grid, values_on_grid(points, rows, "cls_exp_m1"), values_on_grid(points, rows, "cls_exp_p1"),
                         level)
        if band is not None:
            ax.add_patch(PathPatch(band, facecolor=BAND_COLOUR, edgecolor="none", alpha=0.8, zorder=2,
                                   gid="expected_band"))
    x, y = points["m_parent"].to_numpy(), points["m_lsp"].to_numpy()
    ax.plot(x[excluded], y[excluded], "o", color="0.15", ms=2.5, zorder=6, clip_on=False)
    ax.plot(x[~excluded], y[~excluded], "o", mfc="white", mec="0.45", ms=2.5, zorder=6, clip_on=False)
