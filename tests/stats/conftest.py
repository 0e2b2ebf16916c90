"""Synthetic scan outputs for the statistics tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REGIONS = ("NN high", "BDT", "Jet veto")
BKG_PB = {"NN high": 0.004, "BDT": 0.02, "Jet veto": 0.0}


@pytest.fixture()
def scan_outputs(tmp_path: Path) -> tuple[list[Path], Path]:
    """Two grid points (one with a zero-signal region) and a background table with one empty region
    (Jet veto; largest event weight 4e-5 pb, of ttbar)."""
    paths = []
    for m_parent, m_lsp, scale in ((300, 0, 1.0), (500, 100, 0.2)):
        rows = [{"region": r, "yield_pb": 0.0 if (m_parent == 500 and r == "BDT") else 0.01 * scale * (i + 1),
                 "stat_pb": 0.001 * scale, "n_raw": 100, "m_parent": m_parent, "m_lsp": m_lsp}
                for i, r in enumerate(REGIONS)]
        path = tmp_path / f"smuon_{m_parent}_{m_lsp}.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        paths.append(path)
    bkg = [{"region": r, "process": p, "yield_pb": v * f, "stat_pb": 0.1 * v, "n_raw": 10 if v > 0 else 0,
            "min_event_weight_pb": 1e-5, "max_event_weight_pb": 2e-5 if p == "ww" else 4e-5}
           for r, v in BKG_PB.items() for p, f in (("ww", 0.6), ("ttbar", 0.4), ("total", 1.0))]
    bkg_path = tmp_path / "background_yields.csv"
    pd.DataFrame(bkg).to_csv(bkg_path, index=False)
    return paths, bkg_path
