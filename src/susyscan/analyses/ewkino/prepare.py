"""Stage 'ewkino_inputs': one event file -> network-input .npz + cutflow JSON."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from susyscan.analyses.ewkino.config import EwkinoConfig, load_ewkino_config
from susyscan.analyses.ewkino.inputs import build_inputs, write_inputs
from susyscan.analyses.ewkino.io import write_json_atomic
from susyscan.analyses.ewkino.selection import select_events

logger = logging.getLogger(__name__)


def read_events(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """``susyscan.eventio.read_events`` (imported late: it is written by another stage)."""
    from susyscan.eventio import read_events as _read  # type: ignore[import-not-found]

    return _read(path)


def prepare_chunk(events_path: str | Path, analysis_config: str | Path | EwkinoConfig, inputs_out: str | Path,
                  cutflow_out: str | Path, pfcand_pt_min: float, max_candidates: int | None = None) -> dict[str, Any]:
    """Select one chunk, write its inputs (.npz) and cutflow (.json); return the cutflow record."""
    cfg = analysis_config if isinstance(analysis_config, EwkinoConfig) else load_ewkino_config(analysis_config)
    n_max = int(max_candidates if max_candidates is not None else cfg.inputs.max_candidates)
    events, metadata = read_events(events_path)
    presel, baseline, record = select_events(events, metadata, cfg)
    arrays = build_inputs(events, metadata, cfg, presel, baseline, float(pfcand_pt_min), n_max)
    record["events_file"] = str(events_path)
    record["pfcand_pt_min"] = float(pfcand_pt_min)
    write_inputs(arrays, inputs_out)
    write_json_atomic(record, cutflow_out)
    logger.info("%s: %d of %d events pass the preselection (%d in the baseline region)",
                events_path, int(presel.sum()), len(presel), int(baseline.sum()))
    return record
