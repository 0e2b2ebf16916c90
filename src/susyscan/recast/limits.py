"""Observed and expected CLs of every (grid point, region), the best expected region per point with its
signal-theory variations, and the seed-003 small-excess flags with the local significance of each region."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.errors import ConfigError
from susyscan.recast.config import RecastConfig
from susyscan.recast.data import PublishedRegion
from susyscan.recast.stats import CLS_LEVEL, Significance, cls, discovery_significance, is_small_excess

logger = logging.getLogger(__name__)

EXP_COLUMNS = ["cls_exp_m2", "cls_exp_m1", "cls_exp", "cls_exp_p1", "cls_exp_p2"]
"""Expected CLs at the -2..+2 sigma quantiles of the background-only test statistic (CLs increasing):
m1/p1 bound the +-1 sigma band of the expected limit."""


def region_significances(published: dict[str, PublishedRegion], constraint: str) -> dict[str, Significance]:
    """Local significance (q0, p0, Z) of the observed count of each region (independent of the signal)."""
    return {name: discovery_significance(region, constraint) for name, region in published.items()}


def point_region_table(yields: pd.DataFrame, published: dict[str, PublishedRegion], cfg: RecastConfig,
                       constraint: str = "normsys", level: float = CLS_LEVEL) -> pd.DataFrame:
    """One row per (point, region): signal, n_obs, bkg, CLs obs/exp band, small_excess, q0, p0, Z."""
    missing = sorted(set(yields["region"]) - set(published))
    if missing:
        raise ConfigError(f"yield regions {missing} are not in the published table {cfg.reference}")
    significance = region_significances({r: published[r] for r in sorted(set(yields["region"]))}, constraint)
    rows = []
    for row in yields.itertuples(index=False):
        region = published[row.region]
        result = cls(region, float(row.signal), constraint)
        sig = significance[row.region]
        rows.append({
            "analysis": cfg.name, "sample": row.sample, "m_parent": row.m_parent, "m_lsp": row.m_lsp,
            "region": row.region, "signal": row.signal, "signal_mc_unc": row.signal_mc_unc,
            "n_obs": region.n_obs, "bkg": region.bkg, "bkg_unc": region.bkg_unc,
            "cls_obs": result.cls_obs, **dict(zip(EXP_COLUMNS, result.cls_exp, strict=True)),
            "small_excess": is_small_excess(result.cls_obs, result.cls_exp[2], level),
            "q0": sig.q0, "p0": sig.p0, "z": sig.z,
        })
    return pd.DataFrame(rows)


def best_regions(table: pd.DataFrame, yields: pd.DataFrame, published: dict[str, PublishedRegion],
                 cfg: RecastConfig, constraint: str = "normsys", level: float = CLS_LEVEL) -> pd.DataFrame:
    """Per point the region of smallest expected CLs (ties: first in config order), its observed CLs with the
    signal scaled by 1 +- xsec_unc/xsec (signal-theory lines), the small-excess flag of that region, and the
    number of flagged regions and of pairwise independent flagged regions (``n_independent_flagged``)."""
    order = {r.name: i for i, r in enumerate(cfg.regions)}
    rows = []
    for sample, group in table.groupby("sample", sort=True):
        group = group.assign(_order=group["region"].map(order)).sort_values(["cls_exp", "_order"])
        best = group.iloc[0]
        y = yields[(yields["sample"] == sample) & (yields["region"] == best["region"])].iloc[0]
        rel = float(y["xsec_unc_pb"]) / float(y["xsec_pb"]) if float(y["xsec_pb"]) > 0 else 0.0
        region = published[best["region"]]
        up = cls(region, float(best["signal"]) * (1.0 + rel), constraint).cls_obs
        down = cls(region, float(best["signal"]) * max(1.0 - rel, 0.0), constraint).cls_obs
        flagged = list(group.loc[group["small_excess"], "region"])
        rows.append({
            "analysis": cfg.name, "sample": sample, "m_parent": best["m_parent"], "m_lsp": best["m_lsp"],
            "best_region": best["region"], "signal": best["signal"], "xsec_rel_unc": rel,
            "cls_obs": best["cls_obs"], "cls_obs_theory_up": up, "cls_obs_theory_down": down,
            **{c: best[c] for c in EXP_COLUMNS},
            "small_excess": bool(best["small_excess"]), "z": best["z"],
            "n_flagged_regions": len(flagged),
            "n_independent_flagged": max_independent(flagged, cfg),
            "flagged_regions": ";".join(flagged),
        })
    return pd.DataFrame(rows)


def max_independent(region_names: list[str], cfg: RecastConfig) -> int:
    """Size of the largest set of pairwise disjoint regions among ``region_names``.

    Regions of different channels are always disjoint, so the answer is the sum over channels of the
    largest set of non-overlapping mT2 windows (interval scheduling: greedy by window end is optimal).
    """
    by_channel: dict[str, list[tuple[float, float]]] = {}
    for name in region_names:
        region = cfg.region(name)
        by_channel.setdefault(region.channel, []).append((region.mt2_min, region.mt2_max))
    total = 0
    for windows in by_channel.values():
        end = -np.inf
        for low, high in sorted(windows, key=lambda w: w[1]):
            if low >= end:
                total += 1
                end = high
    return total


def multiply_flagged(best: list[pd.DataFrame]) -> pd.DataFrame:
    """Points flagged by more than one independent region, across the best-region tables of several analyses
    (different analyses are counted as independent of each other: an assumption); a point is a grid sample, so
    two signal models at the same masses stay apart."""
    frame = pd.concat(best, ignore_index=True)
    summary = (frame.groupby(["sample", "m_parent", "m_lsp"], as_index=False)  # sample names differ by model
               .agg(n_analyses_flagged=("n_independent_flagged", lambda s: int((s > 0).sum())),
                    n_independent_flagged=("n_independent_flagged", "sum"),
                    analyses=("analysis", lambda s: ";".join(sorted(set(s))))))
    summary["found_multiple"] = summary["n_independent_flagged"] > 1
    return summary
