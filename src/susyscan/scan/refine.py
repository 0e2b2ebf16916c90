"""Adaptive refinement of a mass grid: new points where a CLs surface crosses its level or a flag changes.

The finished scan's points are triangulated (Delaunay, in coordinates scaled to the grid's extent); every
triangle edge whose two corners lie on different sides of the level (log10 CLs - log10 level changes sign) of
any refined surface, or whose corners differ in a boolean flag (the small-excess flag), is split at its
midpoint. Splitting straddling edges is a two-dimensional bisection: the contour, interpolated linearly on the
triangulation, then lies within half an edge of the truth. Points closer than ``min_distance`` to an existing
point (or to another proposal) are not proposed, which bounds the rounds. scipy's Delaunay does the
triangulation; nothing here is hand-written numerics beyond the edge test.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import Delaunay, QhullError, cKDTree

logger = logging.getLogger(__name__)

CLS_FLOOR = 1e-12


def _side(values: np.ndarray, level: float) -> np.ndarray:
    """+1 above the level, -1 at or below it (log-space comparison of CLs), 0 for NaN."""
    logs = np.log10(np.clip(np.asarray(values, dtype=float), CLS_FLOOR, None))
    side = np.where(logs > math.log10(level), 1, -1)
    return np.where(np.isfinite(logs), side, 0)


def straddling_edges(points: np.ndarray, surfaces: dict[str, np.ndarray], flags: dict[str, np.ndarray],
                     level: float) -> list[tuple[int, int, str]]:
    """Delaunay edges (i, j, reason) whose corners straddle ``level`` in a surface or differ in a flag."""
    points = np.asarray(points, dtype=float)
    if len(points) < 3:
        return []
    span = np.ptp(points, axis=0)
    scaled = (points - points.min(axis=0)) / np.where(span > 0, span, 1.0)
    try:
        tri = Delaunay(scaled)
    except QhullError:
        logger.warning("points are degenerate (collinear?): no triangulation, no refinement")
        return []
    edges: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for a in range(3):
            i, j = sorted((int(simplex[a]), int(simplex[(a + 1) % 3])))
            edges.add((i, j))
    sides = {name: _side(values, level) for name, values in surfaces.items()}
    out = []
    for i, j in sorted(edges):
        for name, side in sides.items():
            if side[i] * side[j] < 0:
                out.append((i, j, name))
                break
        else:
            for name, flag in flags.items():
                if bool(flag[i]) != bool(flag[j]):
                    out.append((i, j, name))
                    break
    return out


@dataclass(frozen=True)
class Proposal:
    """New points (m_parent, m_lsp) with the surface that asked for each."""

    points: pd.DataFrame
    n_straddling: int


def propose_points(points: np.ndarray, surfaces: dict[str, np.ndarray], flags: dict[str, np.ndarray] | None = None,
                   level: float = 0.05, min_distance: float = 10.0, granularity: float = 5.0,
                   max_new: int = 40, valid: Callable[[float, float], bool] | None = None) -> Proposal:
    """Midpoints of the straddling edges, rounded to ``granularity``, longest edges first, at least
    ``min_distance`` from every existing and every other new point, ``valid(m_parent, m_lsp)`` (default
    0 <= m_lsp < m_parent), at most ``max_new``."""
    points = np.asarray(points, dtype=float)
    valid = valid or (lambda x, y: 0.0 <= y < x)
    edges = straddling_edges(points, surfaces, flags or {}, level)
    edges.sort(key=lambda e: -float(np.linalg.norm(points[e[0]] - points[e[1]])))
    taken = [tuple(p) for p in points]
    tree = cKDTree(points)
    rows: list[dict] = []
    for i, j, reason in edges:
        if len(rows) >= max_new:
            break
        mid = np.round((points[i] + points[j]) / 2.0 / granularity) * granularity
        if not valid(float(mid[0]), float(mid[1])):
            continue
        if tree.query(mid)[0] < min_distance:
            continue
        if any(math.dist(mid, p) < min_distance for p in taken[len(points):]):
            continue
        taken.append(tuple(mid))
        rows.append({"m_parent": float(mid[0]), "m_lsp": float(mid[1]), "reason": reason})
    frame = pd.DataFrame(rows, columns=["m_parent", "m_lsp", "reason"])
    logger.info("%d straddling edges -> %d new points", len(edges), len(frame))
    return Proposal(frame, len(edges))


def resample(line: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline every ``step`` (plus its vertices)."""
    out = [line[0]]
    for a, b in zip(line[:-1], line[1:], strict=True):
        n = max(int(np.ceil(np.linalg.norm(b - a) / step)), 1)
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.asarray(out)


def contour_distance(lines_a: Sequence[np.ndarray], lines_b: Sequence[np.ndarray], step: float = 2.0) -> float:
    """Symmetric mean distance between two sets of contour lines (GeV): the mean over points sampled along each
    set of the distance to the nearest point of the other; inf when exactly one set is empty, 0 when both are."""
    if not lines_a and not lines_b:
        return 0.0
    if not lines_a or not lines_b:
        return math.inf
    a = np.vstack([resample(np.asarray(line, float), step) for line in lines_a])
    b = np.vstack([resample(np.asarray(line, float), step) for line in lines_b])
    return 0.5 * (float(cKDTree(b).query(a)[0].mean()) + float(cKDTree(a).query(b)[0].mean()))


@dataclass(frozen=True)
class Round:
    """One refinement round: points before it, points it added, how far the contours moved."""

    round: int
    n_points: int
    n_new: int
    shift: float


def refine_loop(initial: pd.DataFrame, evaluate: Callable[[pd.DataFrame], pd.DataFrame],
                contours: Callable[[pd.DataFrame], list[np.ndarray]], surfaces: Sequence[str],
                flags: Sequence[str] = (), rounds: int = 3, tolerance: float = 5.0, **propose_kw: float
                ) -> tuple[pd.DataFrame, list[Round]]:
    """Evaluate, propose, append, re-evaluate, up to ``rounds`` times; stop early when no point is proposed or
    the contours move by less than ``tolerance``. ``evaluate`` maps (m_parent, m_lsp) rows to rows with the
    surface columns (it may reuse earlier results: only new points need computing)."""
    results = evaluate(initial)
    history: list[Round] = []
    previous = contours(results)
    for k in range(1, rounds + 1):
        proposal = propose_points(results[["m_parent", "m_lsp"]].to_numpy(),
                                  {s: results[s].to_numpy() for s in surfaces},
                                  {f: results[f].to_numpy() for f in flags}, **propose_kw)  # type: ignore[arg-type]
        if proposal.points.empty:
            history.append(Round(k, len(results), 0, 0.0))
            break
        grid = pd.concat([results[["m_parent", "m_lsp"]], proposal.points[["m_parent", "m_lsp"]]], ignore_index=True)
        results = evaluate(grid)
        current = contours(results)
        shift = contour_distance(previous, current)
        history.append(Round(k, len(results), len(proposal.points), shift))
        logger.info("round %d: %d points (+%d), contours moved %.2f", k, len(results), len(proposal.points), shift)
        previous = current
        if shift < tolerance:
            break
    return results, history
