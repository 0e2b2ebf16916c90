"""PF-candidate budget: multiplicity above a threshold, truncation bookkeeping and the budget choice.

The network's candidate block has a fixed size M (``inputs.max_candidates`` of the analysis YAML, per threshold);
events with more candidates above the threshold lose their softest ones. Since the 1-vs-10 GeV comparison is about
exactly those soft particles, M is chosen from the measured multiplicity (a high quantile of the preselected events)
and the fraction of truncated events is recorded in every inputs file, the training metrics and the ONNX metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.training.eventtable import read_table

logger = logging.getLogger(__name__)

#: Quantiles reported for the multiplicity (fractions of events).
QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99, 0.999)
ALL_SAMPLES = "all"


def candidate_multiplicity(events: ak.Array, pt_min: float) -> np.ndarray:
    """Number of PF candidates with pT > ``pt_min`` per event (before any budget), int64."""
    return ak.to_numpy(ak.sum(events["pfcand_pt"] > pt_min, axis=1)).astype(np.int64)


def truncation_summary(n_candidates: np.ndarray, max_candidates: int) -> dict[str, float | int]:
    """Events, truncated events (more than ``max_candidates``), their fraction and the dropped candidates' share."""
    n_candidates = np.asarray(n_candidates, dtype=np.int64)
    n_events = len(n_candidates)
    truncated = n_candidates > max_candidates
    total = int(n_candidates.sum())
    dropped = int(np.clip(n_candidates - max_candidates, 0, None).sum())
    return {"max_candidates": int(max_candidates), "n_events": n_events, "n_truncated": int(truncated.sum()),
            "fraction_truncated": float(truncated.mean()) if n_events else 0.0,
            "fraction_candidates_dropped": dropped / total if total else 0.0}


def multiplicity_row(n_candidates: np.ndarray, max_candidates: int) -> dict[str, float | int]:
    """Mean, quantiles (``q50``, ``q90``, ``q99``, ``q99.9``) and maximum of the multiplicity plus
    :func:`truncation_summary` at ``max_candidates``."""
    counts = np.asarray(n_candidates, dtype=np.float64)
    row: dict[str, float | int] = {"mean": float(counts.mean()) if len(counts) else float("nan")}
    for q in QUANTILES:
        row[f"q{100 * q:g}"] = float(np.quantile(counts, q)) if len(counts) else float("nan")
    row["max"] = int(counts.max()) if len(counts) else 0
    return {**row, **truncation_summary(n_candidates, max_candidates)}


def multiplicity_table(counts_by_sample: Mapping[str, np.ndarray], max_candidates: int, pt_min: float) -> pd.DataFrame:
    """One row per sample and an ``all`` row (every event once): multiplicity quantiles and truncated fraction."""
    if not counts_by_sample:
        raise EmptySelectionError(f"multiplicity table (pT > {pt_min:g} GeV): no samples given")
    rows = [{"sample": name, **multiplicity_row(counts, max_candidates)}
            for name, counts in sorted(counts_by_sample.items())]
    rows.append({"sample": ALL_SAMPLES,
                 **multiplicity_row(np.concatenate(list(counts_by_sample.values())), max_candidates)})
    table = pd.DataFrame(rows)
    table.insert(1, "pfcand_pt_min", float(pt_min))
    return table


def choose_budget(n_candidates: np.ndarray, quantile: float = 0.99, multiple: int = 8) -> int:
    """The ``quantile`` of the multiplicity rounded up to a multiple of ``multiple`` (at least ``multiple``)."""
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"budget quantile {quantile} must lie in (0, 1]")
    if len(n_candidates) == 0:
        raise EmptySelectionError("cannot choose a candidate budget from zero events")
    value = float(np.quantile(np.asarray(n_candidates, dtype=np.float64), quantile))
    return int(max(multiple, multiple * np.ceil(value / multiple)))


def read_multiplicities(paths: list[str] | list[Path]) -> tuple[dict[str, np.ndarray], int, float]:
    """Per sample the stored ``n_candidates`` of ewkino inputs files (only those arrays are read), with the files'
    common budget and threshold; files of different budgets or thresholds are an error naming the file."""
    counts: dict[str, list[np.ndarray]] = {}
    budget: tuple[int, float] | None = None
    for path in paths:
        table = read_table(path, columns=["n_candidates"], blocks=[])
        try:
            sample = str(table.metadata["chunk_header"]["sample"])
            this = (int(table.metadata["max_candidates"]), float(table.metadata["pfcand_pt_min"]))
        except (KeyError, TypeError) as exc:
            raise FeatureError(f"inputs file {path}: metadata lacks {exc} (rerun rule model_inputs)") from exc
        counts.setdefault(sample, []).append(table.columns["n_candidates"].astype(np.int64))
        if budget is not None and this != budget:
            raise FeatureError(f"inputs file {path}: (max_candidates, pfcand_pt_min) = {this} differs from {budget} "
                               f"of {paths[0]}")
        budget = this
    if budget is None:
        raise EmptySelectionError("no inputs files given")
    return {name: np.concatenate(parts) for name, parts in counts.items()}, budget[0], budget[1]


def budget_from_samples(counts_by_sample: Mapping[str, np.ndarray], quantile: float = 0.99, multiple: int = 8) -> int:
    """The largest per-sample :func:`choose_budget`: at most ``1 - quantile`` of the events of every sample (signal
    points and backgrounds alike) are truncated, so the budget does not cut one class more than the other."""
    if not counts_by_sample:
        raise EmptySelectionError("cannot choose a candidate budget without samples")
    return max(choose_budget(counts, quantile, multiple) for counts in counts_by_sample.values() if len(counts))
