"""Loading exported ONNX classifiers with a feature-list check (used by the scan)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from susyscan.errors import FeatureError, ModelMetadataError

logger = logging.getLogger(__name__)

REQUIRED_METADATA: tuple[str, ...] = (
    "feature_names",
    "mass_region",
    "score_threshold",
    "training_data_hash",
    "model_type",
)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file as a dict of strings."""
    model = onnx.load(str(path), load_external_data=False)
    return {prop.key: prop.value for prop in model.metadata_props}


def first_difference(expected: Sequence[str], found: Sequence[str]) -> str:
    """Describe the first position where two feature lists differ."""
    for index, (want, have) in enumerate(zip(expected, found)):
        if want != have:
            return f"position {index}: caller has {want!r}, model has {have!r}"
    return f"lengths differ: caller has {len(expected)} features, model has {len(found)}"


class OnnxModel:
    """An onnxruntime session plus the model's metadata; ``predict`` takes raw features."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        self.path = Path(path)
        self.metadata = read_metadata(self.path)
        missing = [key for key in REQUIRED_METADATA if key not in self.metadata]
        if missing:
            raise ModelMetadataError(f"{self.path}: ONNX metadata lacks {missing}")
        self.feature_names: list[str] = json.loads(self.metadata["feature_names"])
        self.mass_region = self.metadata["mass_region"]
        self.score_threshold = float(self.metadata["score_threshold"])
        self.model_type = self.metadata["model_type"]
        self.training_data_hash = self.metadata["training_data_hash"]
        # k-fold models (optional metadata): the fold they hold out and the fingerprints of its event ids
        self.kfold = int(self.metadata["kfold"]) if "kfold" in self.metadata else None
        self.fold = int(self.metadata["fold"]) if "fold" in self.metadata else None
        self.fold_seed = int(self.metadata["fold_seed"]) if "fold_seed" in self.metadata else None
        self.heldout_ids: dict[str, str] | None = (
            json.loads(self.metadata["heldout_ids"]) if "heldout_ids" in self.metadata else None)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name

    def _matrix(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        if isinstance(features, pd.DataFrame):
            missing = [name for name in self.feature_names if name not in features.columns]
            if missing:
                raise FeatureError(f"{self.path}: input DataFrame lacks model features {missing}")
            features = features[self.feature_names].to_numpy()
        matrix = np.ascontiguousarray(features, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != len(self.feature_names):
            raise FeatureError(f"{self.path}: expected (n, {len(self.feature_names)}) features, got {matrix.shape}")
        return matrix

    def predict(self, features: np.ndarray | pd.DataFrame, batch_size: int = 65536) -> np.ndarray:
        """Scores in [0, 1] (float64), evaluated in batches of ``batch_size`` rows."""
        matrix = self._matrix(features)
        parts = [
            self.session.run(None, {self._input: matrix[i : i + batch_size]})[0].reshape(-1)
            for i in range(0, len(matrix), batch_size)
        ]
        return np.concatenate(parts).astype(np.float64) if parts else np.empty(0)

    def passes(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Boolean mask of events with score above the model's ``score_threshold``."""
        return self.predict(features) > self.score_threshold


def load_checked(path: str | Path, feature_names: Sequence[str], threads: int = 1) -> OnnxModel:
    """Open an exported model, refusing it when its ordered feature list differs from ``feature_names``."""
    model = OnnxModel(path, threads=threads)
    if list(feature_names) != model.feature_names:
        raise ModelMetadataError(
            f"{path}: feature list mismatch ({first_difference(list(feature_names), model.feature_names)})"
        )
    return model
