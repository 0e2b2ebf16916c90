"""The headline limit figure of one luminosity, in the style of an ATLAS/CMS SUSY summary plot.

One curve per method (its region of lowest expected CLs at each grid point), the best region per point in
black (dashed: these are expected limits) with its expected +-1 sigma band in yellow, the area it excludes
shaded, the grid points marked excluded / not excluded by it, the kinematic limit labelled, and "beyond grid"
written where a curve excludes the whole grid or reaches its heaviest points.  Caveats from the statistics
stage (:mod:`susyscan.plotting.limit_caveats`) are written in a box under the plot.  All text comes from a
:class:`~susyscan.plotting.labels.PlaneLabels`; curves from :class:`~susyscan.plotting.labels.Method`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from susyscan.errors import EmptySelectionError
from susyscan.plotting.cls_surface import Exclusion, PlaneGrid, band_area, exclusion
from susyscan.plotting.labels import Method, PlaneLabels, assign_methods
from susyscan.plotting.limit_caveats import Caveat, limit_caveats
from susyscan.contracts import BEST, CLS_LEVEL
from susyscan.plotting.limit_rows import POINT_KEYS, best_per_point, main_scenario, values_on_grid
from susyscan.plotting.style import apply_style, plt

if TYPE_CHECKING:
    import matplotlib.axes
    import matplotlib.figure

logger = logging.getLogger(__name__)

BAND_COLOUR = "#FFDF00"
EXCLUDED_COLOUR = "#9ecae1"
#: Below this many grid points the figure says that its contours are straight-line interpolations.
COARSE_GRID_POINTS = 20


@dataclass
class HeadlineFigure:
    """The figure and what it shows (for tests and logs)."""

    figure: matplotlib.figure.Figure
    scenario: str
    curves: dict[str, Exclusion]
    regions_used: dict[str, list[str]]
    best: Exclusion
    band: MplPath | None
    caveats: list[Caveat] = field(default_factory=list)
    beyond_grid: list[str] = field(default_factory=list)


def headline_figure(cls: pd.DataFrame, lumi: float, labels: PlaneLabels, methods: Sequence[Method],
                    sqrt_s_tev: float, scenario: str | None = None, level: float = CLS_LEVEL,
                    notes: Sequence[str] = ()) -> HeadlineFigure:
    """Draw the headline figure of ``cls`` (``cls.csv`` rows) at ``lumi`` for ``scenario`` (default
    :func:`main_scenario`); ``notes`` are extra caveat lines (e.g. that the run is demo-sized)."""
    apply_style()
    at_lumi = cls[np.isclose(cls["lumi_ifb"], lumi)]
    if at_lumi.empty:
        raise EmptySelectionError(f"no CLs rows at {lumi:g}/fb")
    scenario = scenario or main_scenario(at_lumi)
    rows = at_lumi[at_lumi["scenario"] == scenario]
    if rows.empty:
        raise EmptySelectionError(f"no CLs rows for scenario {scenario!r} at {lumi:g}/fb")
    regions = [r for r in dict.fromkeys(rows["region"]) if r != BEST]
    by_method = assign_methods(methods, regions)
    points = rows[POINT_KEYS].drop_duplicates().sort_values(POINT_KEYS).reset_index(drop=True)
    x_points = points["m_parent"].to_numpy()
    grid = PlaneGrid.try_build(x_points, points["m_lsp"].to_numpy())

    fig, ax = plt.subplots(figsize=(8.5, 7.0))
    x_max = _frame(ax, points, labels)

    best_rows = best_per_point(rows, regions)
    best = exclusion(grid, values_on_grid(points, best_rows, "cls_exp"), level, x_points)
    band = None
    if {"cls_exp_m1", "cls_exp_p1"} <= set(best_rows.columns):
        band = band_area(grid, values_on_grid(points, best_rows, "cls_exp_m1"),
                         values_on_grid(points, best_rows, "cls_exp_p1"), level)
    handles: list[object] = []
    if best.area is not None:
        ax.add_patch(PathPatch(best.area, facecolor=EXCLUDED_COLOUR, edgecolor="none", alpha=0.35, zorder=1,
                               gid="excluded_area"))
    if band is not None:
        ax.add_patch(PathPatch(band, facecolor=BAND_COLOUR, edgecolor="none", alpha=0.9, zorder=2, gid="expected_band"))
    for line in best.lines:
        ax.plot(line[:, 0], line[:, 1], color="black", ls="--", lw=2.5, zorder=6, gid="best_line")
    handles.append((Patch(facecolor=BAND_COLOUR), Line2D([], [], color="black", ls="--", lw=2.5)))
    labels_out = [r"Best region per point, expected $\pm 1\sigma_{\mathrm{exp}}$"]

    curves: dict[str, Exclusion] = {}
    used: dict[str, list[str]] = {}
    relied = [best_rows]
    beyond: list[str] = []
    for method in methods:
        own = by_method[method.name]
        if not own:
            continue
        chosen = best_per_point(rows, own)
        relied.append(chosen)
        result = exclusion(grid, values_on_grid(points, chosen, "cls_exp"), level, x_points)
        curves[method.name] = result
        used[method.name] = list(dict.fromkeys(chosen["region"]))
        labels_out.append(_draw_method(ax, grid, method, len(own), result))
        handles.append(Line2D([], [], color=method.colour, lw=2.0))
        if result.status == "all" or result.edge:
            beyond.append(method.name)
    if best.status == "all" or best.edge:
        beyond.append(BEST)
    if beyond:
        _beyond_grid_arrow(ax, points, curves, best, x_max)

    _grid_points(ax, points, best.excluded_points, handles, labels_out)
    other = _other_scenarios(ax, at_lumi, scenario, regions, points, grid, level, handles, labels_out)
    ax.legend(handles, labels_out, loc="upper left", bbox_to_anchor=(0.01, 0.775), fontsize="x-small", frameon=False,  # type: ignore[call-overload]
              handler_map={tuple: HandlerTuple(ndivide=1)})
    rel = float(rows["bkg_rel_unc"].max()) if "bkg_rel_unc" in rows.columns else math.nan
    _header(ax, labels, lumi, sqrt_s_tev, level, scenario, rel)
    caveats = limit_caveats(pd.concat(relied, ignore_index=True))
    if grid is None:
        caveats.append(Caveat("no_surface", (), f"{len(points)} grid point(s), not spanning a plane: no contours"))
    elif len(points) < COARSE_GRID_POINTS:
        caveats.append(Caveat("coarse_grid", (), f"only {len(points)} grid points: contours interpolate linearly "
                                                  "between distant points"))
    _caveat_box(ax, [c.text for c in caveats] + list(notes))
    logger.info("headline %g/fb (%s): %s; best region %s%s", lumi, scenario,
                {m: c.status + (" edge" if c.edge else "") for m, c in curves.items()}, best.status,
                f"; other scenarios {other}" if other else "")
    return HeadlineFigure(fig, scenario, curves, used, best, band, caveats, beyond)


def _draw_method(ax: matplotlib.axes.Axes, grid: PlaneGrid | None, method: Method, n_regions: int,
                 result: Exclusion) -> str:
    """Draw one method's curve (or, when it excludes everything, the grid's outline hatched); return its label."""
    for line in result.lines:
        ax.plot(line[:, 0], line[:, 1], color=method.colour, lw=2.0, zorder=5, gid=f"curve:{method.name}")
    label = method.name + (f" ({n_regions} regions)" if n_regions > 1 else "")
    if result.status == "all":
        path = grid.hull_path() if grid is not None else None
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor="none", edgecolor=method.colour, hatch="//", lw=1.5, zorder=4,
                                   gid=f"whole_grid:{method.name}"))
        return label + ": whole grid excluded, limit beyond grid"
    if result.status == "none":
        return label + ": nothing excluded"
    return label + (": beyond grid at high mass" if result.edge else "")


def _frame(ax: matplotlib.axes.Axes, points: pd.DataFrame, labels: PlaneLabels) -> float:
    """Axes, limits, the kinematically forbidden area and the labelled kinematic limit; returns the largest
    m_parent of the grid."""
    x_min, x_max = float(points["m_parent"].min()), float(points["m_parent"].max())
    y_max = float(points["m_lsp"].max())
    span = x_max - x_min or 1.0
    left, right = max(0.0, x_min - 0.05 * span), x_max + 0.05 * span
    # room for the header and legend above the grid (in the kinematically forbidden area)
    y_top = y_max * 1.75 if y_max > 0 else 0.6 * right
    ax.set_xlim(left, right)
    ax.set_ylim(0.0, y_top)
    ax.set_xlabel(labels.x)
    ax.set_ylabel(labels.y)
    diagonal = np.array([left, right])
    ax.fill_between(diagonal, diagonal, y_top, color="0.93", zorder=0, lw=0)
    ax.plot(diagonal, diagonal, color="0.55", lw=1.0, ls="-.", zorder=1, gid="kinematic_limit")
    x_text = 0.97 * min(right, y_top)
    ax.text(x_text, x_text, labels.kinematic_limit + "  ", rotation=45, rotation_mode="anchor",
            transform_rotates_text=True, ha="right", va="bottom", fontsize="small", color="0.45",
            gid="kinematic_label")
    return x_max


def _beyond_grid_arrow(ax: matplotlib.axes.Axes, points: pd.DataFrame, curves: dict[str, Exclusion],
                       best: Exclusion, x_max: float) -> None:
    """An arrow past the heaviest grid points, at the highest LSP mass still excluded there by any curve."""
    heaviest = np.isclose(points["m_parent"].to_numpy(), x_max)
    y = points["m_lsp"].to_numpy()
    excluded = np.zeros(len(points), bool)
    for result in [best, *curves.values()]:
        excluded |= result.excluded_points
    y_arrow = float(np.max(y[heaviest & excluded])) if (heaviest & excluded).any() else float(y.mean())
    right = ax.get_xlim()[1]
    ax.annotate("", xy=(right, y_arrow), xytext=(x_max, y_arrow), zorder=8,
                arrowprops=dict(arrowstyle="-|>", color="0.2", lw=1.5))
    ax.text(right, y_arrow, "beyond grid ", ha="right", va="bottom", fontsize="x-small", color="0.2", zorder=8,
            gid="beyond_grid")


def _grid_points(ax: matplotlib.axes.Axes, points: pd.DataFrame, excluded: np.ndarray, handles: list[object],
                 labels_out: list[str]) -> None:
    x, y = points["m_parent"].to_numpy(), points["m_lsp"].to_numpy()
    ax.plot(x[excluded], y[excluded], "o", color="0.15", ms=4, zorder=7, clip_on=False, gid="points_excluded")
    ax.plot(x[~excluded], y[~excluded], "o", mfc="white", mec="0.35", ms=4, zorder=7, clip_on=False,
            gid="points_not_excluded")
    handles += [Line2D([], [], marker="o", ls="", color="0.15", ms=4),
                Line2D([], [], marker="o", ls="", mfc="white", mec="0.35", ms=4)]
    labels_out += ["grid point excluded (best region)", "grid point not excluded"]


def _other_scenarios(ax: matplotlib.axes.Axes, rows: pd.DataFrame, scenario: str, regions: Sequence[str],
                     points: pd.DataFrame, grid: PlaneGrid | None, level: float, handles: list[object],
                     labels_out: list[str]) -> dict[str, str]:
    """The best-region line of each other scenario, thin and dotted (the detail figures show all regions)."""
    status = {}
    for other in dict.fromkeys(rows["scenario"]):
        if other == scenario:
            continue
        sub = rows[rows["scenario"] == other]
        result = exclusion(grid, values_on_grid(points, best_per_point(sub, regions), "cls_exp"), level,
                           points["m_parent"].to_numpy())
        status[str(other)] = result.status
        for line in result.lines:
            ax.plot(line[:, 0], line[:, 1], color="0.3", ls=":", lw=1.5, zorder=5, gid=f"other_scenario:{other}")
        rel = sub["bkg_rel_unc"].max() if "bkg_rel_unc" in sub.columns else math.nan
        handles.append(Line2D([], [], color="0.3", ls=":", lw=1.5))
        labels_out.append(f"Best region, {other} ({_percent(rel)} bkg. unc.)")
    return status


def _percent(rel: float) -> str:
    return "?" if not math.isfinite(rel) else f"{100 * rel:g} %"


def _header(ax: matplotlib.axes.Axes, labels: PlaneLabels, lumi: float, sqrt_s_tev: float, level: float,
            scenario: str, rel: float) -> None:
    """Top-left text block in the ATLAS/CMS summary-plot style."""
    ax.text(0.03, 0.965, rf"$\bf{{{labels.experiment}}}$ $\it{{{labels.status}}}$", transform=ax.transAxes,
            ha="left", va="top", fontsize="large", gid="experiment_label")
    lines = [rf"√s = {sqrt_s_tev:g} TeV, {lumi:g} fb$^{{-1}}$",
             f"Expected limits, CLs = {level:g}; background unc. {_percent(rel)} ({scenario})"]
    if labels.process:
        lines.append(labels.process)
    ax.text(0.03, 0.905, "\n".join(lines), transform=ax.transAxes, ha="left", va="top", fontsize="small",
            linespacing=1.5, gid="lumi_label")


def _caveat_box(ax: matplotlib.axes.Axes, texts: Sequence[str]) -> None:
    """Caveats as a boxed footnote under the x-axis label, where they never hide a curve."""
    if not texts:
        return
    text = f"Caveat: {texts[0]}" if len(texts) == 1 else "Caveats:\n" + "\n".join(f"• {t}" for t in texts)
    ax.text(0.0, -0.17, text, transform=ax.transAxes, ha="left", va="top",
            fontsize="x-small", color="#8B0000", zorder=10, gid="caveat",
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="#8B0000"))
