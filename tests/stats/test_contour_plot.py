"""The limits table written by the statistics stage drives the headline figure: the best region per point and
a caveat naming the region whose background had no MC event (the zero-MC substitute)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from susyscan.plotting.contours import zero_mc_regions
from susyscan.plotting.headline import headline_figure
from susyscan.plotting.labels import default_methods, plane_labels
from susyscan.plotting.style import plt
from susyscan.stats.limits import compute_limits


def test_headline_from_cls_table_names_zero_mc_region(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    compute_limits(paths, bkg, tmp_path / "cls.csv", [139.0], {"optimistic": 0.0})
    cls = pd.read_csv(tmp_path / "cls.csv")
    # three points are needed for a contour: add a third, excluded everywhere, from the first point's rows
    extra = cls[cls["m_parent"] == 300].assign(m_parent=400.0, m_lsp=200.0, cls_exp=1e-6)
    cls = pd.concat([cls, extra], ignore_index=True)
    cls.loc[cls["m_parent"] == 500, "cls_exp"] = 0.9
    assert zero_mc_regions(cls) == ["Jet veto"]
    regions = ["NN high", "BDT", "Jet veto"]
    result = headline_figure(cls, 139.0, plane_labels("smuon"), default_methods(regions, "smuon"), 13.0)
    try:
        ax = result.figure.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[0].startswith("Best region per point") and {"NN", "BDT", "Jet veto"} <= set(labels)
        best = [line for line in ax.get_lines() if line.get_gid() == "best_line"]
        assert best and best[0].get_color() == "black" and len(best[0].get_xdata()) > 1
        zero = [c for c in result.caveats if c.kind == "zero_mc"]
        assert zero and zero[0].regions == ("Jet veto",)
        caveat = " ".join(t.get_text() for t in ax.texts if t.get_gid() == "caveat")
        assert "no background MC event in Jet veto" in caveat
    finally:
        plt.close(result.figure)
