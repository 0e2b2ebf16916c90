"""Signal-region yields of a feature table: sum of weight_pb, its MC stat error and the raw count."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from susyscan.analysis.tautruth import untagged_abs_weights
from susyscan.atomic import write_csv_atomic
from susyscan.contracts import REGION_YIELD_COLUMNS, TOTAL
from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.scan.inference import (FoldEnsemble, ModelLoader, ScoreModel, default_loader, feature_matrix,
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


def region_masks(df: pd.DataFrame, regions: Sequence[SignalRegion], models: Mapping[str, ScoreModel | FoldEnsemble],
                 feature_names: Sequence[str], batch_size: int, source: str) -> dict[str, np.ndarray]:
    """Boolean pass mask per region; each model (or k-fold ensemble: out-of-fold scores) is evaluated once."""
    masks: dict[str, np.ndarray] = {}
    scores: dict[str, np.ndarray] = {}
    matrix = feature_matrix(df, feature_names, source) if needs_models(regions) else None
    for region in regions:
        if region.kind == "flag":
            if region.column not in df.columns:
                raise FeatureError(f"{source}: region {region.name!r} needs flag column {region.column!r}")
            masks[region.name] = df[region.column].to_numpy() > 0.5
            continue
        key = region.model_key
        if key not in scores:
            assert matrix is not None  # an onnx region: needs_models(regions) built it
            scores[key] = region_scores(models[key], df, matrix, batch_size, source)
        masks[region.name] = scores[key] > region_threshold(region, models[key])
    return masks


def _model_inputs(regions: Sequence[SignalRegion], feature_names: Sequence[str]) -> list[str]:
    if needs_models(regions) and not feature_names:
        raise FeatureError(f"regions {[r.name for r in regions if r.kind == 'onnx']} cut on model scores, but no "
                           "model input features were given (AnalysisSpec.model_inputs)")
    return list(feature_names)


def yields_from_masks(weights: np.ndarray, masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """``region, yield_pb, stat_pb, n_raw`` per region."""
    rows = [{"region": name, "yield_pb": float(weights[m].sum()), "stat_pb": float(np.sqrt((weights[m] ** 2).sum())),
             "n_raw": int(m.sum())} for name, m in masks.items()]
    return pd.DataFrame(rows, columns=list(REGION_YIELD_COLUMNS))


def note_largest_weight(largest: dict[tuple[str, str], float], regions: Iterable[str], process: str,
                        untagged: np.ndarray) -> None:
    """Keep in ``largest``, per (region, process), the largest weight of the events that could enter the region:
    ``untagged`` are the ``process`` events' :func:`susyscan.analysis.tautruth.untagged_abs_weights`, scaled as
    for those ``regions`` (e.g. x 2 for a half-sample region). Its maximum per region is the unit of the zero-MC
    background (:func:`susyscan.stats.inputs.largest_event_weight_pb`)."""
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


def compute_point_yields(features_path: str | Path, out_path: str | Path, regions: Sequence,
                         batch_size: int = 4096, weight_scale: float = 1.0,
                         feature_names: Sequence[str] = (),
                         masses: tuple[float, float] | None = None,
                         loader: ModelLoader = default_loader) -> pd.DataFrame:
    """Yields per signal region of one grid point's merged feature CSV, written to ``out_path``.

    ``feature_names``: the model inputs (``AnalysisSpec.model_inputs``), needed when a region cuts on a score."""
    regions = parse_regions(regions)
    names = _model_inputs(regions, feature_names)
    df = read_feature_table(features_path, weight_scale)
    m_parent, m_lsp = point_masses(df, features_path, masses)
    if df.empty:
        logger.warning("%s: no events passed the preselection, all region yields are zero", features_path)
    models = load_region_models(regions, names, loader)
    masks = region_masks(df, regions, models, names, batch_size, str(features_path))
    table = yields_from_masks(df["weight_pb"].to_numpy(dtype=float), masks)
    table["m_parent"], table["m_lsp"] = m_parent, m_lsp
    write_csv_atomic(table, out_path)
    logger.info("%s: (%g, %g) yields %s", out_path, m_parent, m_lsp,
                dict(zip(table["region"], table["yield_pb"].round(6))))
    return table


def _min_positive(weights: np.ndarray) -> float:
    positive = weights[weights > 0]
    return float(positive.min()) if len(positive) else float("nan")


def compute_background_yields(features_paths: Sequence[str | Path], out_path: str | Path, regions: Sequence,
                              batch_size: int = 4096, weight_scales: Mapping[str, float] | None = None,
                              feature_names: Sequence[str] = (),
                              loader: ModelLoader = default_loader) -> pd.DataFrame:
    """Background yields per region and process, plus ``total`` rows, written to ``out_path``.

    ``weight_scales`` maps a file path (or its sample name, the file name without ``.csv.gz``) to a weight
    factor (default 1: the workflow passes every background event, ML regions scored out-of-fold).
    ``min_event_weight_pb`` is the smallest positive event weight of the process (the yield of one MC event);
    ``max_event_weight_pb`` the largest absolute event weight of the process's events that could enter the region
    (for ``total`` the max over processes; every region here sees every event, so one value per process) without
    the tau truth-tag factor (:func:`susyscan.analysis.tautruth.untagged_abs_weights`), which sets the background
    assumed in regions with no background MC event (:func:`susyscan.stats.inputs.zero_mc_background_pb`).
    """
    regions = parse_regions(regions)
    names = _model_inputs(regions, feature_names)
    models = load_region_models(regions, names, loader)
    scales = dict(weight_scales or {})
    per_process: dict[str, list[pd.DataFrame]] = {}
    min_weights: dict[str, float] = {}
    largest: dict[tuple[str, str], float] = {}
    for path in tqdm(list(map(Path, features_paths)), desc="background yields", unit="file"):
        sample = path.name.removesuffix(".gz").removesuffix(".csv")
        df = read_feature_table(path, scales.get(str(path), scales.get(sample, 1.0)))
        if df.empty:
            logger.warning("%s: no events passed the preselection", path)
            continue
        if "is_signal" in df.columns and (df["is_signal"] != 0).any():
            raise FeatureError(f"{path}: background file contains signal events")
        masks = region_masks(df, regions, models, names, batch_size, str(path))
        processes = df["process"].astype(str).to_numpy() if "process" in df.columns else np.full(len(df), sample)
        weights = df["weight_pb"].to_numpy(dtype=float)
        untagged = untagged_abs_weights(weights, df, str(path))  # tau truth-tag factor P1 taken out
        for process in np.unique(processes):
            sel = processes == process
            table = yields_from_masks(weights[sel], {k: m[sel] for k, m in masks.items()})
            per_process.setdefault(str(process), []).append(table)
            min_weights[str(process)] = np.nanmin([min_weights.get(str(process), np.inf), _min_positive(weights[sel])])
            note_largest_weight(largest, masks.keys(), str(process), untagged[sel])
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
