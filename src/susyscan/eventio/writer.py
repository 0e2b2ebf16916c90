"""Write the reconstructed event ROOT file (TTree ``events`` + TObjString ``metadata``) atomically."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot

from susyscan.errors import EventFileError
from susyscan.eventio.schema import (
    ALT_WEIGHT_METADATA_KEY,
    ALT_WEIGHT_PREFIX,
    BRANCHES,
    COLLECTIONS,
    METADATA_KEY,
    METADATA_KEYS,
    OPTIONAL_SCALARS,
    SCALARS,
    TREE_NAME,
    counter_name,
)

logger = logging.getLogger(__name__)

BASKET_EVENTS = 20_000


def _json_default(value: Any) -> Any:
    """JSON encoding of numpy scalars/arrays and paths."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"metadata value {value!r} is not JSON serialisable")


def complete_metadata(events: ak.Array, metadata: dict[str, Any], where: str) -> dict[str, Any]:
    """Fill ``n_events``, ``sum_weights``, ``sum_weights2`` from the events and check required keys."""
    weight = ak.to_numpy(events["weight"]).astype(np.float64)
    meta = dict(metadata)
    meta["n_events"] = int(len(weight))
    meta["sum_weights"] = float(weight.sum())
    meta["sum_weights2"] = float(np.square(weight).sum())
    missing = [k for k in METADATA_KEYS if k not in meta]
    if missing:
        raise EventFileError(f"{where}: metadata lacks required key(s) {missing}")
    return meta


def _alt_weight_content(events: ak.Array, metadata: dict[str, Any], where: str) -> dict[str, np.ndarray]:
    """The ``altw_*`` fields of ``events`` as float64 branches; each must be described in the metadata's
    ``alt_weight_columns`` and each described column must be present (EventFileError naming both lists)."""
    present = [f for f in ak.fields(events) if f.startswith(ALT_WEIGHT_PREFIX)]
    declared = [str(c["column"]) for c in metadata.get(ALT_WEIGHT_METADATA_KEY) or []]
    if sorted(present) != sorted(declared):
        raise EventFileError(f"{where}: alternative-weight branches {sorted(present)} do not match the metadata's "
                             f"{ALT_WEIGHT_METADATA_KEY} {sorted(declared)}")
    out = {name: ak.to_numpy(events[name]).astype(np.float64) for name in declared}
    bad = [name for name, values in out.items() if not np.isfinite(values).all()]
    if bad:
        raise EventFileError(f"{where}: NaN/inf in alternative-weight branch(es) {bad}")
    return out


def _tree_content(events: ak.Array, where: str) -> dict[str, Any]:
    """Contract branches grouped into one record array per collection (shared counters) plus scalars."""
    fields = set(ak.fields(events))
    missing = [b for b in BRANCHES if b not in fields]
    if missing:
        raise EventFileError(f"{where}: events lack branch(es) {missing}")
    content: dict[str, Any] = {"weight": ak.to_numpy(events["weight"]).astype(np.float64)}
    for prefix, spec in COLLECTIONS.items():
        content[prefix] = ak.zip(
            {name: ak.values_astype(events[f"{prefix}_{name}"], dtype) for name, dtype in spec.items()}
        )
    for name, dtype in SCALARS.items():
        if name != "weight":
            content[name] = ak.to_numpy(events[name]).astype(dtype)
    for name, dtype in OPTIONAL_SCALARS.items():
        if name in fields:
            content[name] = ak.to_numpy(events[name]).astype(dtype)
    return content


def write_events(path: str | Path, events: ak.Array, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write ``events`` (fields = contract branch names) and ``metadata`` to ``path`` via ``<path>.tmp``.

    Optional ``altw_*`` fields (per-event alternative weights) are written as float64 branches after the contract
    ones; the metadata's ``alt_weight_columns`` must describe exactly these.

    Returns the metadata as written (with ``n_events``/``sum_weights``/``sum_weights2`` filled in).
    """
    path = Path(path)
    where = str(path)
    meta = complete_metadata(events, metadata, where)
    content = _tree_content(events, where)
    content.update(_alt_weight_content(events, meta, where))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with uproot.recreate(tmp) as handle:
            branch_types = {name: (value.type.content if isinstance(value, ak.Array) else value.dtype)
                            for name, value in content.items()}
            tree = handle.mktree(
                TREE_NAME, branch_types,
                counter_name=lambda counted: counter_name(counted),
                field_name=lambda outer, inner: inner if outer == "" else f"{outer}_{inner}",
            )
            n = len(content["weight"])
            for start in range(0, n, BASKET_EVENTS):
                tree.extend({name: value[start:start + BASKET_EVENTS] for name, value in content.items()})
            handle[METADATA_KEY] = json.dumps(meta, sort_keys=True, default=_json_default)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    logger.info("wrote %d events to %s (sum of weights %.6g)", meta["n_events"], where, meta["sum_weights"])
    return meta
