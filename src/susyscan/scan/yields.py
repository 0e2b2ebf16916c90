"""Signal-region yields of a feature table: sum of weight_pb, its MC stat error and the raw count.

The events, their ``weight_pb`` and the flag columns of the cut-and-count regions come from the merged feature
CSV of a sample (``results/analysis/<analysis>/features/<sample>.csv.gz``). The model inputs are its feature
columns, or, for an analysis whose models read array blocks (``AnalysisSpec.scan_variant``), the blocks of the
sample's model-input tables (``analysis/<analysis>/inputs/<variant>/<sample>/chunk<N>.npz``), joined to the CSV rows
by event id (:func:`read_input_blocks`): the same events must be in both.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from susyscan.analysis.tautruth import untagged_abs_weights
from susyscan.atomic import write_csv_atomic
from susyscan.contracts import REGION_YIELD_COLUMNS, TOTAL
from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.scan.inference import (FoldEnsemble, InputNames, ModelInputs, ModelLoader, ScoreModel,
                                     check_input_metadata, check_trained_events, default_loader, feature_matrix,
                                     load_region_models, region_scores, region_threshold)
from susyscan.scan.regions import SignalRegion, parse_regions

logger = logging.getLogger(__name__)



def read_feature_table(path: str | Path, weight_scale: float = 1.0) -> pd.DataFrame:
    """Merged feature CSV (model inputs, derived ones included, written by the selection) with ``weight_pb``
    multiplied by ``weight_scale``."""
    try:
        df = pd.read_csv(path)
    except (OSError, EOFError, ValueError, zlib.error) as exc:  # truncated/corrupt gzip, bad CSV
        raise FeatureError(f"{path}: cannot read feature table ({type(exc).__name__}: {exc})") from exc
    if "weight_pb" not in df.columns:
        raise FeatureError(f"{path}: no 'weight_pb' column (expected a merged feature file)")
    if not weight_scale > 0:
        raise FeatureError(f"{path}: weight scale factor {weight_scale} must be positive")
    df["weight_pb"] = df["weight_pb"] * float(weight_scale)
    return df


def needs_models(regions: Sequence[SignalRegion]) -> bool:
    """Whether any region cuts on a model score (only then are models and their input features needed)."""
    return any(region.kind == "onnx" for region in regions)


@dataclass
class InputBlocks:
    """Model-input blocks of the rows of a feature table (in the tables' block order, the models' input order),
    their field names and the tables' metadata; empty: the model inputs are columns of the feature table."""

    blocks: dict[str, np.ndarray] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def read_input_blocks(df: pd.DataFrame, paths: Sequence[str | Path], source: str) -> InputBlocks:
    """The blocks of the model-input tables ``paths`` (``susyscan.training.eventtable`` .npz, one sample's chunks)
    in the row order of its feature table ``df``, matched by event id (``chunk``, ``event``). An event in only one
    of the two is a FeatureError naming ``source`` (the sample) and the counts."""
    from susyscan.training.eventtable import concat_tables, read_table
    from susyscan.training.folds import event_ids

    if not paths:
        raise FeatureError(f"{source}: no model-input tables given")
    tables = [read_table(path, columns=["sample", "chunk", "event"]) for path in paths]
    table = concat_tables(tables, same_metadata=input_metadata_keys(tables))
    if not table.blocks:
        raise FeatureError(f"{source}: the model-input tables {[str(p) for p in paths]} hold no array blocks")
    samples = set(np.asarray(table.columns["sample"]).astype(str).tolist())
    if len(df) and "sample" in df.columns and samples - set(df["sample"].astype(str)):
        raise FeatureError(f"{source}: model-input tables of sample(s) {sorted(samples)}, not of the feature table's")
    table_ids = event_ids(table.frame(), f"{source} (model-input tables)")
    if len(np.unique(table_ids)) != len(table_ids):
        raise FeatureError(f"{source}: the model-input tables {[str(p) for p in paths]} hold events of samples "
                           f"{sorted(samples)} with the same ids: they cannot be joined to one feature table by id")
    rows = pd.Index(table_ids).get_indexer(event_ids(df, source))
    missing = int((rows < 0).sum())
    if missing or len(table_ids) != len(df):
        raise FeatureError(f"{source}: the feature table holds {len(df)} events, its model-input tables "
                           f"{len(table_ids)}, {missing} of the first not in the second: both must hold the "
                           "preselected events (rerun the selection and rule model_inputs)")
    blocks = {name: np.ascontiguousarray(values[rows]) for name, values in table.blocks.items()}
    for name, values in blocks.items():
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = [str(path) for path, t in zip(paths, tables) if not np.isfinite(t.blocks[name]).all()]
            raise FeatureError(f"{source}: NaN or infinite values in model-input block {name!r} of {bad}")
    return InputBlocks(blocks, dict(table.fields), dict(table.metadata))


def input_metadata_keys(tables: Sequence[Any]) -> list[str]:
    """The metadata keys with a number in any of the tables (e.g. ``pfcand_pt_min``): the ones
    :func:`~susyscan.scan.inference.check_input_metadata` compares with the models', so all chunks must agree on
    them (a stale chunk of other inputs is refused, not dropped from the comparison)."""
    return sorted({key for table in tables for key, value in table.metadata.items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)})


def _inputs_of(df: pd.DataFrame, blocks: InputBlocks | None, feature_names: Sequence[str],
               source: str) -> ModelInputs:
    if blocks is not None and blocks.blocks:
        return tuple(blocks.blocks.values())
    return feature_matrix(df, feature_names, source)


def region_selections(df: pd.DataFrame, regions: Sequence[SignalRegion],
                      models: Mapping[str, ScoreModel | FoldEnsemble], feature_names: Sequence[str], batch_size: int,
                      source: str, blocks: InputBlocks | None = None
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray | None]]:
    """Boolean pass mask per region and the rows' weight factors in it (None: 1; a region of a 1-fold model: its
    held-out events weighted up, :meth:`~susyscan.scan.inference.FoldEnsemble.assignment`); each model (or k-fold
    ensemble: out-of-fold scores) is evaluated once. ``blocks``: the model inputs as array blocks (else the
    ``feature_names`` columns of ``df``)."""
    masks: dict[str, np.ndarray] = {}
    factors: dict[str, np.ndarray | None] = {}
    scores: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    inputs = _inputs_of(df, blocks, feature_names, source) if needs_models(regions) else None
    for region in regions:
        if region.kind == "flag":
            if region.column not in df.columns:
                raise FeatureError(f"{source}: region {region.name!r} needs flag column {region.column!r}")
            masks[region.name], factors[region.name] = df[region.column].to_numpy() > 0.5, None
            continue
        key = region.model_key
        check_trained_events(region, models[key], df, source)
        if key not in scores:
            assert inputs is not None  # an onnx region: needs_models(regions) built it
            scores[key] = region_scores(models[key], df, inputs, batch_size, source)
        values, factor = scores[key]
        masks[region.name] = values > region_threshold(region, models[key])  # NaN (held out by no model): False
        factors[region.name] = factor
    return masks, factors


def region_masks(df: pd.DataFrame, regions: Sequence[SignalRegion], models: Mapping[str, ScoreModel | FoldEnsemble],
                 feature_names: Sequence[str], batch_size: int, source: str) -> dict[str, np.ndarray]:
    """Boolean pass mask per region (:func:`region_selections`) of regions that weight every event as it is; a
    region of a 1-fold model (held-out events weighted up) is an error here."""
    masks, factors = region_selections(df, regions, models, feature_names, batch_size, source)
    reweighted = [name for name, factor in factors.items() if factor is not None]
    if reweighted:
        raise FeatureError(f"{source}: regions {reweighted} weight their events by a 1-fold model's held-out "
                           "fraction; use region_selections")
    return masks


def _model_inputs(regions: Sequence[SignalRegion], feature_names: Sequence[str]) -> list[str]:
    if needs_models(regions) and not feature_names:
        raise FeatureError(f"regions {[r.name for r in regions if r.kind == 'onnx']} cut on model scores, but no "
                           "model input features were given (AnalysisSpec.model_inputs)")
    return list(feature_names)


def yields_from_masks(weights: np.ndarray, masks: Mapping[str, np.ndarray],
                      factors: Mapping[str, np.ndarray | None] | None = None) -> pd.DataFrame:
    """``region, yield_pb, stat_pb, n_raw`` per region; ``factors``: per region the events' weight factors (None
    or absent: 1)."""
    rows = []
    for name, m in masks.items():
        factor = (factors or {}).get(name)
        w = weights[m] if factor is None else weights[m] * factor[m]
        rows.append({"region": name, "yield_pb": float(w.sum()), "stat_pb": float(np.sqrt((w ** 2).sum())),
                     "n_raw": int(m.sum())})
    return pd.DataFrame(rows, columns=list(REGION_YIELD_COLUMNS))


def note_largest_weight(largest: dict[tuple[str, str], float], regions: Iterable[str], process: str,
                        untagged: np.ndarray) -> None:
    """Keep in ``largest``, per (region, process), the largest weight of the events that could enter the region:
    ``untagged`` are the ``process`` events' :func:`susyscan.analysis.tautruth.untagged_abs_weights`, scaled as
    for those ``regions`` (e.g. x 2 for a half-sample region; events that cannot enter them weighted 0). Its
    maximum per region is the unit of the zero-MC background (:func:`susyscan.stats.inputs.largest_event_weight_pb`)."""
    if not len(untagged):
        return
    value = float(np.max(untagged))
    for region in regions:
        largest[(region, process)] = max(largest.get((region, process), 0.0), value)


def largest_weight_column(table: pd.DataFrame, largest: Mapping[tuple[str, str], float]) -> pd.Series:
    """``max_event_weight_pb`` of a background table (columns ``region``, ``process``) from :func:`note_largest_weight`:
    a process row its own (region, process) value, a ``total`` row the largest over the region's processes."""
    per_region: dict[str, float] = {}
    for (region, _), value in largest.items():
        per_region[region] = max(per_region.get(region, 0.0), value)
    values = [per_region.get(region, np.nan) if process == TOTAL else largest.get((region, process), np.nan)
              for region, process in zip(table["region"], table["process"])]
    return pd.Series(values, index=table.index, dtype=float)


def point_masses(df: pd.DataFrame, path: str | Path, masses: tuple[float, float] | None) -> tuple[float, float]:
    """(m_parent, m_lsp) of a signal table: from its columns, else the caller's ``masses``."""
    if len(df) and {"m_parent", "m_lsp"} <= set(df.columns):
        pairs = df[["m_parent", "m_lsp"]].drop_duplicates()
        if len(pairs) != 1:
            raise FeatureError(f"{path}: expected one grid point, found masses {pairs.values.tolist()}")
        return float(pairs.iloc[0, 0]), float(pairs.iloc[0, 1])
    if masses is None:
        raise EmptySelectionError(f"{path}: no events and no masses given for the grid point")
    return float(masses[0]), float(masses[1])


def _scan_models(regions: Sequence[SignalRegion], feature_names: Sequence[str], blocks: InputBlocks | None,
                 loader: ModelLoader, source: str) -> dict[str, ScoreModel | FoldEnsemble]:
    """The regions' models, checked against the model inputs: the feature names, or the blocks' field names and
    the tables' metadata."""
    names: InputNames = _model_inputs(regions, feature_names) if blocks is None else blocks.fields
    models = load_region_models(regions, names, loader)
    if blocks is not None:
        check_input_metadata(models, blocks.metadata, source)
    return models


def _check_inputs_given(feature_names: Sequence[str], input_paths: object, source: str) -> None:
    if input_paths is not None and list(feature_names):
        raise FeatureError(f"{source}: model inputs given twice: feature names {list(feature_names)} and model-input "
                           "tables (the tables' blocks are the inputs)")


def compute_point_yields(features_path: str | Path, out_path: str | Path, regions: Sequence,
                         batch_size: int = 4096, weight_scale: float = 1.0,
                         feature_names: Sequence[str] = (),
                         masses: tuple[float, float] | None = None,
                         loader: ModelLoader = default_loader,
                         input_paths: Sequence[str | Path] | None = None) -> pd.DataFrame:
    """Yields per signal region of one grid point's merged feature CSV, written to ``out_path``.

    ``feature_names``: the model inputs (``AnalysisSpec.model_inputs``), needed when a region cuts on a score;
    ``input_paths``: instead, the point's model-input tables (:func:`read_input_blocks`)."""
    regions = parse_regions(regions)
    _check_inputs_given(feature_names, input_paths, str(features_path))
    df = read_feature_table(features_path, weight_scale)
    m_parent, m_lsp = point_masses(df, features_path, masses)
    if df.empty:
        logger.warning("%s: no events passed the preselection, all region yields are zero", features_path)
    source = str(features_path)
    blocks = read_input_blocks(df, input_paths, source) if input_paths is not None and needs_models(regions) else None
    models = _scan_models(regions, feature_names, blocks, loader, source)
    masks, factors = region_selections(df, regions, models, feature_names, batch_size, source, blocks)
    table = yields_from_masks(df["weight_pb"].to_numpy(dtype=float), masks, factors)
    table["m_parent"], table["m_lsp"] = m_parent, m_lsp
    write_csv_atomic(table, out_path)
    logger.info("%s: (%g, %g) yields %s", out_path, m_parent, m_lsp,
                dict(zip(table["region"], table["yield_pb"].round(6))))
    return table


def _min_positive(weights: np.ndarray) -> float:
    positive = weights[weights > 0]
    return float(positive.min()) if len(positive) else float("nan")


def sample_name(path: str | Path) -> str:
    """The sample of a merged feature CSV: its file name without ``.csv.gz``."""
    return Path(path).name.removesuffix(".gz").removesuffix(".csv")


def compute_background_yields(features_paths: Sequence[str | Path], out_path: str | Path, regions: Sequence,
                              batch_size: int = 4096, weight_scales: Mapping[str, float] | None = None,
                              feature_names: Sequence[str] = (),
                              loader: ModelLoader = default_loader,
                              input_paths: Mapping[str, Sequence[str | Path]] | None = None) -> pd.DataFrame:
    """Background yields per region and process, plus ``total`` rows, written to ``out_path``.

    ``weight_scales`` maps a file path (or its sample name, the file name without ``.csv.gz``) to a weight
    factor (default 1: the workflow passes every background event, ML regions scored out-of-fold).
    ``input_paths``: instead of ``feature_names``, {sample: its model-input tables} (:func:`read_input_blocks`).
    ``min_event_weight_pb`` is the smallest positive event weight of the process (the yield of one MC event);
    ``max_event_weight_pb`` the largest absolute event weight of the process's events that could enter the region
    (for ``total`` the max over processes; weighted as in the region: a 1-fold model's region counts its held-out
    events only, weighted up) without the tau truth-tag factor
    (:func:`susyscan.analysis.tautruth.untagged_abs_weights`), which sets the background assumed in regions with no
    background MC event (:func:`susyscan.stats.inputs.zero_mc_background_pb`).
    """
    regions = parse_regions(regions)
    _check_inputs_given(feature_names, input_paths, f"background yields of {[str(p) for p in features_paths]}")
    models: dict[str, ScoreModel | FoldEnsemble] | None = None
    fields: dict[str, list[str]] | None = None
    scales = dict(weight_scales or {})
    per_process: dict[str, list[pd.DataFrame]] = {}
    min_weights: dict[str, float] = {}
    largest: dict[tuple[str, str], float] = {}
    for path in tqdm(list(map(Path, features_paths)), desc="background yields", unit="file"):
        sample = sample_name(path)
        df = read_feature_table(path, scales.get(str(path), scales.get(sample, 1.0)))
        if df.empty:
            logger.warning("%s: no events passed the preselection", path)
            continue
        if "is_signal" in df.columns and (df["is_signal"] != 0).any():
            raise FeatureError(f"{path}: background file contains signal events")
        blocks = None
        if input_paths is not None and needs_models(regions):
            if sample not in input_paths:
                raise FeatureError(f"{path}: no model-input tables given for sample {sample!r}")
            blocks = read_input_blocks(df, input_paths[sample], str(path))
            if fields is not None and blocks.fields != fields:
                raise FeatureError(f"{path}: model-input blocks {blocks.fields} differ from the first sample's")
            fields = blocks.fields
        if models is None:
            models = _scan_models(regions, feature_names, blocks, loader, str(path))
        elif blocks is not None:
            check_input_metadata(models, blocks.metadata, str(path))
        masks, factors = region_selections(df, regions, models, feature_names, batch_size, str(path), blocks)
        plain = [name for name, f in factors.items() if f is None]
        processes = df["process"].astype(str).to_numpy() if "process" in df.columns else np.full(len(df), sample)
        weights = df["weight_pb"].to_numpy(dtype=float)
        untagged = untagged_abs_weights(weights, df, str(path))  # tau truth-tag factor P1 taken out
        for process in np.unique(processes):
            sel = processes == process
            table = yields_from_masks(weights[sel], {k: m[sel] for k, m in masks.items()},
                                      {k: None if f is None else f[sel] for k, f in factors.items()})
            per_process.setdefault(str(process), []).append(table)
            min_weights[str(process)] = np.nanmin([min_weights.get(str(process), np.inf), _min_positive(weights[sel])])
            note_largest_weight(largest, plain, str(process), untagged[sel])
            for name, f in factors.items():
                if f is not None:  # only the held-out events can enter (factor 0 for the others), weighted up
                    note_largest_weight(largest, [name], str(process), untagged[sel] * f[sel])
    if not per_process:
        raise EmptySelectionError(f"no background events in {[str(p) for p in features_paths]}")
    rows = []
    for process, tables in sorted(per_process.items()):
        rows.append(_combine(pd.concat(tables), process, min_weights[process]))
    rows.append(_combine(pd.concat([t for ts in per_process.values() for t in ts]), TOTAL, min(min_weights.values())))
    result = pd.concat(rows, ignore_index=True)
    result["max_event_weight_pb"] = largest_weight_column(result, largest)
    write_csv_atomic(result, out_path)
    total = result[result["process"] == TOTAL]
    logger.info("background totals (pb): %s", dict(zip(total["region"], total["yield_pb"].round(6))))
    return result


def _combine(tables: pd.DataFrame, process: str, min_weight: float) -> pd.DataFrame:
    """Sum yields and n_raw, add stat errors in quadrature, per region (config order kept)."""
    order = list(dict.fromkeys(tables["region"]))
    tables = tables.assign(var=tables["stat_pb"] ** 2)
    summed = tables.groupby("region", sort=False)[["yield_pb", "var", "n_raw"]].sum().loc[order].reset_index()
    return pd.DataFrame({"region": summed["region"], "process": process, "yield_pb": summed["yield_pb"],
                         "stat_pb": np.sqrt(summed["var"]), "n_raw": summed["n_raw"].astype(int),
                         "min_event_weight_pb": min_weight})
