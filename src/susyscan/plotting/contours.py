"""CLs = 0.05 exclusion contours on the (m_parent, m_lsp) plane, contour plots and the mass-reach table."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import contourpy
import numpy as np
import pandas as pd
from scipy.interpolate import griddata

from susyscan.contracts import BEST, CLS_LEVEL
from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.plotting.style import apply_style, plt, save_figure

if TYPE_CHECKING:
    import matplotlib.figure

logger = logging.getLogger(__name__)

CLS_FLOOR = 1e-12
LINESTYLES = ("-", "--", ":", "-.")


def exclusion_contour(m_parent: np.ndarray, m_lsp: np.ndarray, cls: np.ndarray, level: float = CLS_LEVEL,
                      n_fine: int = 200) -> list[np.ndarray]:
    """Lines (each an (n, 2) array of (m_parent, m_lsp)) where the interpolated CLs equals ``level``.

    CLs is interpolated linearly in log10 on the Delaunay triangulation of the grid points (scipy
    ``griddata``) onto an ``n_fine`` x ``n_fine`` grid; contourpy extracts the iso-line.  Outside the
    convex hull of the points nothing is drawn.
    """
    x, y = np.asarray(m_parent, float), np.asarray(m_lsp, float)
    z = np.log10(np.clip(np.asarray(cls, float), CLS_FLOOR, 1.0))
    ok = np.isfinite(z)
    x, y, z = x[ok], y[ok], z[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        logger.warning("contour needs at least 3 non-collinear points, got %d", len(x))
        return []
    xf, yf = np.linspace(x.min(), x.max(), n_fine), np.linspace(y.min(), y.max(), n_fine)
    xx, yy = np.meshgrid(xf, yf)
    zz = griddata((x, y), z, (xx, yy), method="linear")
    generator = contourpy.contour_generator(xx, yy, np.ma.masked_invalid(zz), line_type="Separate")
    return [np.asarray(line) for line in generator.lines(math.log10(level)) if len(line) > 1]


def mass_reach(m_parent: np.ndarray, cls: np.ndarray, level: float = CLS_LEVEL) -> tuple[float, str]:
    """Largest m_parent excluded along one m_lsp row (log-linear interpolation of CLs between points).

    Returns (mass, status) with status ``excluded`` (crossing found), ``beyond grid`` (the heaviest point
    is still excluded: the mass is a lower bound) or ``not excluded`` (mass NaN).
    """
    order = np.argsort(m_parent)
    m = np.asarray(m_parent, float)[order]
    z = np.log10(np.clip(np.asarray(cls, float)[order], CLS_FLOOR, 1.0)) - math.log10(level)
    keep = np.isfinite(z)
    m, z = m[keep], z[keep]
    excluded = z < 0
    if not excluded.any():
        return math.nan, "not excluded"
    last = int(np.nonzero(excluded)[0][-1])
    if last == len(m) - 1:
        return float(m[-1]), "beyond grid"
    frac = z[last] / (z[last] - z[last + 1])
    return float(m[last] + frac * (m[last + 1] - m[last])), "excluded"


def read_cls(path: str | Path) -> pd.DataFrame:
    """The limits table (``cls.csv``) with the columns the plots need."""
    df = pd.read_csv(path)
    missing = {"m_parent", "m_lsp", "region", "lumi_ifb", "scenario", "cls_exp"} - set(df.columns)
    if missing:
        raise FeatureError(f"{path}: missing columns {sorted(missing)}")
    if df.empty:
        raise EmptySelectionError(f"{path}: no CLs rows")
    return df


def mass_reach_table(cls: pd.DataFrame, level: float = CLS_LEVEL) -> pd.DataFrame:
    """Mass reach at the lowest m_lsp per region, luminosity and scenario."""
    rows = []
    for (region, lumi, scenario), group in cls.groupby(["region", "lumi_ifb", "scenario"], sort=True):
        row = group[group["m_lsp"] == group["m_lsp"].min()]
        mass, status = mass_reach(row["m_parent"].to_numpy(), row["cls_exp"].to_numpy(), level)
        rows.append({"region": region, "lumi_ifb": lumi, "scenario": scenario, "m_lsp": row["m_lsp"].iloc[0],
                     "mass_reach_gev": round(mass, 1) if math.isfinite(mass) else math.nan, "status": status})
    return pd.DataFrame(rows)


#: Axis labels (x: parent, y: LSP) when the caller gives none (an analysis gives ``AnalysisSpec.axis_labels``).
DEFAULT_AXIS_LABELS: tuple[str, str] = (r"$m_{\mathrm{parent}}$ [GeV]", r"$m_{\mathrm{LSP}}$ [GeV]")


def zero_mc_regions(cls: pd.DataFrame) -> list[str]:
    """Regions whose background had no MC event (``bkg_zero_mc`` in ``cls.csv``; none if the column is absent)."""
    if "bkg_zero_mc" not in cls.columns:
        return []
    flagged = cls["bkg_zero_mc"].astype(str).str.lower().isin(["true", "1"])
    return sorted(set(cls.loc[flagged & (cls["region"] != BEST), "region"]))


def contour_figure(cls: pd.DataFrame, lumi: float, regions: Sequence[str], level: float = CLS_LEVEL,
                   axis_labels: Sequence[str] = DEFAULT_AXIS_LABELS) -> "matplotlib.figure.Figure":
    """The expected contour of each region (colour) and scenario (line style) at ``lumi``, the headline
    best-region contour (black, thick; the region of lowest expected CLs per point) and a box stating how many
    regions had no background MC (their background is the zero-MC substitute, see ``cls.csv`` notes)."""
    apply_style()
    sub = cls[np.isclose(cls["lumi_ifb"], lumi)]
    if sub.empty:
        raise EmptySelectionError(f"no CLs rows at {lumi:g}/fb")
    scenarios = list(dict.fromkeys(sub["scenario"]))
    colours = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]  # up to 20 regions without repeating a colour
    fig, ax = plt.subplots(figsize=(8, 6.5))
    points = sub[["m_parent", "m_lsp"]].drop_duplicates()
    ax.plot(points["m_parent"], points["m_lsp"], ".", color="0.6", ms=4, label="grid points")
    diagonal = np.array([0.0, points["m_parent"].max()])
    ax.plot(diagonal, diagonal, color="0.8", lw=1)
    curves = [(region, i) for i, region in enumerate(regions)]
    if (sub["region"] == BEST).any():
        curves.append((BEST, -1))
    for region, i in curves:
        for j, scenario in enumerate(scenarios):
            grp = sub[(sub["region"] == region) & (sub["scenario"] == scenario)]
            lines = exclusion_contour(grp["m_parent"].to_numpy(), grp["m_lsp"].to_numpy(), grp["cls_exp"].to_numpy(),
                                      level)
            label = f"best region ({scenario})" if region == BEST else f"{region} ({scenario})"
            style = dict(color="black", lw=2.5, zorder=5) if region == BEST else dict(color=colours[i % len(colours)],
                                                                                       lw=1.2)
            for k, line in enumerate(lines):
                ax.plot(line[:, 0], line[:, 1], ls=LINESTYLES[j % len(LINESTYLES)], label=label if k == 0 else None,
                        **style)
    xlabel, ylabel = axis_labels
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    span = float(points["m_parent"].max() - points["m_parent"].min()) or 1.0
    ax.set_xlim(points["m_parent"].min() - 0.03 * span, points["m_parent"].max() + 0.03 * span)  # edge points visible
    ax.set_ylim(-0.03 * points["m_lsp"].max() - 1, points["m_lsp"].max() * 1.3 + 1)
    ax.set_title(rf"Expected CLs = {level:g}, √s = 13 TeV, {lumi:g} fb$^{{-1}}$", fontsize="medium")
    ax.legend(fontsize="x-small", ncol=2, loc="upper left")
    zero = zero_mc_regions(sub)
    n_regions = len({r for r in sub["region"] if r != BEST})
    text = f"regions with zero background MC: {len(zero)} of {n_regions}"
    if zero:
        text += "\n(b = 1.14 x largest event weight): " + ", ".join(zero)
    ax.text(0.98, 0.02, text, transform=ax.transAxes, ha="right", va="bottom", fontsize="x-small",
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.7"))
    return fig


def plot_lumi(cls: pd.DataFrame, lumi: float, regions: Sequence[str], out_paths: Sequence[str | Path],
              level: float = CLS_LEVEL, axis_labels: Sequence[str] = DEFAULT_AXIS_LABELS) -> None:
    """Write :func:`contour_figure` at ``lumi`` to each of ``out_paths`` (one per format)."""
    fig = contour_figure(cls, lumi, regions, level, axis_labels)
    for path in out_paths[:-1]:
        fig.savefig(str(path) + ".tmp" + Path(path).suffix)
        os.replace(str(path) + ".tmp" + Path(path).suffix, path)
    save_figure(fig, str(out_paths[-1]))


def plot_contours(cls_path: str | Path, out_dir: str | Path, mass_reach_path: str | Path,
                  lumis: Sequence[float] | None = None, regions: Sequence[str] | None = None,
                  level: float = CLS_LEVEL, formats: Sequence[str] = ("pdf", "png"),
                  axis_labels: Sequence[str] = DEFAULT_AXIS_LABELS) -> pd.DataFrame:
    """Write ``contour_{lumi}ifb.{fmt}`` for each luminosity and format, and the ``mass_reach.csv`` table."""
    cls = read_cls(cls_path)
    lumis = list(lumis) if lumis is not None else sorted(cls["lumi_ifb"].unique())
    regions = list(regions) if regions is not None else [r for r in dict.fromkeys(cls["region"]) if r != BEST]
    for lumi in lumis:
        out = [Path(out_dir) / f"contour_{lumi:g}ifb.{fmt}" for fmt in formats]
        out[0].parent.mkdir(parents=True, exist_ok=True)
        plot_lumi(cls, float(lumi), regions, out, level, axis_labels)
        logger.info("wrote %s", [str(p) for p in out])
    table = mass_reach_table(cls, level)
    Path(mass_reach_path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(mass_reach_path) + ".tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, mass_reach_path)
    logger.info("mass reach at lowest m_lsp:\n%s", table.to_string(index=False))
    return table
