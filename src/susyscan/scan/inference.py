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


def load_region_models(regions: Sequence[SignalRegion], feature_names: Sequence[str],
                       loader: ModelLoader = default_loader) -> dict[str, ScoreModel]:
    """Load each distinct model of the ``onnx`` regions once, keyed by model path."""
    models: dict[str, ScoreModel] = {}
    for region in regions:
        if region.kind == "onnx" and region.model not in models:
            if not Path(region.model).exists():
                raise ModelMetadataError(f"region {region.name!r}: model file {region.model} not found")
            models[region.model] = loader(region.model, feature_names)
            logger.info("loaded %s for region %r", region.model, region.name)
    return models


def region_threshold(region: SignalRegion, model: ScoreModel) -> float:
    """The configured threshold, else the model's ``score_threshold`` metadata."""
    if region.threshold is not None:
        return region.threshold
    threshold = getattr(model, "score_threshold", None)
    if threshold is None:
        raise ModelMetadataError(f"region {region.name!r}: no threshold in config nor in {region.model}")
    return float(threshold)


def feature_matrix(df: pd.DataFrame, feature_names: Sequence[str], source: str) -> np.ndarray:
    """float32 matrix of ``feature_names``; missing, NaN or infinite features raise FeatureError."""
    missing = [name for name in feature_names if name not in df.columns]
    if missing:
        raise FeatureError(f"{source}: missing model features {missing}")
    matrix = np.ascontiguousarray(df[list(feature_names)].to_numpy(dtype=np.float32))
    bad = ~np.isfinite(matrix)
    if bad.any():
        columns = sorted({feature_names[j] for j in np.nonzero(bad)[1]})
        raise FeatureError(f"{source}: NaN or infinite values in features {columns}")
    return matrix
