"""The cutflow plot is written and is a real PNG."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from susyscan.plotting.cutflow import plot_cutflow


def test_plot_cutflow_writes_png(tmp_path: Path) -> None:
    rows = []
    for group, is_signal, scale in [("ttbar", 0, 1e5), ("smu_300_0", 1, 1e2)]:
        for order, cut in enumerate(["initial", "met", "mt2", "z_veto"]):
            rows.append({"group": group, "is_signal": is_signal, "order": order, "cut": cut, "label": cut,
                         "for_comparison_only": cut == "z_veto", "n_raw": 10, "yield": scale / 10**order,
                         "stat": scale / 10**order / 10})
    out = tmp_path / "sub" / "cutflow.png"
    plot_cutflow(pd.DataFrame(rows), out, 139.0)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(tmp_path.rglob("*.tmp*"))
