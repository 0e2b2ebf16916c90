"""Selections on the limits table (``cls.csv``) shared by the limit figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


#: The pseudo-region of ``cls.csv`` holding, per point, the region of lowest expected CLs.
POINT_KEYS = ["m_parent", "m_lsp"]


def main_scenario(rows: pd.DataFrame) -> str:
    """The scenario with the largest relative background uncertainty (the conservative one quoted in a talk);
    the first one if the ``bkg_rel_unc`` column is absent."""
    scenarios = list(dict.fromkeys(rows["scenario"]))
    if "bkg_rel_unc" not in rows.columns:
        return str(scenarios[0])
    rel = rows.groupby("scenario", sort=False)["bkg_rel_unc"].max()
    return str(rel.idxmax())


def best_per_point(rows: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """Per grid point the row of ``regions`` with the lowest expected CLs (first in table order on ties), as the
    statistics stage picks its ``best`` rows."""
    sub = rows[rows["region"].isin(list(regions)) & rows["cls_exp"].notna()]
    if sub.empty:
        return sub
    return sub.loc[sub.groupby(POINT_KEYS, sort=True)["cls_exp"].idxmin()].reset_index(drop=True)


def values_on_grid(grid_points: pd.DataFrame, rows: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` of ``rows`` at every grid point (in ``grid_points`` order); CLs = 1 (nothing excluded) where a
    point has no row, e.g. a region with no valid CLs there."""
    merged = grid_points[POINT_KEYS].merge(rows[POINT_KEYS + [column]], on=POINT_KEYS, how="left")
    return merged[column].fillna(1.0).to_numpy(float)
