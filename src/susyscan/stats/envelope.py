"""Scale-variation envelopes of background processes as a per-region background uncertainty.

An ingested LHE file with LHEF 3 muR/muF weights carries, per chunk, the sums of its alternative weights
(event-file metadata ``alt_weights``, :mod:`susyscan.ingest.weights`). :func:`process_envelopes` combines the
chunks of each background process into one 7-point envelope (symmetrised: the larger of up and down), and
:func:`region_uncertainties` turns those into a relative background uncertainty per signal region:

    rel(region) = sqrt( (f * sum_{q without} b_q)^2 + sum_{p with} (u_p * b_p)^2 ) / sum_all b

with ``b_p`` a process's yield in the region, ``u_p`` the envelope of a process with scale weights and ``f`` the
scenario's flat fraction, applied (as without envelopes) to the summed yield of the processes without scale
weights; the enveloped processes are uncorrelated with each other and with the rest (different generators).
Without any envelope this is exactly the flat fraction.  The envelope is that of
the inclusive (showered, before any selection) cross section of the process: a normalisation uncertainty,
not a per-region shape (the event files do not keep per-event alternative weights). A region whose total is
not positive keeps the flat fraction (it gets the zero-MC treatment of :mod:`susyscan.stats.inputs`).
The result is clipped below 1 (the model's ``normsys``/``shapesys`` need rel < 1) and logged.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from susyscan.errors import ConfigError, FeatureError

logger = logging.getLogger(__name__)

MAX_REL = 0.99
TOTAL = "total"


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


def region_uncertainties(table: pd.DataFrame, envelopes: Mapping[str, Mapping[str, Any] | None],
                         flat_rel: float, path: str | Path = "background table") -> dict[str, float]:
    """Relative background uncertainty per region (see the module docstring) from the background-yield table
    (columns region, process, yield_pb; ``total`` rows ignored)."""
    if not 0 <= flat_rel < 1:
        raise ConfigError(f"flat background uncertainty {flat_rel} not in [0, 1)")
    missing = [c for c in ("region", "process", "yield_pb") if c not in table.columns]
    if missing:
        raise FeatureError(f"{path}: missing columns {missing}")
    rows = table[table["process"] != TOTAL]
    out: dict[str, float] = {}
    for region, part in rows.groupby("region", sort=False):
        total = float(part["yield_pb"].sum())
        if not total > 0:
            out[str(region)] = flat_rel
            continue
        var, flat_sum = 0.0, 0.0
        for process, value in zip(part["process"].astype(str), part["yield_pb"].astype(float), strict=True):
            env = envelopes.get(process)
            if env:
                var += (float(env["symmetric"]) * value) ** 2
            else:
                flat_sum += value
        rel = math.sqrt(var + (flat_rel * flat_sum) ** 2) / total
        if rel > MAX_REL:
            logger.warning("%s: region %r: scale-envelope uncertainty %.3f clipped to %.2f", path, region, rel, MAX_REL)
            rel = MAX_REL
        out[str(region)] = rel
    return out


def read_envelopes(path: str | Path) -> dict[str, Any]:
    """The JSON written by :func:`write_envelopes`."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise FeatureError(f"scale-envelope file {path}: cannot read JSON: {exc}") from exc


def scenario_region_uncertainties(background_path: str | Path, scenarios: Mapping[str, float],
                                  envelopes_path: str | Path | None,
                                  envelope_scenarios: Sequence[str]) -> dict[str, dict[str, float]] | None:
    """scenario -> region -> relative uncertainty for the ``envelope_scenarios`` (None when there are none);
    ConfigError for a scenario that is not in ``scenarios`` or a missing envelope file."""
    if not envelope_scenarios:
        return None
    unknown = [s for s in envelope_scenarios if s not in scenarios]
    if unknown or envelopes_path is None:
        raise ConfigError(f"statistics.scale_envelope_scenarios: {unknown or list(envelope_scenarios)} not among "
                          f"the background_uncertainty scenarios {list(scenarios)} (or no envelope file)")
    envelopes = read_envelopes(envelopes_path)
    table = pd.read_csv(background_path)
    out = {s: region_uncertainties(table, envelopes, float(scenarios[s]), background_path) for s in envelope_scenarios}
    logger.info("scale-envelope background uncertainty per region: %s", out)
    return out
