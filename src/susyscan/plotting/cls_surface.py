"""Interpolated CLs on the mass plane: iso-lines and excluded areas, only where the grid points determine them.

log10(CLs) is interpolated linearly on a Delaunay triangulation of the grid points (matplotlib.tri), built in
coordinates scaled by each axis' typical point spacing so that a grid with different spacings in m_parent and
m_lsp does not give long thin triangles.  Triangles that are nearly flat (matplotlib's ``TriAnalyzer``) or
whose longest edge is more than ``max_edge_ratio`` times the nearest-neighbour distance of every one of its
corners are masked: they bridge a hole or an edge of the grid, and a line through them would be an artefact of
the triangulation rather than of the CLs values.  Nothing is drawn outside the remaining triangles (so never
outside the convex hull of the points).  contourpy extracts lines and filled areas from the fine grid.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import contourpy
import numpy as np
from matplotlib.path import Path as MplPath
from matplotlib.tri import LinearTriInterpolator, TriAnalyzer, Triangulation
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

CLS_FLOOR = 1e-12
#: Triangles flatter than this ratio of inscribed to circumscribed circle radius are masked.
MIN_CIRCLE_RATIO = 0.05
#: A triangle is masked when its longest edge exceeds this many nearest-neighbour distances at all its corners.
MAX_EDGE_RATIO = 2.5


def typical_spacing(values: np.ndarray) -> float:
    """Median gap between the distinct values of one coordinate (1 if there is a single value)."""
    distinct = np.unique(np.asarray(values, float))
    gaps = np.diff(distinct)
    return float(np.median(gaps)) if len(gaps) else 1.0


def log_cls(cls: np.ndarray) -> np.ndarray:
    """log10 of CLs clipped to [CLS_FLOOR, 1]; NaN stays NaN."""
    values = np.asarray(cls, float)
    return np.where(np.isfinite(values), np.log10(np.clip(values, CLS_FLOOR, 1.0)), np.nan)


@dataclass(frozen=True)
class PlaneGrid:
    """The triangulated grid points and the fine evaluation grid of one mass plane."""

    x: np.ndarray
    y: np.ndarray
    triangulation: Triangulation
    xx: np.ndarray
    yy: np.ndarray
    scale: tuple[float, float]

    @classmethod
    def build(cls, x: np.ndarray, y: np.ndarray, n_fine: int = 300, max_edge_ratio: float = MAX_EDGE_RATIO,
              min_circle_ratio: float = MIN_CIRCLE_RATIO) -> PlaneGrid:
        x, y = np.asarray(x, float), np.asarray(y, float)
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            raise ValueError(f"a CLs surface needs at least 3 non-collinear points, got {len(x)}")
        scale = (typical_spacing(x), typical_spacing(y))
        u, v = x / scale[0], y / scale[1]
        tri = Triangulation(u, v)
        mask = TriAnalyzer(tri).get_flat_tri_mask(min_circle_ratio=min_circle_ratio, rescale=False)
        corners = np.column_stack([u, v])
        nearest = cKDTree(corners).query(corners, k=2)[0][:, 1]
        t = tri.triangles
        edges = np.stack([np.hypot(*(corners[t[:, i]] - corners[t[:, (i + 1) % 3]]).T) for i in range(3)], axis=1)
        longest = edges.max(axis=1)
        too_long = longest > max_edge_ratio * nearest[t].max(axis=1)
        mask = mask | too_long
        if mask.all():
            raise ValueError("every triangle of the grid is masked (points nearly collinear?)")
        if mask.any():
            logger.info("masked %d of %d triangles (flat or bridging a gap of the grid)", int(mask.sum()), len(mask))
        tri.set_mask(mask)
        xf = np.linspace(x.min(), x.max(), n_fine)
        yf = np.linspace(y.min(), y.max(), n_fine)
        xx, yy = np.meshgrid(xf, yf)
        return cls(x, y, tri, xx, yy, scale)

    @classmethod
    def try_build(cls, x: np.ndarray, y: np.ndarray, n_fine: int = 300) -> PlaneGrid | None:
        """:meth:`build`, or None (logged) when the points cannot carry a surface (fewer than 3, collinear)."""
        try:
            return cls.build(x, y, n_fine)
        except ValueError as exc:
            logger.warning("no contours: %s", exc)
            return None

    def interpolate(self, values: np.ndarray) -> np.ma.MaskedArray:
        """``values`` at the grid points, interpolated linearly onto the fine grid (masked off the triangles)."""
        values = np.asarray(values, float)
        if values.shape != self.x.shape:
            raise ValueError(f"{values.shape} values for {self.x.shape} grid points")
        if not np.isfinite(values).all():
            raise ValueError("CLs surface values must be finite at every grid point (drop NaN rows first)")
        interp = LinearTriInterpolator(self.triangulation, values)
        return np.ma.masked_invalid(interp(self.xx / self.scale[0], self.yy / self.scale[1]))

    def hull_path(self) -> MplPath | None:
        """Outline of the unmasked triangles' union as one closed path per boundary (for 'whole grid' shading)."""
        return _paths(self._generator(self.interpolate(np.zeros_like(self.x))).filled(-1.0, 1.0))

    def _generator(self, field: np.ma.MaskedArray) -> contourpy.ContourGenerator:
        return contourpy.contour_generator(self.xx, self.yy, field, line_type="Separate", fill_type="OuterCode")

    def lines(self, field: np.ma.MaskedArray, level: float) -> list[np.ndarray]:
        """Iso-lines ``field == level``, each an (n, 2) array of (x, y)."""
        return [np.asarray(line) for line in self._generator(field).lines(level) if len(line) > 1]

    def below(self, field: np.ma.MaskedArray, level: float) -> MplPath | None:
        """The area where ``field < level`` as one compound path (None when empty)."""
        low = float(np.ma.min(field)) if field.count() else math.nan
        if not np.isfinite(low) or low >= level:
            return None
        return _paths(self._generator(field).filled(min(low, level) - 1.0, level))


def _paths(filled: tuple) -> MplPath | None:
    points, codes = filled
    parts = [MplPath(p, c) for p, c in zip(points, codes) if p is not None and len(p) > 2]
    return MplPath.make_compound_path(*parts) if parts else None


@dataclass(frozen=True)
class Exclusion:
    """Expected exclusion of one curve: iso-lines at the CLs level, the excluded area, and how the grid fares.

    ``status``: ``none`` (no grid point excluded), ``partial`` or ``all`` (every grid point excluded: the limit
    is beyond the grid); ``edge``: the excluded area reaches the largest-m_parent points of the grid, i.e. the
    limit lies beyond the grid there."""

    lines: list[np.ndarray]
    area: MplPath | None
    excluded_points: np.ndarray
    status: str
    edge: bool


def exclusion(grid: PlaneGrid | None, cls: np.ndarray, level: float, x: np.ndarray | None = None) -> Exclusion:
    """Lines and excluded area (``CLs < level``) of ``cls`` at the grid points.  Without a surface (``grid``
    None; then ``x`` gives the points' m_parent) only the points' status is known: no lines, no area."""
    z = log_cls(cls)
    target = math.log10(level)
    excluded = z < target
    status = "all" if excluded.all() else ("none" if not excluded.any() else "partial")
    xs = grid.x if grid is not None else np.asarray(x, float)
    heaviest = np.isclose(xs, xs.max())
    if grid is None:
        return Exclusion([], None, excluded, status, bool(excluded[heaviest].any()))
    field = grid.interpolate(z)
    return Exclusion(grid.lines(field, target), grid.below(field, target), excluded, status,
                     bool(excluded[heaviest].any()))


def band_area(grid: PlaneGrid | None, cls_low: np.ndarray, cls_high: np.ndarray, level: float) -> MplPath | None:
    """Area between the contours of the -1 sigma (``cls_low``, further out) and +1 sigma (``cls_high``) CLs:
    where ``cls_low < level <= cls_high``, i.e. where ``max(log cls_low - L, L - log cls_high) < 0``."""
    if grid is None:
        return None
    target = math.log10(level)
    low = grid.interpolate(log_cls(cls_low))
    high = grid.interpolate(log_cls(cls_high))
    field = np.ma.maximum(low - target, target - high)
    return grid.below(field, 0.0)
