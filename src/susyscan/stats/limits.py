"""CLs table over the grid: every point x region x luminosity x background scenario, plus the best region."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from susyscan.atomic import write_csv_atomic
from susyscan.errors import ConfigError
from susyscan.stats.cls import RegionCounts, region_cls
from susyscan.stats.inputs import min_event_weight_pb, read_background_totals, read_signal_yields

logger = logging.getLogger(__name__)

PB_TO_FB = 1000.0
BEST = "best"
BAND_COLUMNS = ("cls_exp_m2", "cls_exp_m1", "cls_exp", "cls_exp_p1", "cls_exp_p2")


def observed_count(observed: Mapping[str, Any] | None, region: str, lumi: float) -> float | None:
    """Observed count of ``region`` when config gives counts at this luminosity, else None."""
    if not observed or not math.isclose(float(observed.get("lumi_ifb", -1)), lumi):
        return None
    counts = observed.get("counts", {})
    return float(counts[region]) if region in counts else None


def add_best_region(table: pd.DataFrame) -> pd.DataFrame:
    """Append a ``best`` pseudo-region per point/lumi/scenario: the region with the lowest expected CLs."""
    keys = ["m_parent", "m_lsp", "lumi_ifb", "scenario"]
    valid = table[table["cls_exp"].notna()]
    best = valid.loc[valid.groupby(keys)["cls_exp"].idxmin()].copy()
    best["note"] = "best region: " + best["region"] + ("; " + best["note"]).where(best["note"] != "", "")
    best["region"] = BEST
    return pd.concat([table, best], ignore_index=True)


def cls_table(signal: pd.DataFrame, background: pd.DataFrame, lumis: Sequence[float],
              scenarios: Mapping[str, float], bkg_floor_pb: float, modifier: str = "shapesys",
              signal_mc_stat: bool = True, upper_limits: bool = True,
              observed: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """CLs rows for every signal-yield row x luminosity x scenario (yields in pb, lumi in fb^-1)."""
    for name, rel in scenarios.items():
        if not 0 <= float(rel) < 1:
            raise ConfigError(f"stats.scenarios.{name}: relative uncertainty {rel} not in [0, 1)")
    rows = []
    for (m_parent, m_lsp), point in tqdm(signal.groupby(["m_parent", "m_lsp"]), desc="limits", unit="point"):
        for rec in point.itertuples(index=False):
            if rec.region not in background.index:
                raise ConfigError(f"signal region {rec.region!r} of point ({m_parent}, {m_lsp}) "
                                  "has no background yield")
            bkg = background.loc[rec.region]
            for lumi in lumis:
                scale = PB_TO_FB * float(lumi)
                for scenario, rel in scenarios.items():
                    counts = RegionCounts(f"({m_parent}, {m_lsp}) {rec.region} {lumi}/fb {scenario}",
                                          rec.yield_pb * scale, rec.stat_pb * scale if signal_mc_stat else 0.0,
                                          float(bkg["yield_pb"]) * scale, float(rel),
                                          observed_count(observed, rec.region, float(lumi)))
                    res = region_cls(counts, bkg_floor_pb * scale, modifier, upper_limits)
                    rows.append({"m_parent": m_parent, "m_lsp": m_lsp, "region": rec.region,
                                 "lumi_ifb": float(lumi), "scenario": scenario, "bkg_rel_unc": float(rel),
                                 "sig_events": counts.sig, "bkg_events": counts.bkg,
                                 **dict(zip(BAND_COLUMNS, res.cls_exp_band)),
                                 "mu_up_exp": res.mu_up_exp, "cls_obs": res.cls_obs, "note": "; ".join(res.notes)})
    return add_best_region(pd.DataFrame(rows))


def compute_limits(yield_paths: Sequence[str | Path], background_path: str | Path, out_csv: str | Path,
                   lumis: Sequence[float], scenarios: Mapping[str, float], modifier: str = "shapesys",
                   signal_mc_stat: bool = True, upper_limits: bool = True,
                   observed: Mapping[str, Any] | None = None, zero_bkg_floor_pb: float | None = None) -> pd.DataFrame:
    """Read scan outputs, compute the CLs table and write ``cls.csv``."""
    signal = read_signal_yields(yield_paths)
    background = read_background_totals(background_path)
    floor_pb = min_event_weight_pb(background, zero_bkg_floor_pb, background_path)
    table = cls_table(signal, background, lumis, scenarios, floor_pb, modifier, signal_mc_stat,
                      upper_limits, observed)
    write_csv_atomic(table, out_csv)
    logger.info("wrote %d CLs rows to %s", len(table), out_csv)
    return table
