"""Loading exported ONNX classifiers with a feature-list check (used by the scan and the analyses' own stages).

A model reads one input (``features``, the ``feature_names`` of its metadata) or several named input blocks
(metadata ``input_blocks``, written by ``susyscan.training.export.block_metadata``): :meth:`OnnxModel.predict`
then takes the blocks in order. :meth:`OnnxModel.predict` reads the first output (``score``);
:meth:`OnnxModel.predict_outputs` reads named outputs, e.g. the ``probabilities`` (N, K) of a multiclass model
(metadata ``classes``: the class of each column)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class InputBlock:
    """One ONNX input: its name, feature names, padding value and slot count (None: a flat (N, F) block)."""

    name: str
    feature_names: list[str]
    padding: float | None = None
    slots: int | None = None

    def shape(self) -> tuple[int, ...]:
        """Shape of one event's inputs."""
        return (len(self.feature_names),) if self.slots is None else (self.slots, len(self.feature_names))


class OnnxModel:
    """An onnxruntime session plus the model's metadata; ``predict`` takes raw features (or raw input blocks)."""

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
        self.fold_scheme = self.metadata.get("fold_scheme")
        self.heldout_ids: dict[str, str] | None = (
            json.loads(self.metadata["heldout_ids"]) if "heldout_ids" in self.metadata else None)
        # models exported from a prepared dataset: per sample, the events fitted on (train), selected on (val), total
        self.trained_events: dict[str, dict[str, int]] | None = (
            json.loads(self.metadata["trained_events"]) if "trained_events" in self.metadata else None)
        # multiclass models: the class of each column of the ``probabilities`` output
        self.classes: list[str] | None = json.loads(self.metadata["classes"]) if "classes" in self.metadata else None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        if "input_blocks" in self.metadata:
            self.blocks = [InputBlock(b["name"], list(b["feature_names"]), b.get("padding"), b.get("slots"))
                           for b in json.loads(self.metadata["input_blocks"])]
        else:
            self.blocks = [InputBlock(self.session.get_inputs()[0].name, self.feature_names)]
        self.output_names: list[str] = [output.name for output in self.session.get_outputs()]

    def block(self, name: str) -> InputBlock:
        """The input block ``name``."""
        for block in self.blocks:
            if block.name == name:
                return block
        raise ModelMetadataError(f"{self.path}: no input block {name!r} (has {[b.name for b in self.blocks]})")

    def check_features(self, feature_names: Sequence[str] | Mapping[str, Sequence[str]]) -> None:
        """Raise ModelMetadataError when the ordered feature list of the (first, or each named) input block differs
        from ``feature_names``."""
        expected = feature_names if isinstance(feature_names, Mapping) else {self.blocks[0].name: feature_names}
        for name, names in expected.items():
            found = self.block(name).feature_names
            if list(names) != found:
                where = "" if len(self.blocks) == 1 else f" of input {name!r}"
                raise ModelMetadataError(
                    f"{self.path}: feature list mismatch{where} ({first_difference(list(names), found)})")

    def _matrix(self, features: np.ndarray | pd.DataFrame, block: InputBlock | None = None) -> np.ndarray:
        block = block if block is not None else self.blocks[0]
        if isinstance(features, pd.DataFrame):
            missing = [name for name in block.feature_names if name not in features.columns]
            if missing:
                raise FeatureError(f"{self.path}: input DataFrame lacks model features {missing}")
            features = features[block.feature_names].to_numpy()
        matrix = np.ascontiguousarray(features, dtype=np.float32)
        if matrix.shape[1:] != block.shape():
            raise FeatureError(f"{self.path}: expected (n, {', '.join(map(str, block.shape()))}) values for input "
                               f"{block.name!r}, got {matrix.shape}")
        return matrix

    def _arrays(self, features: np.ndarray | pd.DataFrame | Sequence[np.ndarray]) -> list[np.ndarray]:
        """The float32 input blocks, checked against the model's blocks (count, shape, one event count)."""
        given = list(features) if isinstance(features, (list, tuple)) else [features]
        if len(given) != len(self.blocks):
            raise FeatureError(f"{self.path}: {len(given)} input blocks given, the model reads "
                               f"{[b.name for b in self.blocks]}")
        arrays = [self._matrix(values, block) for values, block in zip(given, self.blocks)]
        n_rows = {len(array) for array in arrays}
        if len(n_rows) != 1:
            raise FeatureError(f"{self.path}: input blocks with different event counts {sorted(n_rows)}")
        return arrays

    def _run(self, arrays: Sequence[np.ndarray], names: Sequence[str] | None, batch_size: int) -> list[list[np.ndarray]]:
        """Per batch of ``batch_size`` rows, the outputs ``names`` (None: all) of the session."""
        return [self.session.run(None if names is None else list(names),
                                 {b.name: a[i : i + batch_size] for b, a in zip(self.blocks, arrays)})
                for i in range(0, len(arrays[0]), batch_size)]

    def predict(self, features: np.ndarray | pd.DataFrame | Sequence[np.ndarray], batch_size: int = 65536) -> np.ndarray:
        """Scores in [0, 1] (float64, the first output), evaluated in batches of ``batch_size`` rows. ``features``:
        the raw features of a single-input model, or the raw input blocks in order."""
        parts = [outputs[0].reshape(-1) for outputs in self._run(self._arrays(features), None, batch_size)]
        return np.concatenate(parts).astype(np.float64) if parts else np.empty(0)

    def predict_outputs(self, features: np.ndarray | pd.DataFrame | Sequence[np.ndarray], names: Sequence[str],
                        batch_size: int = 65536) -> dict[str, np.ndarray]:
        """The named outputs (float64, shaped as in the graph: ``score`` (N,), ``probabilities`` (N, K)),
        evaluated in batches of ``batch_size`` rows; an unknown name raises ModelMetadataError naming the file and
        the model's outputs."""
        unknown = [name for name in names if name not in self.output_names]
        if unknown or not names:
            raise ModelMetadataError(f"{self.path}: no output(s) {unknown or list(names)}; the model's outputs are "
                                     f"{self.output_names}")
        arrays = self._arrays(features)
        # zero events: one run on the empty blocks, so that the outputs keep their shape (0, K)
        batches = self._run(arrays, names, batch_size) or [
            self.session.run(list(names), {b.name: a for b, a in zip(self.blocks, arrays)})]
        return {name: np.concatenate([outputs[index] for outputs in batches]).astype(np.float64)
                for index, name in enumerate(names)}

    def passes(self, features: np.ndarray | pd.DataFrame | Sequence[np.ndarray]) -> np.ndarray:
        """Boolean mask of events with score above the model's ``score_threshold``."""
        return self.predict(features) > self.score_threshold


def load_checked(path: str | Path, feature_names: Sequence[str] | Mapping[str, Sequence[str]],
                 threads: int = 1) -> OnnxModel:
    """Open an exported model, refusing it when its ordered feature list differs from ``feature_names`` (a
    mapping: the feature lists of the named input blocks)."""
    model = OnnxModel(path, threads=threads)
    model.check_features(feature_names)
    return model
