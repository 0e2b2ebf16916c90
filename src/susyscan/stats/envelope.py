"""muR/muF scale-variation envelopes of the background processes in the likelihood.

Per region (the default, ``statistics.scale_envelope_scenarios``): the scan stage writes, per region and
background process with LHEF 3 scale weights, the nominal yield and the top and bottom of its 7-point envelope,
summed from the per-event alternative weights of the selected events
(:mod:`susyscan.scan.scale_envelope`, table ``background_scale_envelopes.csv``). For a scenario listed in
``scale_envelope_scenarios`` :func:`region_background_uncertainties` replaces the scenario's flat fraction ``f`` of
a region's background ``b`` by

* one scale modifier per enveloped process ``p`` (:class:`~susyscan.stats.model_spec.ScaleShift`, a pyhf
  ``histosys`` by default or a ``normsys``; ``statistics.scale_envelope_modifier``): the region's background
  shifted by ``up_p - b_p`` at +1 sigma and by ``-(b_p - down_p)`` at -1 sigma, one nuisance parameter per process
  (``scale_<process>``; uncorrelated between processes, which come from different generators);
* the flat fraction on the rest, ``f x |b - sum_p b_p|`` (the samples without scale weights: every generated
  sample and LHE files without ``<rwgt>``; each is logged by the scan stage and, per region, here).

Without any enveloped process in a region this is exactly the flat fraction (the same model as without the
option). ``cls.csv`` reports as ``bkg_rel_unc`` the relative flat part and the larger side of every shift added in
quadrature, and names the modifiers in its note.

Negative weights: a region whose total background is not positive (or has no MC event) gets the zero-MC
substitute of :mod:`susyscan.stats.inputs` with the scenario's flat fraction and no scale modifier (logged). A
process whose nominal yield in a region is not positive (negative-weight events dominate) still enters with its
absolute shifts, which are well defined for sums of signed weights, with a warning. The lower side of a modifier is
kept above 0.1 % of the background (never a negative Poisson mean).

Inclusive (diagnostic): :func:`process_envelopes` / :func:`write_envelopes` combine the per-chunk sums of the
event-file metadata (``alt_weights``) into one envelope per process of the inclusive (showered, unselected) cross
section (rule ``scale_envelopes``, ``results/generation/<analysis>_scale_envelopes.json``); the likelihood no
longer uses it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from susyscan.contracts import SCALE_ENVELOPE_COLUMNS
from susyscan.errors import ConfigError, FeatureError
from susyscan.stats.model_spec import SCALE_MODIFIERS, ScaleShift, scale_modifier_name

logger = logging.getLogger(__name__)

MAX_REL = 0.99
TOTAL = "total"


@dataclass(frozen=True)
class RegionUncertainty:
    """Background uncertainty of one region in one scenario: ``flat_rel`` (relative to the region's background, on
    the part without scale weights), ``shifts`` (pb), ``rel_total`` (flat part and the larger side of each shift in
    quadrature, for ``cls.csv``) and a ``note``."""

    flat_rel: float
    shifts: tuple[ScaleShift, ...] = ()
    rel_total: float = 0.0
    note: str = ""


def process_envelopes(metadatas: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Process -> combined envelope {up, down, symmetric, n_chunks} (None: no scale weights) from event-file metadata."""
    from susyscan.ingest.weights import combine_envelopes

    by_process: dict[str, list[Any]] = {}
    for meta in metadatas:
        by_process.setdefault(str(meta["process"]), []).append(meta.get("alt_weights") or [])
    out: dict[str, dict[str, Any] | None] = {}
    for process, lists in sorted(by_process.items()):
        env = combine_envelopes(lists) if all(lists) else None
        out[process] = None if env is None else {**env, "symmetric": max(env["up"], env["down"]),
                                                 "n_chunks": len(lists)}
    return out


def write_envelopes(event_files: Iterable[str | Path], out_json: str | Path) -> dict[str, Any]:
    """Read the metadata of ``event_files`` and write :func:`process_envelopes` as JSON."""
    from susyscan.eventio.reader import read_metadata

    envelopes = process_envelopes(read_metadata(path) for path in event_files)
    Path(out_json).write_text(json.dumps(envelopes, indent=1, sort_keys=True))
    for process, env in envelopes.items():
        logger.info("process %s: scale envelope %s", process,
                    "none (no LHEF scale weights)" if env is None else f"+{env['up']:.3f} / -{env['down']:.3f}")
    return envelopes




def read_scale_envelopes(path: str | Path) -> pd.DataFrame:
    """The per-region envelope table of the scan (:data:`susyscan.contracts.SCALE_ENVELOPE_COLUMNS`)."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise FeatureError(f"scale-envelope table {path}: cannot read: {exc}") from exc
    missing = [c for c in SCALE_ENVELOPE_COLUMNS if c not in table.columns]
    if missing:
        raise FeatureError(f"scale-envelope table {path}: missing columns {missing}")
    for field in ("yield_pb", "up_pb", "down_pb"):
        bad = table.index[pd.to_numeric(table[field], errors="coerce").isna()]
        if len(bad):
            row = table.loc[bad[0]]
            raise FeatureError(f"scale-envelope table {path}: region {row['region']!r} process {row['process']!r}: "
                               f"field '{field}' is not a number")
    bad = table.index[(table["up_pb"] < table["yield_pb"]) | (table["down_pb"] > table["yield_pb"])]
    if len(bad):
        row = table.loc[bad[0]]
        raise FeatureError(f"scale-envelope table {path}: region {row['region']!r} process {row['process']!r}: "
                           f"envelope [{row['down_pb']}, {row['up_pb']}] does not contain the nominal {row['yield_pb']}")
    return table


def region_background_uncertainties(background: pd.DataFrame, envelopes: pd.DataFrame, flat_rel: float,
                                    zero_mc: Mapping[str, bool], kind: str = "histosys",
                                    path: str | Path = "background table") -> dict[str, RegionUncertainty]:
    """Region -> :class:`RegionUncertainty` of one scenario (see the module docstring) from the background-yield
    table (columns region, process, yield_pb), the per-region envelopes (:func:`read_scale_envelopes`) and the
    regions with the zero-MC substitute (``zero_mc``: region -> bool, from
    :func:`susyscan.stats.inputs.background_for_limits`)."""
    if not 0 <= flat_rel < 1:
        raise ConfigError(f"flat background uncertainty {flat_rel} not in [0, 1)")
    if kind not in SCALE_MODIFIERS:
        raise ConfigError(f"statistics.scale_envelope_modifier: {kind!r} not in {SCALE_MODIFIERS}")
    missing = [c for c in ("region", "process", "yield_pb") if c not in background.columns]
    if missing:
        raise FeatureError(f"{path}: missing columns {missing}")
    known = set(zip(background["region"].astype(str), background["process"].astype(str)))
    for region, process in zip(envelopes["region"].astype(str), envelopes["process"].astype(str)):
        if (region, process) not in known:
            raise FeatureError(f"scale envelope of process {process!r} in region {region!r} has no row in {path}")
    totals = background[background["process"] == TOTAL].set_index("region")["yield_pb"].astype(float)
    out: dict[str, RegionUncertainty] = {}
    for region, total in totals.items():
        region = str(region)
        rows = envelopes[envelopes["region"].astype(str) == region]
        if zero_mc.get(region, not total > 0):
            if len(rows):
                logger.warning("%s: region %r has no usable background MC (total %.4g pb): zero-MC substitute with "
                               "the flat %.3g; the scale envelopes of %s are not applied", path, region, total,
                               flat_rel, sorted(rows["process"]))
            out[region] = RegionUncertainty(flat_rel, (), flat_rel, "zero background MC: flat uncertainty")
            continue
        shifts: list[ScaleShift] = []
        enveloped = 0.0
        for rec in rows.itertuples(index=False):
            nominal = float(rec.yield_pb)
            if not nominal > 0:
                logger.warning("%s: region %r: process %r has a non-positive nominal yield %.4g pb (negative weights "
                               "dominate); its scale envelope enters as absolute shifts +%.4g/-%.4g pb", path, region,
                               rec.process, nominal, float(rec.up_pb) - nominal, nominal - float(rec.down_pb))
            enveloped += nominal
            up, down = float(rec.up_pb) - nominal, nominal - float(rec.down_pb)
            if up > 0 or down > 0:
                shifts.append(ScaleShift(scale_modifier_name(str(rec.process)), up, down, kind))
        rest = total - enveloped
        flat = flat_rel * abs(rest) / total
        if flat > MAX_REL:
            logger.warning("%s: region %r: flat uncertainty %.3f clipped to %.2f", path, region, flat, MAX_REL)
            flat = MAX_REL
        rel_total = math.sqrt(flat**2 + sum((max(s.up, s.down) / total) ** 2 for s in shifts))
        note = "" if not len(rows) else (
            "scale envelope: " + ", ".join(f"{s.name} +{s.up / total:.3f}/-{s.down / total:.3f}" for s in shifts)
            + f"; flat {flat_rel:g} on the {abs(rest) / total:.3f} without scale weights")
        if not len(rows):
            logger.info("%s: region %r: no background process with scale weights: flat %.3g", path, region, flat_rel)
        out[region] = RegionUncertainty(flat, tuple(shifts), rel_total, note)
    logger.info("per-region background uncertainty (flat part, scale shifts): %s",
                {r: (round(u.flat_rel, 4), [(s.name, round(s.up, 6), round(s.down, 6)) for s in u.shifts])
                 for r, u in out.items()})
    return out


def scenario_uncertainties(background_path: str | Path, scenarios: Mapping[str, float],
                           envelopes_path: str | Path | None, envelope_scenarios: Sequence[str],
                           zero_mc: Mapping[str, bool], kind: str = "histosys"
                           ) -> dict[str, dict[str, RegionUncertainty]]:
    """scenario -> region -> :class:`RegionUncertainty` for the ``envelope_scenarios`` (empty when there are
    none); ConfigError for a scenario that is not in ``scenarios`` or a missing envelope table."""
    if not envelope_scenarios:
        return {}
    unknown = [s for s in envelope_scenarios if s not in scenarios]
    if unknown or envelopes_path is None:
        raise ConfigError(f"statistics.scale_envelope_scenarios: {unknown or list(envelope_scenarios)} not among "
                          f"the background_uncertainty scenarios {list(scenarios)} (or no envelope table)")
    envelopes = read_scale_envelopes(envelopes_path)
    table = pd.read_csv(background_path)
    return {s: region_background_uncertainties(table, envelopes, float(scenarios[s]), zero_mc, kind, background_path)
            for s in envelope_scenarios}
