"""Stage 'ewkino_inputs': one event file -> network-input .npz + cutflow JSON."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from susyscan.analyses.ewkino.budget import truncation_summary
from susyscan.analyses.ewkino.config import EwkinoConfig, load_ewkino_config
from susyscan.analyses.ewkino.inputs import build_inputs, write_inputs
from susyscan.analyses.ewkino.selection import select_events
from susyscan.atomic import write_json_atomic

if TYPE_CHECKING:
    from susyscan.analyses.ewkino.pileup import PileupOverlay

logger = logging.getLogger(__name__)


def read_events(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """``susyscan.eventio.read_events`` (imported late: it is written by another stage)."""
    from susyscan.eventio import read_events as _read  # type: ignore[import-not-found]

    return _read(path)


def prepare_chunk(events_path: str | Path, analysis_config: str | Path | EwkinoConfig, inputs_out: str | Path,
                  cutflow_out: str | Path, pfcand_pt_min: float, max_candidates: int | None = None,
                  pileup: PileupOverlay | None = None) -> dict[str, Any]:
    """Select one chunk, write its inputs (.npz) and cutflow (.json); return the cutflow record.

    The candidate budget is ``max_candidates`` if given, else the analysis YAML's budget of ``pfcand_pt_min``; the
    record's ``pfcand_budget`` (and the log) gives the fraction of preselected events that lose candidates to it.
    """
    cfg = analysis_config if isinstance(analysis_config, EwkinoConfig) else load_ewkino_config(analysis_config)
    n_max = int(max_candidates if max_candidates is not None else cfg.inputs.budget(float(pfcand_pt_min)))
    events, metadata = read_events(events_path)
    presel, baseline, record = select_events(events, metadata, cfg)
    table = build_inputs(events, metadata, cfg, presel, baseline, float(pfcand_pt_min), n_max, pileup)
    record["events_file"] = str(events_path)
    record["pfcand_pt_min"] = float(pfcand_pt_min)
    record["pfcand_budget"] = truncation_summary(table.columns["n_candidates"], n_max)
    record["pileup_mu"] = float(table.metadata["pileup_mu"])
    write_inputs(table, inputs_out)
    write_json_atomic(record, cutflow_out, indent=2)
    logger.info("%s: %d of %d events pass the preselection (%d in the baseline region)",
                events_path, int(presel.sum()), len(presel), int(baseline.sum()))
    budget = record["pfcand_budget"]
    logger.info("%s: pT > %g GeV, budget M = %d: %d of %d preselected events truncated (%.2f %%, %.2f %% of candidates "
                "dropped)", events_path, float(pfcand_pt_min), n_max, budget["n_truncated"], budget["n_events"],
                100 * budget["fraction_truncated"], 100 * budget["fraction_candidates_dropped"])
    return record
