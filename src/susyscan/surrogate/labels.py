"""Per-event labels from the full chain: did the event pass the preselection, and which signal regions it enters.

Events flow generation -> detector (``results/events/{sample}/chunk{c}.root``, one entry per generated event) ->
selection (``features/{sample}/chunk{c}.csv.gz``: preselected events only, with their ``chunk`` and ``event``
index) -> merged feature table -> scan (``susyscan.scan.yields.region_masks``: ONNX score cuts with out-of-fold
models, cut-and-count flags).  The truth table has one row per generated event with the same ``(chunk, event)``
id, so the labels are a left join: an event missing from the feature table failed the preselection and is in no
region.  The regions are the scan's own (same models, same thresholds, same fold assignment).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.errors import FeatureError
from susyscan.scan.inference import load_region_models
from susyscan.scan.regions import SignalRegion, parse_regions
from susyscan.scan.yields import read_feature_table, region_masks

logger = logging.getLogger(__name__)

PRESELECTION = "Preselection"
KEY = ["chunk", "event"]


def region_labels(features_path: str | Path, regions: Sequence[Mapping[str, Any] | SignalRegion],
                  batch_size: int = 4096, feature_names: Sequence[str] | None = None) -> pd.DataFrame:
    """``chunk, event`` and one 0/1 column per region (plus ``Preselection`` = 1) of a merged feature table.

    ``feature_names``: the model inputs (``AnalysisSpec.model_inputs``; default: the smuon analysis')."""
    parsed = parse_regions(regions)
    if feature_names is None:
        from susyscan.analyses import builtin_spec

        feature_names = builtin_spec("smuon").model_inputs
    names = list(feature_names)
    df = read_feature_table(features_path)
    models = load_region_models(parsed, names)
    masks = region_masks(df, parsed, models, names, batch_size, str(features_path))
    out = df[KEY].astype(np.int64).reset_index(drop=True)
    out[PRESELECTION] = 1
    for name, mask in masks.items():
        out[name] = np.asarray(mask, dtype=np.int8)
    return out


def join_labels(truth: pd.DataFrame, labels: pd.DataFrame, region_names: Sequence[str], source: str) -> pd.DataFrame:
    """Truth table with the label columns (0 for events that failed the preselection).

    Every labelled event must exist in the truth table (same sample, chunk, event); a labelled event without
    truth, or a duplicate id, is an error naming the id."""
    columns = [PRESELECTION, *region_names]
    if truth.duplicated(KEY).any():
        raise FeatureError(f"{source}: duplicate (chunk, event) ids in the truth table")
    merged = truth.merge(labels[KEY + columns], on=KEY, how="left", validate="one_to_one", indicator=True)
    orphans = labels.merge(truth[KEY], on=KEY, how="left", indicator=True)
    orphans = orphans[orphans["_merge"] == "left_only"]
    if len(orphans):
        chunk, event = orphans.iloc[0][KEY]
        raise FeatureError(f"{source}: {len(orphans)} selected event(s) have no truth row, e.g. chunk {chunk} "
                           f"event {event} (truth and event files out of sync?)")
    merged = merged.drop(columns="_merge")
    merged[columns] = merged[columns].fillna(0).astype(np.int8)
    logger.info("%s: %d events, preselection efficiency %.4f, region efficiencies %s", source, len(merged),
                merged[PRESELECTION].mean(), {r: round(float(merged[r].mean()), 4) for r in region_names})
    return merged


def sample_labels(truth_paths: Sequence[str | Path], features_path: str | Path,
                  regions: Sequence[Mapping[str, Any] | SignalRegion], batch_size: int = 4096,
                  feature_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Truth features + labels of one signal sample (its per-chunk truth tables and merged feature table)."""
    truth = pd.concat([pd.read_csv(p) for p in truth_paths], ignore_index=True)
    labels = region_labels(features_path, regions, batch_size, feature_names)
    names = [c for c in labels.columns if c not in KEY and c != PRESELECTION]
    return join_labels(truth, labels, names, str(features_path))
