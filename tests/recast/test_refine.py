"""Adaptive grid refinement: edge splitting, spacing rules, the grid-table append, and an analytic CLs surface
with a known boundary (refinement vs uniform grids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.config.tables import load_grid
from susyscan.errors import ConfigError
from susyscan.plotting.contours import exclusion_contour
from susyscan.recast.refine import append_to_grid, proposal_table
from susyscan.scan.refine import contour_distance, propose_points, refine_loop, straddling_edges

DECADE_GEV = 150.0  # CLs falls tenfold every 150 GeV across the boundary


def boundary(m_lsp: np.ndarray) -> np.ndarray:
    """The known CLs = 0.05 line: m_parent = 500 + 150 sin(pi m_lsp / 400)."""
    return 500.0 + 150.0 * np.sin(np.pi * np.asarray(m_lsp) / 400.0)


def analytic(grid: pd.DataFrame) -> pd.DataFrame:
    out = grid[["m_parent", "m_lsp"]].copy()
    out["cls_exp"] = 0.05 * 10 ** ((out["m_parent"] - boundary(out["m_lsp"])) / DECADE_GEV)
    return out


def contours(results: pd.DataFrame) -> list[np.ndarray]:
    return exclusion_contour(results["m_parent"].to_numpy(), results["m_lsp"].to_numpy(),
                             results["cls_exp"].to_numpy(), n_fine=300)


def max_error(lines: list[np.ndarray]) -> float:
    """Largest horizontal distance of the contour from the true boundary (inside the m_lsp range); inf when the
    contour does not span the range."""
    if not lines:
        return np.inf
    pts = np.vstack(lines)
    if np.ptp(pts[:, 1]) < 350.0:
        return np.inf
    inside = (pts[:, 1] > 5.0) & (pts[:, 1] < 395.0)
    return float(np.abs(pts[inside, 0] - boundary(pts[inside, 1])).max())


def uniform(n: int) -> pd.DataFrame:
    xs, ys = np.linspace(100.0, 900.0, n), np.linspace(0.0, 400.0, n // 2 + 1)
    x, y = np.meshgrid(xs, ys)
    keep = y < x - 10.0
    return pd.DataFrame({"m_parent": x[keep], "m_lsp": y[keep]})


def test_refinement_beats_uniform_grid_on_known_boundary() -> None:
    results, history = refine_loop(uniform(7), analytic, contours, ["cls_exp"], rounds=6, tolerance=0.5,
                                   min_distance=5.0, granularity=1.0, max_new=200)
    refined_error, n_refined = max_error(contours(results)), len(results)
    assert history and all(r.n_new > 0 for r in history[:-1])
    assert refined_error < 1.0
    # the smallest uniform grid of this family reaching the same accuracy
    n_uniform = next(len(uniform(n)) for n in range(7, 80, 2) if max_error(contours(analytic(uniform(n)))) <= refined_error)
    print(f"refined: {n_refined} points, max error {refined_error:.2f} GeV; uniform: {n_uniform} points")
    assert n_uniform >= 3 * n_refined


def test_only_straddling_edges_are_split() -> None:
    pts = np.array([[100.0, 0.0], [300.0, 0.0], [100.0, 90.0], [300.0, 90.0]])
    cls = np.array([0.01, 0.5, 0.01, 0.5])  # left side excluded
    edges = straddling_edges(pts, {"cls_exp": cls}, {}, 0.05)
    assert edges and all(pts[i, 0] != pts[j, 0] for i, j, _ in edges)
    proposal = propose_points(pts, {"cls_exp": cls}, level=0.05, min_distance=10.0, granularity=5.0)
    assert set(proposal.points["m_parent"]) == {200.0} and set(proposal.points["reason"]) == {"cls_exp"}
    # nothing to split when everything is on one side; a flag change is split too
    assert propose_points(pts, {"cls_exp": np.full(4, 0.01)}).points.empty
    flags = propose_points(pts, {"cls_exp": np.full(4, 0.01)}, {"small_excess": np.array([1, 0, 1, 0], bool)})
    assert set(flags.points["reason"]) == {"small_excess"}


def test_spacing_validity_and_cap() -> None:
    pts = np.array([[100.0, 0.0], [110.0, 0.0], [100.0, 200.0], [110.0, 60.0]])
    cls = np.array([0.01, 0.5, 0.01, 0.5])
    close = propose_points(pts, {"cls_obs": cls}, min_distance=20.0)
    assert all(np.min(np.hypot(*(pts - p).T)) >= 20.0 for p in close.points[["m_parent", "m_lsp"]].to_numpy())
    assert (close.points["m_lsp"] < close.points["m_parent"]).all()
    many = np.array([[x, y] for x in np.arange(100, 700, 50.0) for y in (0.0, 80.0)])
    capped = propose_points(many, {"cls_obs": np.where(many[:, 0] < 400, 0.001, 0.9) * (1 + many[:, 1] / 1e3)},
                            max_new=1)
    assert len(capped.points) == 1


def test_contour_distance() -> None:
    a = [np.array([[0.0, 0.0], [0.0, 100.0]])]
    b = [np.array([[10.0, 0.0], [10.0, 100.0]])]
    assert contour_distance(a, b) == pytest.approx(10.0)
    assert contour_distance(a, a) == 0.0 and contour_distance([], []) == 0.0
    assert contour_distance(a, []) == np.inf


def test_proposal_table_and_append(tmp_path) -> None:
    best = pd.DataFrame({"m_parent": [100.0, 300.0, 100.0, 300.0], "m_lsp": [0.0, 0.0, 90.0, 90.0],
                         "cls_obs": [0.01, 0.5, 0.01, 0.5], "cls_exp": [0.01, 0.5, 0.01, 0.5],
                         "small_excess": [False] * 4})
    settings = {"surfaces": ["cls_obs", "cls_exp", "small_excess"], "cls_level": 0.05, "min_distance_gev": 10.0,
                "granularity_gev": 5.0, "max_new_points": 10, "n_events": 300, "n_chunks": 1}
    rows = proposal_table(best, settings, tmp_path / "proposal.tsv")
    assert list(rows.columns) == ["m_smuon", "m_neutralino", "train", "n_events", "n_chunks", "reason"]
    grid = tmp_path / "grid.tsv"
    grid.write_text("m_smuon\tm_neutralino\ttrain\tn_events\tn_chunks\n100\t0\tno\t300\t1\n")
    proposal = pd.read_csv(tmp_path / "proposal.tsv", sep="\t")
    assert append_to_grid(grid, proposal, "smuon") == len(proposal) > 0
    assert append_to_grid(grid, proposal, "smuon") == 0  # already there
    points = load_grid(grid, "smuon")
    assert len(points) == 1 + len(proposal) and all(p.n_events == 300 for p in points)
    bad = proposal.assign(m_neutralino=proposal["m_smuon"] + 10)
    before = grid.read_text()
    with pytest.raises(ConfigError):
        append_to_grid(grid, bad, "smuon")
    assert grid.read_text() == before  # a bad proposal leaves the grid untouched
