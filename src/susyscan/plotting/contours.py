"""CLs = 0.05 exclusion contours on the (m_parent, m_lsp) plane: the figures per luminosity and the mass-reach table."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from susyscan.analyses.spec import AnalysisSpec
from susyscan.atomic import atomic_path, write_csv_atomic
from susyscan.contracts import BEST, CLS_LEVEL
from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.plotting.cls_surface import CLS_FLOOR, PlaneGrid, log_cls
from susyscan.plotting.headline import headline_figure
from susyscan.plotting.labels import Method, PlaneLabels, default_methods, plane_labels
from susyscan.plotting.region_panels import regions_figure
from susyscan.plotting.style import save_figure

if TYPE_CHECKING:
    import matplotlib.figure

logger = logging.getLogger(__name__)

__all__ = ["BEST", "CLS_FLOOR", "CLS_LEVEL", "exclusion_contour", "mass_reach", "mass_reach_table", "plot_contours",
           "read_cls", "zero_mc_regions"]


def exclusion_contour(m_parent: np.ndarray, m_lsp: np.ndarray, cls: np.ndarray, level: float = CLS_LEVEL,
                      n_fine: int = 300) -> list[np.ndarray]:
    """Lines (each an (n, 2) array of (m_parent, m_lsp)) where the interpolated CLs equals ``level``.

    log10(CLs) is interpolated linearly on the masked triangulation of :mod:`susyscan.plotting.cls_surface`
    (nothing outside the grid's triangles, none that bridge a gap of the grid); NaN points are left out.
    """
    x, y = np.asarray(m_parent, float), np.asarray(m_lsp, float)
    z = np.asarray(cls, float)
    ok = np.isfinite(z)
    x, y, z = x[ok], y[ok], z[ok]
    try:
        grid = PlaneGrid.build(x, y, n_fine)
    except ValueError as exc:
        logger.warning("no contour: %s", exc)
        return []
    return grid.lines(grid.interpolate(log_cls(z)), math.log10(level))


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


def zero_mc_regions(cls: pd.DataFrame) -> list[str]:
    """Regions whose background had no MC event (``bkg_zero_mc`` in ``cls.csv``; none if the column is absent)."""
    if "bkg_zero_mc" not in cls.columns:
        return []
    flagged = cls["bkg_zero_mc"].astype(str).str.lower().isin(["true", "1"])
    return sorted(set(cls.loc[flagged & (cls["region"] != BEST), "region"]))


def _save(fig: matplotlib.figure.Figure, paths: Sequence[Path]) -> None:
    """Write ``fig`` to every path (one per format), each atomically, then close it."""
    for path in paths[:-1]:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
    save_figure(fig, str(paths[-1]))


def plot_contours(cls_path: str | Path, out_dir: str | Path, mass_reach_path: str | Path,
                  lumis: Sequence[float] | None = None, regions: Sequence[str] | None = None,
                  level: float = CLS_LEVEL, formats: Sequence[str] = ("pdf", "png"),
                  analysis: str | AnalysisSpec = "smuon", sqrt_s_tev: float = 13.0, labels: PlaneLabels | None = None,
                  methods: Sequence[Method] | None = None, notes: Sequence[str] = (),
                  scenario: str | None = None) -> pd.DataFrame:
    """Per luminosity the headline figure ``contour_{lumi}ifb.{fmt}`` (:mod:`susyscan.plotting.headline`) and
    the per-region detail ``contour_{lumi}ifb_regions.{fmt}`` (:mod:`susyscan.plotting.region_panels`), and the
    ``mass_reach.csv`` table.

    ``regions`` restricts the regions drawn (default: all); ``labels``/``methods`` default to
    :func:`~susyscan.plotting.labels.plane_labels` / :func:`~susyscan.plotting.labels.default_methods` of
    ``analysis`` (its spec, or the name of a shipped analysis); ``notes`` are caveat lines written on every headline figure."""
    cls = read_cls(cls_path)
    lumis = list(lumis) if lumis is not None else sorted(cls["lumi_ifb"].unique())
    if regions is not None:
        unknown = sorted(set(regions) - set(cls["region"]))
        if unknown:
            raise FeatureError(f"{cls_path}: regions {unknown} not in the table (field 'region')")
        cls = cls[cls["region"].isin(list(regions))]
    names = [r for r in dict.fromkeys(cls["region"]) if r != BEST]
    labels = labels or plane_labels(analysis)
    methods = tuple(methods) if methods is not None else default_methods(names, analysis)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for lumi in lumis:
        headline = headline_figure(cls, float(lumi), labels, methods, sqrt_s_tev, scenario, level, notes)
        for caveat in headline.caveats:
            logger.warning("%g/fb: %s", lumi, caveat.text)
        _save(headline.figure, [out_dir / f"contour_{lumi:g}ifb.{fmt}" for fmt in formats])
        detail, status = regions_figure(cls, float(lumi), labels, methods, sqrt_s_tev, scenario, level)
        _save(detail, [out_dir / f"contour_{lumi:g}ifb_regions.{fmt}" for fmt in formats])
        logger.info("wrote contour_%gifb and contour_%gifb_regions (%s); region status %s", lumi, lumi,
                    ", ".join(formats), status)
    table = mass_reach_table(cls, level)
    write_csv_atomic(table, mass_reach_path, index=False)
    logger.info("mass reach at lowest m_lsp:\n%s", table.to_string(index=False))
    return table
