"""Stage 'recast_select': one event file through a recast selection -> cutflow and region counts (JSON)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from susyscan.analysis.cuts import count, cumulative, cut_masks, cutflow_counts
from susyscan.analysis.expressions import evaluate
from susyscan.analysis.io import read_event_file, write_json_atomic
from susyscan.analysis.select import check_metadata
from susyscan.errors import EventFileError
from susyscan.recast.config import RecastConfig, load_recast_config
from susyscan.recast.variables import recast_variables

logger = logging.getLogger(__name__)


def event_masks(events: ak.Array, metadata: dict[str, Any], cfg: RecastConfig
                ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Per-event outcome of the recast selection of one chunk: (generator weights, the mask of each ordered cut,
    the mask of events passing every cut, one boolean mask per signal region, in the config's order).

    The one code path behind both the per-chunk counts (``select_chunk``) and the per-event surrogate labels
    (``susyscan.surrogate.recast_labels``)."""
    where = f"sample {metadata.get('sample')} chunk {metadata.get('chunk')}"
    check_metadata(metadata, where)
    if "weight" not in events.fields:
        raise EventFileError(f"{where}: event array lacks branch 'weight'")
    weights = ak.to_numpy(events["weight"]).astype(np.float64)
    if not np.all(np.isfinite(weights)):
        raise EventFileError(f"{where}: NaN/inf generator 'weight'")
    variables = recast_variables(events, cfg, str(metadata["sample"]))
    for name, values in variables.items():
        if np.isnan(values).any():
            raise EventFileError(f"{where}: NaN in recast variable {name!r}")
    masks = cut_masks(cfg.cuts, variables)
    selected = cumulative(masks)[-1] if masks else np.ones(len(weights), dtype=bool)
    regions = {
        region.name: selected & np.broadcast_to(evaluate(region.expr, variables, region.name),
                                                selected.shape).astype(bool)
        for region in cfg.regions
    }
    return weights, masks, selected, regions


def select_chunk(events: ak.Array, metadata: dict[str, Any], cfg: RecastConfig) -> dict[str, Any]:
    """Cutflow (cumulative over the ordered cuts) and per-region (n_raw, sumw, sumw2) of one chunk."""
    weights, masks, _, region_masks = event_masks(events, metadata, cfg)
    rows = cutflow_counts(cfg.cuts, masks, weights)
    regions = {}
    for name, mask in region_masks.items():
        n_raw, sumw, sumw2 = count(mask, weights)
        regions[name] = {"n_raw": n_raw, "sumw": sumw, "sumw2": sumw2}
    return {
        "analysis": cfg.name,
        "sample": str(metadata["sample"]),
        "process": str(metadata["process"]),
        "chunk": int(metadata["chunk"]),
        "masses": metadata.get("masses") or {},
        "n_events": len(weights),
        "sum_weights": float(metadata["sum_weights"]),
        "sum_weights2": float(metadata["sum_weights2"]),
        "xsec_pb": float(metadata["xsec_pb"]),
        "cuts": [row.__dict__ for row in rows],
        "regions": regions,
    }


def select_file(events_path: str | Path, config: str | Path | RecastConfig, out: str | Path) -> dict[str, Any]:
    """Read one event file, write its recast counts JSON, return it."""
    cfg = config if isinstance(config, RecastConfig) else load_recast_config(config)
    events, metadata = read_event_file(events_path)
    record = select_chunk(events, metadata, cfg)
    record["events_file"] = str(events_path)
    write_json_atomic(record, out)
    logger.info("%s: %.0f of %d events pass the %s selection", events_path, record["cuts"][-1]["n_raw"],
                record["n_events"], cfg.name)
    return record
