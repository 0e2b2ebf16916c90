"""The cutflow plot: a real PNG; distinct colours; backgrounds solid, signals dashed; at most a few signals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from susyscan.plotting.cutflow import cutflow_figure, plot_cutflow, shown_signals
from susyscan.plotting.style import plt


def long_table(n_signals: int) -> pd.DataFrame:
    rows = []
    groups = [("ttbar", 0, 1e5), ("ww", 0, 3e4), ("zz", 0, 1e4)]
    groups += [(f"smu_{100 + 50 * i}_0", 1, 1e3 / (i + 1)) for i in range(n_signals)]
    for group, is_signal, scale in groups:
        for order, cut in enumerate(["initial", "met", "mt2", "z_veto"]):
            value = 0.0 if (group == "zz" and cut == "z_veto") else scale / 10**order
            rows.append({"group": group, "is_signal": is_signal, "order": order, "cut": cut, "label": cut,
                         "for_comparison_only": cut == "z_veto", "n_raw": 10, "yield": value, "stat": value / 10})
    return pd.DataFrame(rows)


def test_plot_cutflow_writes_png(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "cutflow.png"
    plot_cutflow(long_table(1), out, 139.0)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(tmp_path.rglob("*.tmp*"))


def test_cutflow_colours_distinct_and_signals_limited() -> None:
    long = long_table(20)
    shown = shown_signals(long, 6)
    assert len(shown) == 6 and shown[0] == "smu_100_0" and shown[-1] == "smu_1050_0"  # largest to smallest
    fig = cutflow_figure(long, 139.0, max_signals=6)
    try:
        ax = fig.axes[0]
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert list(lines) == ["ttbar", "ww", "zz", *shown]
        assert len({line.get_color() for line in lines.values()}) == len(lines)
        assert all(lines[g].get_linestyle() == "-" for g in ("ttbar", "ww", "zz"))
        assert all(lines[g].get_linestyle() == "--" for g in shown)
        assert "6 of 20 signal points shown" in ax.get_title()
        assert ax.get_ylabel() == "Events / 139 fb$^{-1}$"
    finally:
        plt.close(fig)
