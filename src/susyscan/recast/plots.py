"""Recast figures on the (m_parent, m_lsp) plane: observed and expected exclusion contours in the ATLAS/CMS
convention, and the small-excess map; plus the contour lines as a CSV for comparisons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import griddata

from susyscan.atomic import write_csv_atomic
from susyscan.plotting.contours import exclusion_contour
from susyscan.plotting.style import apply_style, plt, save_figure
from susyscan.recast.stats import CLS_LEVEL

logger = logging.getLogger(__name__)

CLS_FLOOR = 1e-12

CONTOUR_COLUMNS = {  # curve name -> column of the best-region table
    "observed": "cls_obs",
    "observed_theory_up": "cls_obs_theory_up",
    "observed_theory_down": "cls_obs_theory_down",
    "expected": "cls_exp",
    "expected_m1": "cls_exp_m1",
    "expected_p1": "cls_exp_p1",
}


def contour_lines(best: pd.DataFrame, level: float = CLS_LEVEL) -> pd.DataFrame:
    """All CLs = level lines as rows (curve, line, m_parent, m_lsp)."""
    rows = []
    for curve, column in CONTOUR_COLUMNS.items():
        for i, line in enumerate(exclusion_contour(best["m_parent"].to_numpy(), best["m_lsp"].to_numpy(),
                                                   best[column].to_numpy(), level)):
            rows += [{"curve": curve, "line": i, "m_parent": x, "m_lsp": y} for x, y in line]
    return pd.DataFrame(rows, columns=["curve", "line", "m_parent", "m_lsp"])


def _band(ax, best: pd.DataFrame, level: float, n_fine: int = 200) -> None:
    """Shade where the -1 sigma expected CLs excludes and the +1 sigma one does not (the +-1 sigma band)."""
    x, y = best["m_parent"].to_numpy(float), best["m_lsp"].to_numpy(float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    xx, yy = np.meshgrid(np.linspace(x.min(), x.max(), n_fine), np.linspace(y.min(), y.max(), n_fine))
    lo, hi = (griddata((x, y), np.log10(np.clip(best[c].to_numpy(float), CLS_FLOOR, 1.0)), (xx, yy), method="linear")
              for c in ("cls_exp_m1", "cls_exp_p1"))
    inside = (np.minimum(lo, hi) <= np.log10(level)) & (np.maximum(lo, hi) > np.log10(level))
    ax.contourf(xx, yy, np.where(np.isfinite(lo) & np.isfinite(hi), inside.astype(float), np.nan), levels=[0.5, 1.5],
                colors=["gold"], alpha=0.6)


def _lines(ax, best: pd.DataFrame, column: str, level: float, label: str | None, **style) -> None:
    lines = exclusion_contour(best["m_parent"].to_numpy(), best["m_lsp"].to_numpy(), best[column].to_numpy(), level)
    for i, line in enumerate(lines):
        ax.plot(line[:, 0], line[:, 1], label=label if i == 0 else None, **style)


def _frame(ax, best: pd.DataFrame, title: str, xlabel: str, ylabel: str) -> None:
    ax.plot(best["m_parent"], best["m_lsp"], ".", color="0.6", ms=4, label="grid points")
    top = float(best["m_parent"].max())
    ax.plot([0, top], [0, top], color="0.8", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.set_xlim(float(best["m_parent"].min()) * 0.9, top * 1.05)
    ax.set_ylim(-10, float(best["m_lsp"].max()) * 1.25 + 10)


def contour_figure(best: pd.DataFrame, title: str, level: float = CLS_LEVEL,
                   xlabel: str = r"$m(\tilde\mu_R)$ [GeV]", ylabel: str = r"$m(\tilde\chi^0_1)$ [GeV]"):
    """Expected (dashed) with the yellow +-1 sigma band, observed (solid red) with dotted signal-theory lines."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    _band(ax, best, level)
    ax.fill_between([], [], color="gold", alpha=0.6, label=r"Expected $\pm1\sigma_{\mathrm{exp}}$")
    _lines(ax, best, "cls_exp", level, "Expected limit", color="navy", ls="--", lw=1.5)
    _lines(ax, best, "cls_obs", level, r"Observed limit ($\pm1\sigma^{\mathrm{SUSY}}_{\mathrm{theory}}$)",
           color="firebrick", ls="-", lw=2.0)
    _lines(ax, best, "cls_obs_theory_up", level, None, color="firebrick", ls=":", lw=1.2)
    _lines(ax, best, "cls_obs_theory_down", level, None, color="firebrick", ls=":", lw=1.2)
    _frame(ax, best, title, xlabel, ylabel)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def excess_figure(best: pd.DataFrame, title: str, level: float = CLS_LEVEL,
                  xlabel: str = r"$m(\tilde\mu_R)$ [GeV]", ylabel: str = r"$m(\tilde\chi^0_1)$ [GeV]"):
    """Small-excess map: points flagged in their best region (colour = local Z of that region), points with
    more than one independent flagged region ringed, expected and observed contours."""
    apply_style()
    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    _lines(ax, best, "cls_exp", level, "Expected", color="navy", ls="--", lw=1.5)
    _lines(ax, best, "cls_obs", level, "Observed", color="firebrick", ls="-", lw=2.0)
    _frame(ax, best, title, xlabel, ylabel)
    flagged = best[best["small_excess"]]
    if len(flagged):
        points = ax.scatter(flagged["m_parent"], flagged["m_lsp"], c=flagged["z"], cmap="viridis", s=45,
                            vmin=0.0, vmax=max(2.0, float(flagged["z"].max())), label="small excess (best SR)",
                            zorder=3)
        fig.colorbar(points, ax=ax, label="local Z of the best SR")
    multi = best[best["n_independent_flagged"] > 1]
    if len(multi):
        ax.scatter(multi["m_parent"], multi["m_lsp"], s=140, facecolors="none", edgecolors="red", lw=1.5,
                   label="> 1 independent SR flagged", zorder=4)
    ax.text(0.98, 0.02, f"{len(flagged)} of {len(best)} points flagged", transform=ax.transAxes, ha="right",
            fontsize=8)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def write_figure(fig, paths: Sequence[str | Path]) -> None:
    for path in paths:
        save_figure(fig, str(path))
    plt.close(fig)


def write_contour_csv(best: pd.DataFrame, path: str | Path, level: float = CLS_LEVEL) -> pd.DataFrame:
    lines = contour_lines(best, level)
    write_csv_atomic(lines, path, index=False)
    return lines
