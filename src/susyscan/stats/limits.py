"""CLs table over the grid: every point x region x luminosity x background scenario, plus the best region.

Each region is its own one-bin model: the signal regions overlap (two networks, a BDT and vetoes select
shared events), so they are never combined in one likelihood.  The headline result per point is the
region with the lowest expected CLs (``best`` rows, the ATLAS convention for overlapping regions).

The workflow computes the table in parts (one luminosity x one batch of grid points per job,
:func:`compute_limits_part`) and merges them (:func:`merge_limits`); :func:`compute_limits` does the same
in one process.  Both give the same table, row for row.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from susyscan.atomic import write_csv_atomic
from susyscan.contracts import BEST
from susyscan.errors import ConfigError, EmptySelectionError, FeatureError
from susyscan.stats.cls import CLsResult, RegionCounts, quiet_pyhf, region_cls
from susyscan.stats.envelope import RegionUncertainty, scenario_uncertainties
from susyscan.stats.inputs import background_for_limits, read_signal_yields

logger = logging.getLogger(__name__)

PB_TO_FB = 1000.0
BAND_COLUMNS = ("cls_exp_m2", "cls_exp_m1", "cls_exp", "cls_exp_p1", "cls_exp_p2")
KEYS = ["m_parent", "m_lsp", "lumi_ifb", "scenario"]
#: Columns of ``cls.csv`` in order.
COLUMNS = ("m_parent", "m_lsp", "region", "lumi_ifb", "scenario", "bkg_rel_unc", "sig_events", "sig_stat_events",
           "bkg_events", "bkg_fit_events", "bkg_stat_events", "bkg_zero_mc", "method", *BAND_COLUMNS, "mu_up_exp",
           "cls_obs", "best_region", "note")


def observed_count(observed: Mapping[str, Any] | None, region: str, lumi: float) -> float | None:
    """Observed count of ``region`` when config gives counts at this luminosity, else None."""
    if not observed or not math.isclose(float(observed.get("lumi_ifb", -1)), lumi):
        return None
    counts = observed.get("counts", {})
    return float(counts[region]) if region in counts else None


def add_best_region(table: pd.DataFrame) -> pd.DataFrame:
    """Append a ``best`` pseudo-region per point/lumi/scenario: the region with the lowest expected CLs
    (first in table order on ties), named in ``best_region`` and the note."""
    valid = table[table["cls_exp"].notna()]
    best = valid.loc[valid.groupby(KEYS)["cls_exp"].idxmin()].copy()
    best["best_region"] = best["region"]
    best["note"] = "best region: " + best["region"] + ("; " + best["note"]).where(best["note"] != "", "")
    best["region"] = BEST
    return pd.concat([table, best], ignore_index=True)


def _check_scenarios(scenarios: Mapping[str, float]) -> None:
    for name, rel in scenarios.items():
        if not 0 <= float(rel) < 1:
            raise ConfigError(f"statistics.background_uncertainty.{name}: relative uncertainty {rel} not in [0, 1)")


def _row(m_parent: float, m_lsp: float, region: str, lumi: float, scenario: str, rel: float, counts: RegionCounts,
         bkg_mc: float, zero_mc: bool, bkg_note: str, res: CLsResult) -> dict[str, Any]:
    notes = [bkg_note] if bkg_note else []
    return {"m_parent": m_parent, "m_lsp": m_lsp, "region": region, "lumi_ifb": lumi, "scenario": scenario,
            "bkg_rel_unc": rel, "sig_events": counts.sig, "sig_stat_events": counts.sig_stat, "bkg_events": bkg_mc,
            "bkg_fit_events": counts.bkg, "bkg_stat_events": counts.bkg_stat, "bkg_zero_mc": zero_mc,
            "method": res.method, **dict(zip(BAND_COLUMNS, res.cls_exp_band)), "mu_up_exp": res.mu_up_exp,
            "cls_obs": res.cls_obs, "best_region": "", "note": "; ".join(notes + res.notes)}


def cls_rows(signal: pd.DataFrame, background: pd.DataFrame, lumi: float, scenarios: Mapping[str, float],
             modifier: str = "shapesys", signal_mc_stat: bool = True, upper_limits: bool = False,
             observed: Mapping[str, Any] | None = None, method: str = "asimov",
             region_unc: Mapping[str, Mapping[str, RegionUncertainty]] | None = None) -> pd.DataFrame:
    """CLs rows of every signal-yield row x scenario at one luminosity (yields in pb, lumi in fb^-1).

    ``background``: :func:`susyscan.stats.inputs.background_for_limits` (the zero-MC substitute included).
    ``region_unc``: scenario -> region -> background uncertainty replacing the scenario's flat value (the
    scale-variation envelope, :mod:`susyscan.stats.envelope`); ``bkg_rel_unc`` is then its ``rel_total``."""
    _check_scenarios(scenarios)
    scale = PB_TO_FB * float(lumi)
    rows = []
    for (m_parent, m_lsp), point in tqdm(signal.groupby(["m_parent", "m_lsp"]), desc=f"limits {lumi:g}/fb",
                                         unit="point"):
        for rec in point.itertuples(index=False):
            if rec.region not in background.index:
                raise ConfigError(f"signal region {rec.region!r} of point ({m_parent}, {m_lsp}) "
                                  "has no background yield")
            bkg = background.loc[rec.region]
            for scenario, rel in scenarios.items():
                unc = (region_unc or {}).get(scenario, {}).get(rec.region, RegionUncertainty(rel, (), rel))
                counts = RegionCounts(f"({m_parent}, {m_lsp}) {rec.region} {lumi:g}/fb {scenario}",
                                      rec.yield_pb * scale, rec.stat_pb * scale if signal_mc_stat else 0.0,
                                      float(bkg["fit_pb"]) * scale, float(unc.flat_rel),
                                      observed_count(observed, rec.region, float(lumi)),
                                      float(bkg["stat_pb"]) * scale, tuple(s.scaled(scale) for s in unc.shifts))
                res = region_cls(counts, modifier, upper_limits, method)
                note = "; ".join(n for n in (str(bkg["note"]), unc.note) if n)
                rows.append(_row(m_parent, m_lsp, rec.region, float(lumi), scenario, float(unc.rel_total), counts,
                                 float(bkg["yield_pb"]) * scale, bool(bkg["zero_mc"]), note, res))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def finish_table(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate part tables in one canonical row order (point, luminosity, then region and scenario as
    computed) and append the ``best`` rows."""
    table = pd.concat(parts, ignore_index=True)
    if table.empty:
        raise EmptySelectionError("no CLs rows to merge")
    table = table.sort_values(["m_parent", "m_lsp", "lumi_ifb"], kind="stable", ignore_index=True)
    return add_best_region(table)


def log_zero_mc(table: pd.DataFrame) -> list[str]:
    """Regions whose background had no MC event (logged once); returned sorted."""
    if "bkg_zero_mc" not in table.columns:
        return []
    regions = sorted(set(table.loc[table["bkg_zero_mc"].astype(bool) & (table["region"] != BEST), "region"]))
    if regions:
        logger.warning("%d region(s) without background MC, with the zero-MC background substitute: %s",
                       len(regions), regions)
    return regions


def cls_table(signal: pd.DataFrame, background: pd.DataFrame, lumis: Sequence[float],
              scenarios: Mapping[str, float], modifier: str = "shapesys", signal_mc_stat: bool = True,
              upper_limits: bool = False, observed: Mapping[str, Any] | None = None,
              method: str = "asimov") -> pd.DataFrame:
    """CLs rows for every signal-yield row x luminosity x scenario, plus the ``best`` rows."""
    _check_scenarios(scenarios)
    return finish_table([cls_rows(signal, background, float(lumi), scenarios, modifier, signal_mc_stat,
                                  upper_limits, observed, method) for lumi in lumis])


def compute_limits(yield_paths: Sequence[str | Path], background_path: str | Path, out_csv: str | Path,
                   lumis: Sequence[float], scenarios: Mapping[str, float], modifier: str = "shapesys",
                   signal_mc_stat: bool = True, upper_limits: bool = False,
                   observed: Mapping[str, Any] | None = None, background_mc_stat: bool = True,
                   method: str = "asimov") -> pd.DataFrame:
    """Read scan outputs, compute the whole CLs table in this process and write ``cls.csv``."""
    quiet_pyhf()
    signal = read_signal_yields(yield_paths)
    background = background_for_limits(background_path, background_mc_stat)
    table = cls_table(signal, background, lumis, scenarios, modifier, signal_mc_stat, upper_limits, observed, method)
    log_zero_mc(table)
    write_csv_atomic(table, out_csv)
    logger.info("wrote %d CLs rows to %s", len(table), out_csv)
    return table


def compute_limits_part(yield_paths: Sequence[str | Path], background_path: str | Path, out_csv: str | Path,
                        lumi: float, scenarios: Mapping[str, float], modifier: str = "shapesys",
                        signal_mc_stat: bool = True, upper_limits: bool = False,
                        observed: Mapping[str, Any] | None = None, background_mc_stat: bool = True,
                        method: str = "asimov", envelopes_path: str | Path | None = None,
                        envelope_scenarios: Sequence[str] = (), scale_modifier: str = "histosys") -> pd.DataFrame:
    """One part of the CLs table (the given points at one luminosity, no ``best`` rows) for :func:`merge_limits`.

    ``envelope_scenarios`` use the per-region scale-variation envelopes of ``envelopes_path`` (the scan's
    ``background_scale_envelopes.csv``) as ``scale_modifier`` modifiers instead of their flat fraction, which stays
    on the samples without scale weights (:mod:`susyscan.stats.envelope`)."""
    quiet_pyhf()
    signal = read_signal_yields(yield_paths)
    background = background_for_limits(background_path, background_mc_stat)
    region_unc = scenario_uncertainties(background_path, scenarios, envelopes_path, envelope_scenarios,
                                        background["zero_mc"].to_dict(), scale_modifier)
    table = cls_rows(signal, background, float(lumi), scenarios, modifier, signal_mc_stat, upper_limits, observed,
                     method, region_unc)
    write_csv_atomic(table, out_csv)
    logger.info("wrote %d CLs rows (%d points at %g/fb) to %s", len(table), len(yield_paths), lumi, out_csv)
    return table


def read_part(path: str | Path) -> pd.DataFrame:
    """A part written by :func:`compute_limits_part` (all ``COLUMNS``; empty notes stay empty strings)."""
    path = Path(path)
    df = pd.read_csv(path, keep_default_na=False, na_values={c: [""] for c in COLUMNS
                                                             if c not in ("region", "scenario", "method",
                                                                          "best_region", "note")})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise FeatureError(f"{path}: missing columns {missing} (not a compute_limits_part table)")
    return df


def merge_limits(part_paths: Sequence[str | Path], out_csv: str | Path) -> pd.DataFrame:
    """Merge part tables into ``cls.csv`` (canonical row order, ``best`` rows); a duplicated row is an error."""
    parts = [read_part(p) for p in part_paths]
    keys = ["m_parent", "m_lsp", "region", "lumi_ifb", "scenario"]
    sources = pd.concat([part[keys].assign(source=str(path)) for part, path in zip(parts, part_paths)])
    dup = sources.duplicated(keys, keep=False)
    if dup.any():
        first = sources[dup].iloc[0]
        files = sources[dup & (sources[keys] == first[keys]).all(axis=1)]["source"].tolist()
        raise FeatureError(f"{files}: row ({first['m_parent']:g}, {first['m_lsp']:g}) {first['region']} "
                           f"{first['lumi_ifb']:g}/fb {first['scenario']} is in more than one part")
    table = finish_table(parts)
    log_zero_mc(table)
    write_csv_atomic(table, out_csv)
    logger.info("merged %d parts into %d CLs rows in %s", len(parts), len(table), out_csv)
    return table
