"""Stage 'model_inputs' of ewkino (the shared rule, through its spec's ``write_inputs``): one event file and PF-candidate
threshold -> network-input table (.npz, ``susyscan.training.eventtable``) + cutflow JSON.

The variants of the rule are the PF thresholds of the analysis YAML (``inputs.pfcand_pt_min_values``), labelled
``pt<threshold>`` (``pt1``, ``pt10``: the ``inputs/pt{ptmin}`` folders of ``ewkino.smk``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from susyscan.analyses.ewkino.budget import truncation_summary
from susyscan.analyses.ewkino.config import EwkinoConfig, load_ewkino_config
from susyscan.analyses.ewkino.inputs import build_inputs, write_inputs
from susyscan.analyses.ewkino.selection import select_events
from susyscan.atomic import write_json_atomic
from susyscan.errors import ConfigError

if TYPE_CHECKING:
    from susyscan.analyses.ewkino.pileup import PileupOverlay

logger = logging.getLogger(__name__)

VARIANT_PREFIX = "pt"


def threshold_values(analysis_config: str | Path, detector_pt_min: float) -> list[float]:
    """PF-candidate thresholds (GeV, ascending) of the analysis YAML; one below the detector's stored threshold
    ``detector_pt_min`` is an error (those candidates are not in the event files)."""
    values = sorted(float(v) for v in load_ewkino_config(analysis_config).inputs.pfcand_pt_min_values)
    below = [v for v in values if v < float(detector_pt_min)]
    if below:
        raise ConfigError(f"{analysis_config}: inputs.pfcand_pt_min_values {below} lie below "
                          f"detector.pfcand_pt_min={float(detector_pt_min):g} (candidates not stored in the event files)")
    return values


def variant_label(threshold: float) -> str:
    """The variant (folder) label of a PF threshold: ``pt1`` for 1 GeV."""
    return f"{VARIANT_PREFIX}{float(threshold):g}"


def variant_threshold(label: str) -> float:
    """The PF threshold (GeV) of a variant label ``pt<threshold>``; another label is an error naming it."""
    try:
        if not label.startswith(VARIANT_PREFIX):
            raise ValueError(label)
        return float(label[len(VARIANT_PREFIX):])
    except ValueError:
        raise ConfigError(f"ewkino inputs variant {label!r} is not '{VARIANT_PREFIX}<threshold GeV>'") from None


def input_variants(analysis_config: str, run_config: Mapping[str, Any]) -> list[str]:
    """The spec's ``input_variants``: one label per PF threshold of the YAML (checked against the detector's)."""
    return [variant_label(v) for v in threshold_values(analysis_config, run_config["detector"]["pfcand_pt_min"])]


def scan_variant(variants: Sequence[str], analysis_config: str, run_config: Mapping[str, Any]) -> str:
    """The spec's ``scan_variant``: of ``variants`` (:func:`input_variants` of the YAML ``analysis_config``,
    ascending; the YAML is not read again, its path only names it in the error), the variant of
    ``analyses.ewkino.scan_pfcand_pt_min`` (unset: the lowest threshold), whose network feeds the scan yields and the
    limits; a threshold that is not one of the YAML's is an error naming the key."""
    chosen = ((run_config.get("analyses") or {}).get("ewkino") or {}).get("scan_pfcand_pt_min")
    if chosen is None:
        return variants[0]
    label = variant_label(float(chosen))
    if label not in variants:
        raise ConfigError(f"config key 'analyses.ewkino.scan_pfcand_pt_min'={chosen} is not one of the thresholds "
                          f"{[variant_threshold(v) for v in variants]} of {analysis_config}")
    return label


def write_variant_inputs(events_path: str, analysis_config: str, variant: str, inputs_out: str,
                         cutflow_out: str) -> None:
    """The spec's ``write_inputs``: :func:`prepare_chunk` at the threshold of ``variant`` (its YAML budget)."""
    prepare_chunk(events_path, analysis_config, inputs_out, cutflow_out, variant_threshold(variant))


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
