"""Per-event labels from a recast of a published search (``susyscan.recast``): which signal regions each event
enters, for the surrogate to learn the recast's efficiencies.

The recast stage (``recast_select``) reads ``results/events/{sample}/chunk{c}.root`` (one entry per generated
event) and writes per-chunk counts.  Here the same event file goes through the same code
(``susyscan.recast.select.event_masks``, which the counts also use), keeping the per-event booleans; the event id
is the position in the chunk's file, as in the truth table (``susyscan.surrogate.regenerate``), so the join is
on ``(chunk, event)`` like the smuon analysis's labels.  ``Preselection`` is the recast's ordered selection
(every cut passed), then one column per signal region in the recast YAML's order.

Consistency with the recast stage: when the chunk's counts JSON is given, the per-event masks summed must
reproduce its per-region ``n_raw`` and ``sumw`` and its final cutflow count, else an error names the chunk and
region (stale counts, or a changed selection).  The labels are unweighted outcomes, so the events of a chunk
must carry one generator weight (true for our Pythia samples; an ingested sample with varying or negative
weights is refused rather than mis-averaged).  The recast's ``lepton_efficiency_factor`` multiplies the
efficiencies after the selection; it is not part of the per-event outcome and is applied by whoever turns
surrogate efficiencies into yields (it is 1.0 in the repository's ATLAS-SUSY-2018-32 config).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from susyscan.errors import EventFileError, FeatureError
from susyscan.recast.config import RecastConfig, load_recast_config
from susyscan.recast.select import event_masks
from susyscan.surrogate.labels import KEY, PRESELECTION, join_labels

if TYPE_CHECKING:
    import awkward as ak

logger = logging.getLogger(__name__)

#: Relative tolerance of the sumw comparison with the counts JSON (floating-point summation order).
SUMW_RTOL = 1e-9


def chunk_labels(events: ak.Array, metadata: dict[str, Any], cfg: RecastConfig, source: str = "?") -> pd.DataFrame:
    """``chunk, event, Preselection`` and one 0/1 column per recast region, one row per event of the chunk."""
    weights, _, selected, regions = event_masks(events, metadata, cfg)
    if len(weights) and not np.all(weights == weights[0]):
        raise EventFileError(f"{source}: the events carry different generator weights (min {weights.min():g}, "
                             f"max {weights.max():g}); the surrogate's labels are unweighted outcomes")
    out = pd.DataFrame({"chunk": np.full(len(weights), int(metadata["chunk"]), dtype=np.int64),
                        "event": np.arange(len(weights), dtype=np.int64)})
    out[PRESELECTION] = selected.astype(np.int8)
    for name, mask in regions.items():
        out[name] = np.asarray(mask, dtype=np.int8)
    return out


def check_against_counts(labels: pd.DataFrame, weight: float, counts: dict[str, Any], regions: Sequence[str],
                         source: str) -> None:
    """FeatureError unless the summed per-event labels equal the recast stage's chunk counts (n_raw and sumw per
    region, the final cutflow row)."""
    if len(labels) and int(counts["chunk"]) != int(labels["chunk"].iloc[0]):
        raise FeatureError(f"{source}: counts of chunk {counts['chunk']}, events of chunk {labels['chunk'].iloc[0]}")
    if int(counts["n_events"]) != len(labels):
        raise FeatureError(f"{source}: the recast counts were made from {counts['n_events']} events, the event file "
                           f"has {len(labels)} (stale counts?)")
    missing = [r for r in regions if r not in counts["regions"]]
    if missing:
        raise FeatureError(f"{source}: regions {missing} not in the recast counts (different recast config?)")
    checks = [(f"region {r!r}", labels[r], counts["regions"][r]) for r in regions]
    checks.append((f"cut {counts['cuts'][-1]['name']!r}", labels[PRESELECTION], counts["cuts"][-1]))
    for what, column, record in checks:
        n = int(column.sum())
        if n != int(record["n_raw"]) or not math.isclose(n * weight, float(record["sumw"]), rel_tol=SUMW_RTOL,
                                                          abs_tol=1e-300):
            raise FeatureError(f"{source}: {what}: per-event labels give n_raw {n} (sumw {n * weight:.6g}), the "
                               f"recast counts {record['n_raw']} ({float(record['sumw']):.6g})")


def file_labels(event_file: str | Path, cfg: RecastConfig, counts_file: str | Path | None = None) -> pd.DataFrame:
    """Labels of one event file, checked against its counts JSON when given."""
    from susyscan.analysis.io import read_event_file

    events, metadata = read_event_file(event_file)
    source = str(event_file)
    labels = chunk_labels(events, metadata, cfg, source)
    if counts_file is not None:
        counts = json.loads(Path(counts_file).read_text())
        weight = float(events["weight"][0]) if len(labels) else 0.0
        check_against_counts(labels, weight, counts, [r.name for r in cfg.regions], f"{source} vs {counts_file}")
    return labels


def sample_recast_labels(truth_paths: Sequence[str | Path], event_paths: Sequence[str | Path],
                         config: str | Path | RecastConfig,
                         counts_paths: Sequence[str | Path] | None = None) -> pd.DataFrame:
    """Truth features + recast labels of one signal sample (per-chunk truth tables, event files, counts JSONs)."""
    cfg = config if isinstance(config, RecastConfig) else load_recast_config(config)
    if counts_paths is not None and len(counts_paths) != len(event_paths):
        raise FeatureError(f"{len(event_paths)} event files but {len(counts_paths)} recast count files")
    truth = pd.concat([pd.read_csv(p) for p in truth_paths], ignore_index=True)
    frames = [file_labels(path, cfg, None if counts_paths is None else counts_paths[i])
              for i, path in enumerate(event_paths)]
    labels = pd.concat(frames, ignore_index=True)
    if len(labels) != len(truth):
        raise FeatureError(f"{event_paths[0]}: {len(labels)} events in the event files, {len(truth)} truth rows "
                           f"in {truth_paths[0]}...: truth and event files out of sync")
    names = [r.name for r in cfg.regions]
    joined = join_labels(truth, labels[KEY + [PRESELECTION, *names]], names, str(event_paths[0]))
    return joined


def source_description(config: str | Path | RecastConfig) -> str:
    """Paragraph for the bundle's README: what the labels of a recast surrogate are."""
    cfg = config if isinstance(config, RecastConfig) else load_recast_config(config)
    cuts = "; ".join(c.label or c.name for c in cfg.cuts)
    return (f"Labels: the recast `{cfg.name}` of susyscan (reconstruction by its detector card). `{PRESELECTION}` is "
            f"the recast's common selection ({cuts}); then its {len(cfg.regions)} signal regions. The efficiencies "
            f"are fractions of generated events, before the recast's per-event lepton-efficiency factor "
            f"({cfg.lepton_efficiency_factor:g}), which multiplies them.")
