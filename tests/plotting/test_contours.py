"""Contour extraction and mass reach on analytic CLs surfaces with a known boundary; figure outputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.plotting.contours import exclusion_contour, mass_reach, plot_contours


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
    table = plot_contours(tmp_path / "cls.csv", tmp_path / "plots", tmp_path / "plots" / "mass_reach.csv")
    for lumi in ("139", "3000"):
        for ext in ("pdf", "png"):
            assert (tmp_path / "plots" / f"contour_{lumi}ifb.{ext}").stat().st_size > 1000
    reach = table.set_index(["region", "lumi_ifb", "scenario"])
    assert reach.loc[("NN high", 139.0, "optimistic"), "mass_reach_gev"] == pytest.approx(700.0, abs=1.0)
    assert reach.loc[("Jet veto", 139.0, "pessimistic"), "mass_reach_gev"] == pytest.approx(370.0, abs=1.0)
    assert reach.loc[("NN high", 3000.0, "optimistic"), "status"] == "excluded"
    assert pd.read_csv(tmp_path / "plots" / "mass_reach.csv").shape == (8, 6)
