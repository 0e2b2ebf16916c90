"""Read the scan outputs (per-point signal yields, background yields) for the statistics stage."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from susyscan.errors import EmptySelectionError, FeatureError

logger = logging.getLogger(__name__)

YIELD_COLUMNS = ("region", "yield_pb", "stat_pb", "n_raw", "m_parent", "m_lsp")
TOTAL = "total"


def _require(df: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureError(f"{path}: missing columns {missing}")


def read_signal_yields(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate per-point yield tables (contract columns ``YIELD_COLUMNS``)."""
    frames = []
    for path in map(Path, paths):
        df = pd.read_csv(path)
        _require(df, YIELD_COLUMNS, path)
        if df.empty:
            raise EmptySelectionError(f"{path}: no signal regions")
        frames.append(df)
    if not frames:
        raise EmptySelectionError("no signal yield files given")
    return pd.concat(frames, ignore_index=True)


def read_background_totals(path: str | Path) -> pd.DataFrame:
    """Total background per region (rows with ``process == "total"``), indexed by region."""
    path = Path(path)
    df = pd.read_csv(path)
    _require(df, ("region", "process", "yield_pb", "stat_pb", "n_raw"), path)
    total = df[df["process"] == TOTAL].set_index("region")
    if total.empty:
        raise EmptySelectionError(f"{path}: no '{TOTAL}' rows")
    return total


def min_event_weight_pb(background: pd.DataFrame, override_pb: float | None, path: str | Path) -> float:
    """Yield of one background MC event (pb) used to floor empty regions: config override or file value.

    NaN when neither is available and no region is empty (the floor is then never used)."""
    if override_pb is not None:
        return float(override_pb)
    if "min_event_weight_pb" in background.columns:
        value = float(background["min_event_weight_pb"].min())
        if value > 0 and math.isfinite(value):
            return value
    empty = sorted(background.index[~(background["yield_pb"] > 0)])
    if not empty:
        return math.nan
    raise FeatureError(f"{path}: regions {empty} have no background, but there is no 'min_event_weight_pb' "
                       "column and no stats.zero_bkg_floor_pb configured")
