"""Contour extraction and mass reach on analytic CLs surfaces with a known boundary; the headline and detail
figures: their curves, band, shading, grid-point markers, labels, "beyond grid" and caveats."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.plotting.cls_surface import PlaneGrid, exclusion
from susyscan.plotting.contours import exclusion_contour, mass_reach, plot_contours, zero_mc_regions
from susyscan.plotting.headline import headline_figure
from susyscan.plotting.labels import default_methods, plane_labels
from susyscan.plotting.region_panels import regions_figure
from susyscan.plotting.style import plt

SMUON = plane_labels("smuon")


def boundary(m_lsp: np.ndarray) -> np.ndarray:
    """Known exclusion boundary m0(m_lsp) in GeV."""
    return 600.0 - 0.6 * m_lsp - 4e-4 * m_lsp**2


def grid() -> tuple[np.ndarray, np.ndarray]:
    pts = [(m, l) for m in range(100, 1001, 50) for l in range(0, 501, 50) if l < m - 40]
    arr = np.array(pts, dtype=float)
    return arr[:, 0], arr[:, 1]


def analytic_cls(m: np.ndarray, l: np.ndarray, width: float = 60.0) -> np.ndarray:
    return np.minimum(0.05 * np.exp((m - boundary(l)) / width), 1.0)


def test_contour_follows_known_boundary() -> None:
    m, l = grid()
    lines = exclusion_contour(m, l, analytic_cls(m, l))
    assert len(lines) == 1
    line = lines[0]
    assert line.shape[1] == 2 and len(line) > 50
    # each contour point lies on m = m0(l) within a few GeV (grid spacing 50 GeV)
    assert np.max(np.abs(line[:, 0] - boundary(line[:, 1]))) < 5.0
    assert line[:, 1].min() == pytest.approx(0.0, abs=1.0) and line[:, 1].max() > 300.0


def test_no_contour_when_nothing_excluded() -> None:
    m, l = grid()
    assert exclusion_contour(m, l, np.full_like(m, 0.5)) == []


def test_mass_reach_cases() -> None:
    m = np.arange(100.0, 1001.0, 50.0)
    reach, status = mass_reach(m, analytic_cls(m, np.zeros_like(m)))
    assert status == "excluded" and reach == pytest.approx(600.0, abs=0.5)
    reach, status = mass_reach(m, np.full_like(m, 0.3))
    assert status == "not excluded" and math.isnan(reach)
    reach, status = mass_reach(m, np.full_like(m, 0.001))
    assert status == "beyond grid" and reach == 1000.0


def test_no_line_across_a_hole_in_the_grid() -> None:
    # a grid with a square hole: CLs falls steeply from left to right, crossing 0.05 at m = 550 everywhere.
    # Without masking, the Delaunay triangles spanning the hole interpolate across it; the masked
    # triangulation leaves the hole empty, so no contour point lies well inside it.
    m, l = grid()
    hole = (m > 420) & (m < 680) & (l > 120) & (l < 330)
    m, l = m[~hole], l[~hole]
    cls = 0.05 * np.exp((m - 550.0) / 40.0)
    surface = PlaneGrid.build(m, l)
    assert surface.triangulation.mask.any()
    lines = exclusion_contour(m, l, cls)
    points = np.concatenate(lines)
    inside = (points[:, 0] > 460) & (points[:, 0] < 640) & (points[:, 1] > 160) & (points[:, 1] < 290)
    assert not inside.any()
    # away from the hole the line sits at m = 550
    assert np.abs(points[points[:, 1] < 90, 0] - 550.0).max() < 3.0


def test_contour_stays_inside_the_convex_hull() -> None:
    m, l = grid()
    for line in exclusion_contour(m, l, analytic_cls(m, l)):
        # the hull's diagonal edge is l = m - 50 (the first allowed row); no contour point above it
        assert np.all(line[:, 1] <= line[:, 0] - 50 + 1e-6)


def cls_table(shifts: dict[str, float], lumis: tuple[float, ...] = (139.0,), **columns: object) -> pd.DataFrame:
    """cls.csv rows: per region an analytic surface shifted by ``shifts[region]`` GeV; the pessimistic scenario
    (20 %) is 80 GeV weaker; the +-1 sigma CLs are the surface shifted by -+30 GeV."""
    m, l = grid()
    rows = []
    for region, shift in shifts.items():
        for lumi in lumis:
            for scenario, rel, sshift in (("optimistic", 0.0, 0.0), ("pessimistic", 0.2, -80.0)):
                s = shift + sshift
                for a, b, c, lo, hi in zip(m, l, analytic_cls(m - s, l), analytic_cls(m - s - 30, l),
                                           analytic_cls(m - s + 30, l)):
                    rows.append({"m_parent": a, "m_lsp": b, "region": region, "lumi_ifb": lumi, "scenario": scenario,
                                 "bkg_rel_unc": rel, "cls_exp_m1": lo, "cls_exp": c, "cls_exp_p1": hi,
                                 "bkg_events": 100.0, "bkg_stat_events": 5.0, "bkg_zero_mc": False, **columns})
    return pd.DataFrame(rows)


REGIONS = {"NN high": 100.0, "NN low": -50.0, "BDT high": 40.0, "Static jet veto": -150.0, "Dynamic veto 1": -100.0,
           "Dynamic veto 2": -60.0}


def draw(cls: pd.DataFrame, **kwargs: object):
    methods = default_methods([r for r in cls["region"].unique() if r != "best"], "smuon")
    return headline_figure(cls, 139.0, SMUON, methods, 13.0, **kwargs)


def by_gid(ax: plt.Axes, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_headline_one_curve_per_method_with_band_shading_and_points() -> None:
    cls = cls_table(REGIONS)
    result = draw(cls)
    try:
        ax = result.figure.axes[0]
        assert result.scenario == "pessimistic"  # the larger background uncertainty is the headline
        assert list(result.curves) == ["NN", "BDT", "Static jet veto", "Dynamic jet veto"]
        assert result.regions_used["NN"] == ["NN high"]  # NN high is stronger everywhere
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[:5] == [r"Best region per point, expected $\pm 1\sigma_{\mathrm{exp}}$", "NN (2 regions)",
                              "BDT", "Static jet veto", "Dynamic jet veto (2 regions)"]
        assert "Best region, optimistic (0 % bkg. unc.)" in legend
        colours = {line.get_color() for line in ax.get_lines() if str(line.get_gid()).startswith("curve:")}
        assert len(colours) == 4
        # the NN curve is the pessimistic NN high boundary: shift 100 - 80 = +20 GeV
        nn = np.concatenate([line.get_xydata() for line in by_gid(ax, "curve:NN")])
        assert np.abs(nn[:, 0] - (boundary(nn[:, 1]) + 20.0)).max() < 5.0
        # band between the -1 sigma (m0 + 50) and +1 sigma (m0 - 10) boundaries of the best (NN high)
        (band,) = by_gid(ax, "expected_band")
        path = band.get_path()
        m0 = float(boundary(np.array(10.0)))
        assert path.contains_point((m0 + 20.0, 10.0)) and path.contains_point((m0 + 45.0, 10.0))
        assert path.contains_point((m0 - 5.0, 10.0))
        assert not path.contains_point((m0 - 20.0, 10.0)) and not path.contains_point((m0 + 60.0, 10.0))
        (shaded,) = by_gid(ax, "excluded_area")
        assert shaded.get_path().contains_point((300.0, 50.0)) and not shaded.get_path().contains_point((900.0, 50.0))
        # grid points: excluded where the pessimistic best CLs < 0.05
        m, l = grid()
        expected = analytic_cls(m - 20.0, l) < 0.05
        (done,) = by_gid(ax, "points_excluded")
        (not_done,) = by_gid(ax, "points_not_excluded")
        assert len(done.get_xdata()) == expected.sum() and len(not_done.get_xdata()) == (~expected).sum()
        texts = {t.get_gid(): t.get_text() for t in ax.texts}
        assert "√s = 13 TeV, 139 fb$^{-1}$" in texts["lumi_label"] and "20 %" in texts["lumi_label"]
        assert texts["kinematic_label"].startswith(SMUON.kinematic_limit)
        assert "Simulation" in texts["experiment_label"]
        assert "caveat" not in texts and "beyond_grid" not in texts and result.beyond_grid == []
        assert ax.get_ylim()[0] == 0.0
    finally:
        plt.close(result.figure)


def test_region_excluding_the_whole_grid_is_shown_beyond_grid() -> None:
    cls = cls_table({**REGIONS, "NN high": 2000.0})  # excludes every grid point
    result = draw(cls)
    try:
        ax = result.figure.axes[0]
        assert result.curves["NN"].status == "all" and result.curves["NN"].lines == []
        assert "NN" in result.beyond_grid
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "NN (2 regions): whole grid excluded, limit beyond grid" in legend
        assert by_gid(ax, "whole_grid:NN")  # the grid's outline, hatched in the NN colour
        assert any(t.get_gid() == "beyond_grid" and "beyond grid" in t.get_text() for t in ax.texts)
    finally:
        plt.close(result.figure)


def test_curve_reaching_the_heaviest_points_is_marked_beyond_grid() -> None:
    m, l = grid()
    result = exclusion(PlaneGrid.build(m, l), analytic_cls(m - 500.0, l), 0.05)
    assert result.status == "partial" and result.edge  # excluded at m = 1000, l = 0
    result = exclusion(PlaneGrid.build(m, l), analytic_cls(m, l), 0.05)
    assert result.status == "partial" and not result.edge


@pytest.mark.parametrize(("columns", "kind", "text"), [
    ({"bkg_zero_mc": True}, "zero_mc", "no background MC event in"),
    ({"bkg_stat_events": 40.0}, "low_mc", "effective MC events"),
    ({"bkg_stat_events": 0.0}, "no_mc_stat", "not in the likelihood"),
])
def test_caveat_drawn_when_regions_relied_on_thin_background_mc(columns: dict, kind: str, text: str) -> None:
    cls = cls_table(REGIONS)
    for column, value in columns.items():
        cls.loc[cls["region"] == "Static jet veto", column] = value
    result = draw(cls)
    try:
        assert [c.kind for c in result.caveats] == [kind] and result.caveats[0].regions == ("Static jet veto",)
        (caveat,) = [t for t in result.figure.axes[0].texts if t.get_gid() == "caveat"]
        assert text in caveat.get_text() and "Static jet veto" in caveat.get_text()
    finally:
        plt.close(result.figure)


def test_coarse_grid_gets_a_caveat() -> None:
    cls = cls_table(REGIONS)
    coarse = cls[cls["m_parent"].isin([100.0, 300.0, 500.0, 700.0]) & cls["m_lsp"].isin([0.0, 200.0])]
    result = draw(coarse)
    try:
        assert [c.kind for c in result.caveats] == ["coarse_grid"]
        assert any("grid points" in t.get_text() for t in result.figure.axes[0].texts if t.get_gid() == "caveat")
    finally:
        plt.close(result.figure)


def test_regions_figure_has_one_panel_per_region_and_says_beyond_grid() -> None:
    cls = cls_table({"NN high": 2000.0, "Static jet veto": -150.0})
    methods = default_methods(["NN high", "Static jet veto"], "smuon")
    fig, status = regions_figure(cls, 139.0, SMUON, methods, 13.0)
    try:
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in visible] == ["NN high", "Static jet veto"] and len(fig.axes) == 2
        assert status["NN high"] == {"pessimistic": "all", "optimistic": "all"}
        assert any("beyond grid" in t.get_text() for t in visible[0].texts)
        assert any(p.get_gid() == "expected_band" for p in visible[1].patches)
    finally:
        plt.close(fig)


def test_plot_contours_outputs(tmp_path: Path) -> None:
    m, l = grid()
    rows = []
    for region, shift in (("NN high", 100.0), ("Jet veto", -150.0)):
        for lumi, lshift in ((139.0, 0.0), (3000.0, 200.0)):
            for scenario, sshift in (("optimistic", 0.0), ("pessimistic", -80.0)):
                cls = analytic_cls(m - shift - lshift - sshift, l)
                rows += [{"m_parent": a, "m_lsp": b, "region": region, "lumi_ifb": lumi, "scenario": scenario,
                          "cls_exp": c} for a, b, c in zip(m, l, cls)]
    pd.DataFrame(rows).to_csv(tmp_path / "cls.csv", index=False)
    # figures at one luminosity (seconds each); the mass-reach table covers all
    table = plot_contours(tmp_path / "cls.csv", tmp_path / "plots", tmp_path / "plots" / "mass_reach.csv",
                          lumis=[3000.0])
    for kind in ("", "_regions"):
        for ext in ("pdf", "png"):
            assert (tmp_path / "plots" / f"contour_3000ifb{kind}.{ext}").stat().st_size > 1000
    assert not list((tmp_path / "plots").glob("contour_139*"))
    assert not list((tmp_path / "plots").glob(".*tmp*"))
    reach = table.set_index(["region", "lumi_ifb", "scenario"])
    assert reach.loc[("NN high", 139.0, "optimistic"), "mass_reach_gev"] == pytest.approx(700.0, abs=1.0)
    assert reach.loc[("Jet veto", 139.0, "pessimistic"), "mass_reach_gev"] == pytest.approx(370.0, abs=1.0)
    assert reach.loc[("NN high", 3000.0, "optimistic"), "status"] == "excluded"
    assert pd.read_csv(tmp_path / "plots" / "mass_reach.csv").shape == (8, 6)


def test_zero_mc_regions_without_the_column() -> None:
    cls = pd.DataFrame({"region": ["A", "best"], "cls_exp": [0.1, 0.1], "m_parent": [1, 1], "m_lsp": [0, 0]})
    assert zero_mc_regions(cls) == []
    cls["bkg_zero_mc"] = [True, True]
    assert zero_mc_regions(cls) == ["A"]


def test_too_few_points_give_a_figure_without_contours_and_say_so() -> None:
    cls = cls_table(REGIONS)
    two = cls[cls["m_parent"].isin([300.0, 900.0]) & (cls["m_lsp"] == 0.0)]
    result = draw(two)
    try:
        assert [c.kind for c in result.caveats] == ["no_surface"]
        assert all(c.lines == [] for c in result.curves.values()) and result.band is None
        (done,) = by_gid(result.figure.axes[0], "points_excluded")
        assert list(done.get_xdata()) == [300.0]
    finally:
        plt.close(result.figure)
