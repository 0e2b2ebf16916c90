"""Batched model inference behind a small protocol (``predict(X) -> scores``, ``score_threshold``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from susyscan.errors import FeatureError, ModelMetadataError
from susyscan.scan.regions import SignalRegion

logger = logging.getLogger(__name__)


class ScoreModel(Protocol):
    """What the scan needs from a classifier."""

    score_threshold: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Scores in [0, 1], one per row."""
        ...


ModelLoader = Callable[[str | Path, Sequence[str]], ScoreModel]


def default_loader(path: str | Path, feature_names: Sequence[str]) -> ScoreModel:
    """Load with ``susyscan.training.onnx_model.load_checked`` (refuses a feature-list mismatch)."""
    from susyscan.training.onnx_model import load_checked

    return load_checked(path, feature_names)


def batched_scores(model: ScoreModel, features: np.ndarray, batch_size: int) -> np.ndarray:
    """Scores of all rows, evaluated ``batch_size`` rows at a time."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    parts = [np.asarray(model.predict(features[i:i + batch_size]), dtype=np.float64).reshape(-1)
             for i in range(0, len(features), batch_size)]
    return np.concatenate(parts) if parts else np.empty(0)


class FoldEnsemble:
    """The k models of a k-fold training: each event is scored by the model of the fold that held it out.

    The fold of an event comes from its sample name and id (``susyscan.training.folds``) with the k and seed
    recorded in the models. Before scoring, the ids given to each model are checked against the per-sample
    fingerprints of its held-out ids: a model never scores an event of a sample it trained on unless the event
    was held out of its training (LeakageError otherwise). Grid points no model trained on get the same rule.
    """

    def __init__(self, models: Sequence[ScoreModel], paths: Sequence[str | Path]) -> None:
        self.models = list(models)
        self.paths = [str(p) for p in paths]
        for index, (model, path) in enumerate(zip(self.models, self.paths)):
            fold = getattr(model, "fold", None)
            if fold is None or getattr(model, "heldout_ids", None) is None:
                raise ModelMetadataError(f"{path}: no k-fold metadata (fold, kfold, fold_seed, heldout_ids)")
            kfold = getattr(model, "kfold", None)
            if (fold, kfold) != (index, len(self.models)):
                raise ModelMetadataError(f"{path}: holds out fold {fold}/{kfold}, listed as {index}/{len(self.models)}")
        seeds = {model.fold_seed for model in self.models}  # type: ignore[attr-defined]
        thresholds = {float(model.score_threshold) for model in self.models}
        if len(seeds) != 1 or len(thresholds) != 1:
            raise ModelMetadataError(f"{self.paths}: fold models disagree on the fold seed {seeds} or the score "
                                     f"threshold {thresholds}")
        self.seed = seeds.pop()
        self.score_threshold = thresholds.pop()

    def folds(self, df: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sample names, event ids, fold) of every row."""
        from susyscan.training.folds import assign_folds, event_ids

        ids = event_ids(df, source)
        samples = df["sample"].astype(str).to_numpy() if "sample" in df.columns else np.full(len(df), "")
        return samples, ids, assign_folds(samples, ids, self.seed, len(self.models))

    def scores(self, df: pd.DataFrame, features: np.ndarray, batch_size: int, source: str) -> np.ndarray:
        """Out-of-fold score of every row of ``df`` (``features`` its model-input matrix)."""
        from susyscan.training.folds import check_heldout

        samples, ids, folds = self.folds(df, source)
        out = np.full(len(df), np.nan)
        for index, (model, path) in enumerate(zip(self.models, self.paths)):
            rows = folds == index
            check_heldout(samples[rows], ids[rows], model.heldout_ids, path, source)  # type: ignore[attr-defined]
            out[rows] = batched_scores(model, features[rows], batch_size)
        return out


def load_region_models(regions: Sequence[SignalRegion], feature_names: Sequence[str],
                       loader: ModelLoader = default_loader) -> dict[str, ScoreModel | FoldEnsemble]:
    """Load each distinct model (or k-fold ensemble) of the ``onnx`` regions once, keyed by ``model_key``."""
    models: dict[str, ScoreModel | FoldEnsemble] = {}
    for region in regions:
        if region.kind != "onnx" or region.model_key in models:
            continue
        paths = list(region.models) or [str(region.model)]
        for path in paths:
            if not Path(path).exists():
                raise ModelMetadataError(f"region {region.name!r}: model file {path} not found")
        loaded = [loader(path, feature_names) for path in paths]
        models[region.model_key] = FoldEnsemble(loaded, paths) if region.models else loaded[0]
        logger.info("loaded %s for region %r", region.model_key, region.name)
    return models


def region_scores(model: ScoreModel | FoldEnsemble, df: pd.DataFrame, features: np.ndarray, batch_size: int,
                  source: str) -> np.ndarray:
    """Scores of every row: out-of-fold for a FoldEnsemble, else the single model's."""
    if isinstance(model, FoldEnsemble):
        return model.scores(df, features, batch_size, source)
    return batched_scores(model, features, batch_size)


def region_threshold(region: SignalRegion, model: ScoreModel | FoldEnsemble) -> float:
    """The configured threshold, else the model's ``score_threshold`` metadata."""
    if region.threshold is not None:
        return region.threshold
    threshold = getattr(model, "score_threshold", None)
    if threshold is None:
        raise ModelMetadataError(f"region {region.name!r}: no threshold in config nor in {region.model_key}")
    return float(threshold)


def feature_matrix(df: pd.DataFrame, feature_names: Sequence[str], source: str) -> np.ndarray:
    """float32 matrix of ``feature_names``; missing, NaN or infinite features raise FeatureError."""
    missing = [name for name in feature_names if name not in df.columns]
    if missing:
        raise FeatureError(f"{source}: missing model features {missing}")
    matrix = np.ascontiguousarray(df[list(feature_names)].to_numpy(dtype=np.float32))
    bad = ~np.isfinite(matrix)
    if bad.any():
        columns = sorted({feature_names[int(j)] for j in np.nonzero(bad)[1]})
        raise FeatureError(f"{source}: NaN or infinite values in features {columns}")
    return matrix
