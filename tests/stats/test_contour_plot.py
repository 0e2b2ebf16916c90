"""The contour plot shows the headline best-region contour and the count of regions without background MC."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from susyscan.plotting.contours import contour_figure, plt, zero_mc_regions
from susyscan.stats.limits import compute_limits


def test_contour_figure_states_best_region_and_zero_mc(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    compute_limits(paths, bkg, tmp_path / "cls.csv", [139.0], {"optimistic": 0.0})
    cls = pd.read_csv(tmp_path / "cls.csv")
    # three points are needed for a contour: add a third, excluded everywhere, from the first point's rows
    extra = cls[cls["m_parent"] == 300].assign(m_parent=400.0, m_lsp=200.0, cls_exp=1e-6)
    cls = pd.concat([cls, extra], ignore_index=True)
    cls.loc[cls["m_parent"] == 500, "cls_exp"] = 0.9
    assert zero_mc_regions(cls) == ["Jet veto"]
    fig = contour_figure(cls, 139.0, ["NN high", "BDT", "Jet veto"])
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "best region (optimistic)" in labels
        best = [line for line in ax.get_lines() if line.get_label() == "best region (optimistic)"]
        assert best and best[0].get_color() == "black" and len(best[0].get_xdata()) > 1
        texts = " ".join(t.get_text() for t in ax.texts)
        assert "regions with zero background MC: 1 of 3" in texts and "Jet veto" in texts
    finally:
        plt.close(fig)

def test_zero_mc_regions_without_the_column() -> None:
    cls = pd.DataFrame({"region": ["A", "best"], "cls_exp": [0.1, 0.1], "m_parent": [1, 1], "m_lsp": [0, 0]})
    assert zero_mc_regions(cls) == []
    cls["bkg_zero_mc"] = [True, True]
    assert zero_mc_regions(cls) == ["A"]
