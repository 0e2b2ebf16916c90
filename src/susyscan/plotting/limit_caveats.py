"""Which limits rest on a thin or empty background MC: the caveats written on a limit figure.

Read from the ``cls.csv`` columns the statistics stage records per row (``susyscan.stats.inputs``):

- ``bkg_zero_mc``: no background MC event passed the region; the fit used the documented substitute
  b = 1.139 x the largest event weight with a 100 % uncertainty (``susyscan.stats.inputs.zero_mc_background_pb``);
- the effective number of background MC events, N_eff = (b / sigma_b)^2 from ``bkg_events`` and
  ``bkg_stat_events`` (the Kish effective sample size of the weighted MC; equal to the raw count for equal
  weights): below ``LOW_MC_EFFECTIVE_EVENTS`` the background estimate is uncertain by more than 1/sqrt(10) = 32 %;
- ``bkg_stat_events == 0`` with a positive background: the background MC statistical uncertainty was left out
  of the likelihood (``statistics.background_mc_stat: false``), so the limit ignores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Regions whose background rests on fewer effective MC events than this get a caveat.
LOW_MC_EFFECTIVE_EVENTS = 10.0


@dataclass(frozen=True)
class Caveat:
    """One caveat: its kind (``zero_mc``, ``low_mc``, ``no_mc_stat``, or one a figure adds such as
    ``coarse_grid``), the regions concerned, the text."""

    kind: str
    regions: tuple[str, ...]
    text: str


def effective_mc_events(bkg_events: np.ndarray, bkg_stat_events: np.ndarray) -> np.ndarray:
    """N_eff = (b / sigma_b)^2 per row; NaN where sigma_b is 0 (no MC statistical uncertainty recorded)."""
    b = np.asarray(bkg_events, float)
    s = np.asarray(bkg_stat_events, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s > 0, (b / s) ** 2, np.nan)


def _flag(column: pd.Series) -> np.ndarray:
    return column.astype(str).str.lower().isin(["true", "1"]).to_numpy()


def limit_caveats(rows: pd.DataFrame, low_mc: float = LOW_MC_EFFECTIVE_EVENTS) -> list[Caveat]:
    """Caveats of the CLs ``rows`` a figure relies on (columns as in ``cls.csv``; missing columns give none)."""
    caveats: list[Caveat] = []
    if rows.empty or "region" not in rows.columns:
        return caveats
    zero = _flag(rows["bkg_zero_mc"]) if "bkg_zero_mc" in rows.columns else np.zeros(len(rows), bool)
    if zero.any():
        regions = _names(rows.loc[zero, "region"])
        caveats.append(Caveat("zero_mc", regions, f"no background MC event in {', '.join(regions)}: "
                                                  "b = 1.14 x largest event weight, 100 % unc."))
    if {"bkg_events", "bkg_stat_events"} <= set(rows.columns):
        n_eff = effective_mc_events(rows["bkg_events"], rows["bkg_stat_events"])
        low = ~zero & np.isfinite(n_eff) & (n_eff < low_mc)
        if low.any():
            regions = _names(rows.loc[low, "region"])
            caveats.append(Caveat("low_mc", regions, f"background from < {low_mc:g} effective MC events in "
                                                     f"{', '.join(regions)}"))
        bkg = pd.to_numeric(rows["bkg_events"], errors="coerce").to_numpy()
        no_stat = ~zero & (pd.to_numeric(rows["bkg_stat_events"], errors="coerce").to_numpy() == 0) & (bkg > 0)
        if no_stat.any():
            regions = _names(rows.loc[no_stat, "region"])
            caveats.append(Caveat("no_mc_stat", regions, "background MC stat. uncertainty not in the likelihood "
                                                         f"of {', '.join(regions)}"))
    return caveats


def _names(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values}))
