"""Per-region muR/muF scale envelope of the background processes, from the per-event alternative weights.

The background yields (:func:`susyscan.scan.yields.compute_background_yields`) sum ``weight_pb`` of the events in
each region; this module does the same for each of the 7-point muR/muF variations of the samples whose event files
carry LHEF 3 scale weights (``altw_muR*_muF*``, :mod:`susyscan.ingest.weights`), with the same region masks (score
cuts out-of-fold, flag regions), and writes per region and process the nominal yield of those samples and the
largest and smallest of the variations (the contract :data:`susyscan.contracts.SCALE_ENVELOPE_COLUMNS`). A variation's
yield is its weights summed over the region's events times the event's yield per unit weight (``weight_pb /
gen_weight``): the variations change normalisation and shape. Samples of one process are summed per variation
before the envelope is taken. A sample without scale weights (every generated sample, and LHE files without
``<rwgt>``) is logged and left out: its yield keeps the scenario's flat fraction in the likelihood
(:mod:`susyscan.stats.envelope`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.atomic import write_csv_atomic
from susyscan.contracts import SCALE_ENVELOPE_COLUMNS
from susyscan.errors import FeatureError
from susyscan.scan.inference import ModelLoader, default_loader, load_region_models
from susyscan.scan.regions import parse_regions
from susyscan.scan.yields import _model_inputs, read_feature_table, region_masks

logger = logging.getLogger(__name__)


def sample_variation_sums(features: pd.DataFrame, event_files: Sequence[str | Path],
                          masks: Mapping[str, np.ndarray], source: str) -> dict[str, pd.DataFrame] | None:
    """Process -> :func:`~susyscan.ingest.weights.region_variation_sums` (in pb) of one sample's selected events, or
    None when its event files carry no muR/muF scale weights."""
    from susyscan.ingest.weights import (alt_weight_table, join_alt_weights, per_event_norm, region_variation_sums,
                                         scale_columns)

    table, columns = alt_weight_table(event_files)
    if not scale_columns(columns):
        return None
    joined = join_alt_weights(features, table, source)
    norm = per_event_norm(joined, source)
    # a table without a process column is one process, named after its sample
    label = joined["process"] if "process" in joined.columns else joined["sample"]
    processes = label.astype(str).to_numpy()
    out: dict[str, pd.DataFrame] = {}
    for name in np.unique(processes):
        sel = processes == name
        out[str(name)] = region_variation_sums(joined[sel].reset_index(drop=True), {r: m[sel] for r, m in masks.items()},
                                               columns, norm[sel].reset_index(drop=True), f"{source} process {name}")
    return out


def _envelope_rows(process: str, sums: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Envelope of one process's per-sample variation sums (summed per region and variation first)."""
    from susyscan.ingest.weights import envelope_of_sums

    variations = {sample: set(frame.columns) for sample, frame in sums}
    first_sample, first = next(iter(variations.items()))
    for sample, cols in variations.items():
        if cols != first:
            raise FeatureError(f"background process {process!r}: samples {first_sample!r} and {sample!r} have "
                               f"different scale variations ({sorted(first ^ cols)}); cannot combine their envelopes")
    total = pd.concat([frame for _, frame in sums]).groupby("region", sort=False).sum(numeric_only=True).reset_index()
    env = envelope_of_sums(total)
    return pd.DataFrame({"region": env["region"], "process": process, "yield_pb": env["nominal"], "up_pb": env["up"],
                         "down_pb": env["down"], "n_variations": env["n_variations"],
                         "samples": " ".join(sorted(sample for sample, _ in sums))})


def compute_background_scale_envelopes(features_paths: Sequence[str | Path],
                                       event_files: Mapping[str, Sequence[str | Path]], out_path: str | Path,
                                       regions: Sequence, batch_size: int = 4096, feature_names: Sequence[str] = (),
                                       loader: ModelLoader = default_loader) -> pd.DataFrame:
    """Per-region scale envelope of every background process with muR/muF weights, written to ``out_path``.

    ``features_paths``: the merged background feature CSVs (as for the background yields); ``event_files``: sample
    -> its event files (chunk order; a sample without an entry has no scale weights, e.g. a generated one). The
    table is empty (header only) when no sample has scale weights."""
    regions = parse_regions(regions)
    names = _model_inputs(regions, feature_names)
    models = load_region_models(regions, names, loader)
    by_process: dict[str, list[tuple[str, pd.DataFrame]]] = {}
    for path in map(Path, features_paths):
        sample = path.name.removesuffix(".gz").removesuffix(".csv")
        files = list(event_files.get(sample, ()))
        df = read_feature_table(path)
        sums = None
        if files and not df.empty:
            masks = region_masks(df, regions, models, names, batch_size, str(path))
            sums = sample_variation_sums(df, files, masks, str(path))
        if sums is None:
            reason = "no events passed the preselection" if df.empty and files else "no muR/muF scale weights"
            logger.info("sample %s: %s: its background yield keeps the scenario's flat uncertainty", sample, reason)
            continue
        for process, frame in sums.items():
            by_process.setdefault(process, []).append((sample, frame))
            logger.info("sample %s, process %s: scale-variation sums per region (pb):\n%s", sample, process,
                        frame.to_string(index=False))
    parts = [_envelope_rows(process, sums) for process, sums in sorted(by_process.items())]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(SCALE_ENVELOPE_COLUMNS))
    table = table[list(SCALE_ENVELOPE_COLUMNS)]
    write_csv_atomic(table, out_path)
    logger.info("per-region scale envelopes of %d process(es) written to %s", len(parts), out_path)
    return table
