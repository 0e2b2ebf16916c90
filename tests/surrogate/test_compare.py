"""Agreement of fast-scan and full-chain exclusion within the surrogate uncertainty (logic on crafted CLs)."""

from __future__ import annotations

import pandas as pd

from susyscan.surrogate.compare import agreement_table


def _cls(values: dict[tuple[float, float], float]) -> pd.DataFrame:
    return pd.DataFrame([{"m_parent": p, "m_lsp": l, "region": "best", "lumi_ifb": 139.0, "scenario": "opt",
                          "cls_exp": v} for (p, l), v in values.items()])


GRID = [(100.0, 0.0), (200.0, 0.0), (300.0, 0.0), (200.0, 100.0), (300.0, 100.0), (300.0, 200.0)]


def test_agreement_and_band() -> None:
    full = _cls({(200.0, 0.0): 0.01, (300.0, 100.0): 0.2, (300.0, 0.0): 0.06})
    nominal = _cls({p: 0.01 if p == (200.0, 0.0) else 0.3 if p == (300.0, 100.0) else 0.04 for p in GRID})
    down = _cls({p: 0.02 if p == (200.0, 0.0) else 0.5 if p == (300.0, 100.0) else 0.07 for p in GRID})
    up = _cls({p: 0.005 if p == (200.0, 0.0) else 0.2 if p == (300.0, 100.0) else 0.03 for p in GRID})
    table = agreement_table(full, {"nominal": nominal, "down": down, "up": up}, 139.0, "opt").set_index(
        ["m_parent", "m_lsp"])
    assert table.loc[(200.0, 0.0), "agrees"] and not table.loc[(200.0, 0.0), "band_straddles"]
    assert table.loc[(300.0, 100.0), "agrees"]
    # (300, 0): full chain not excluded, surrogate excluded, but its band straddles CLs = 0.05: agrees
    assert table.loc[(300.0, 0.0), "band_straddles"] and table.loc[(300.0, 0.0), "agrees"]
    tight = _cls({p: 0.04 for p in GRID})
    table = agreement_table(full, {"nominal": tight, "down": tight, "up": tight}, 139.0, "opt").set_index(
        ["m_parent", "m_lsp"])
    assert not table.loc[(300.0, 100.0), "agrees"] and not table.loc[(300.0, 0.0), "agrees"]


def test_low_efficiency_points_are_flagged() -> None:
    full = _cls({(200.0, 0.0): 0.5, (300.0, 100.0): 0.5})
    fast = _cls({p: 0.01 for p in GRID})
    yields = pd.DataFrame([{"m_parent": p, "m_lsp": l, "region": r, "efficiency": e}
                           for (p, l) in GRID for r, e in (("a", 0.004 if p == 200.0 else 0.2), ("b", 0.001))])
    table = agreement_table(full, {"nominal": fast, "down": fast, "up": fast}, 139.0, "opt",
                            fast_yields=yields).set_index(["m_parent", "m_lsp"])
    assert not table.loc[(200.0, 0.0), "validated"] and table.loc[(300.0, 100.0), "validated"]
    assert table.loc[(200.0, 0.0), "fast_max_efficiency"] == 0.004
    assert not table["agrees"].any()  # both disagree; only (300, 100) counts against the uncertainty
