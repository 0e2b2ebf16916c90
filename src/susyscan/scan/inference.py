"""Batched model inference behind a small protocol (``predict(X) -> scores``, ``score_threshold``).

The model inputs of an event set are one float32 matrix (the feature columns of the feature CSV) or, for an
analysis whose models read array blocks (``AnalysisSpec.scan_variant``), the tuple of its blocks in the models'
input order (:data:`ModelInputs`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, Union

import numpy as np
import pandas as pd

from susyscan.errors import EmptySelectionError, FeatureError, ModelMetadataError
from susyscan.scan.regions import SignalRegion
from susyscan.training.folds import LeakageError

logger = logging.getLogger(__name__)


#: Model inputs of the rows of an event set: one matrix, or the input blocks in the models' input order.
ModelInputs = Union[np.ndarray, tuple[np.ndarray, ...]]


class ScoreModel(Protocol):
    """What the scan needs from a classifier."""

    score_threshold: float

    def predict(self, features: ModelInputs) -> np.ndarray:
        """Scores in [0, 1], one per row."""
        ...


#: The model inputs: the feature names of a one-matrix model, or {input block: its field names} in input order.
InputNames = Union[Sequence[str], Mapping[str, Sequence[str]]]
ModelLoader = Callable[[str | Path, InputNames], ScoreModel]


def default_loader(path: str | Path, feature_names: InputNames) -> ScoreModel:
    """Load with ``susyscan.training.onnx_model.load_checked`` (refuses a feature-list mismatch); for input blocks
    the model's inputs must also be those blocks, in that order."""
    from susyscan.training.onnx_model import load_checked

    model = load_checked(path, feature_names)
    if isinstance(feature_names, Mapping) and [b.name for b in model.blocks] != list(feature_names):
        raise ModelMetadataError(f"{path}: model inputs {[b.name for b in model.blocks]}, the event tables hold the "
                                 f"blocks {list(feature_names)}")
    return model


def take_rows(inputs: ModelInputs, index: np.ndarray | slice) -> ModelInputs:
    """The rows ``index`` of the model inputs (of each block)."""
    if isinstance(inputs, tuple):
        return tuple(block[index] for block in inputs)
    return inputs[index]


def n_rows(inputs: ModelInputs) -> int:
    """Number of events of the model inputs."""
    return len(inputs[0]) if isinstance(inputs, tuple) else len(inputs)


def batched_scores(model: ScoreModel, features: ModelInputs, batch_size: int) -> np.ndarray:
    """Scores of all rows, evaluated ``batch_size`` rows at a time."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    parts = [np.asarray(model.predict(take_rows(features, slice(i, i + batch_size))), dtype=np.float64).reshape(-1)
             for i in range(0, n_rows(features), batch_size)]
    return np.concatenate(parts) if parts else np.empty(0)


class FoldEnsemble:
    """The k models of a k-fold training: each event is scored by the model of the fold that held it out.

    The fold of an event comes from its sample name and id (``susyscan.training.folds``) with the k and seed
    recorded in the models. Before scoring, the ids given to each model are checked against the per-sample
    fingerprints of its held-out ids: a model never scores an event of a sample it trained on unless the event
    was held out of its training (LeakageError otherwise). Grid points no model trained on get the same rule.

    k = 1 (one model, ``kfold`` 1 in its metadata): the model holds out the test split of its id-based
    train/val/test split (``susyscan.training.splitting.split_by_id``, recomputed from the ids with the fractions
    and scheme its metadata records as ``split_fractions`` / ``split_scheme``, the shared fold metadata of its
    dataset, ``susyscan.training.export.fold_metadata``, and ``fold_seed``). Only
    those events of the samples it trained on are scored, weighted by n(sample) / n(sample, held out) so that each
    sample keeps its event count, and its weighted total in expectation (:meth:`assignment`); the events of the
    samples it did not train on are all scored.

    The rows must name their sample (column ``sample``): the fold assignment and the held-out check are per sample.
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

    def _single_fold_split(self) -> list[float]:
        """The train/val/test fractions of the one model of k = 1 (its id-based split)."""
        from susyscan.training.splitting import SPLIT_ID_SCHEME

        metadata = getattr(self.models[0], "metadata", {})
        scheme, fractions = metadata.get("split_scheme"), metadata.get("split_fractions")
        if scheme != SPLIT_ID_SCHEME or fractions is None:
            raise ModelMetadataError(f"{self.paths[0]}: a 1-fold model scores its test split, which needs the "
                                     f"id-based split in its metadata (split_scheme {scheme!r}, split_fractions "
                                     f"{fractions!r}; written from its dataset by the shared export.fold_metadata: "
                                     "re-export the model)")
        return [float(f) for f in json.loads(fractions)]

    def assignment(self, df: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(sample names, event ids, index of the model that scores each row (-1: none, k = 1 only), weight factor
        per row (1 for k >= 2; k = 1: n(sample) / n(sample, held out) for the held-out events of a sample the model
        trained on, 0 for its other events, 1 for the samples it did not train on))."""
        from susyscan.training.folds import assign_folds, event_ids
        from susyscan.training.splitting import split_by_id

        if "sample" not in df.columns:
            raise FeatureError(f"{source}: no 'sample' column; the k-fold models {self.paths} need each event's "
                               "sample to find the model that held it out and to check their held-out ids")
        ids = event_ids(df, source)
        samples = df["sample"].astype(str).to_numpy()
        factor = np.ones(len(df))
        if len(self.models) >= 2:
            return samples, ids, assign_folds(samples, ids, self.seed, len(self.models)).astype(np.int64), factor
        index = np.zeros(len(df), dtype=np.int64)
        trained = np.isin(samples, list(getattr(self.models[0], "heldout_ids", None) or {}))
        if trained.any():
            test = split_by_id(samples[trained], ids[trained], self._single_fold_split(), self.seed) == 2
            index[np.flatnonzero(trained)[~test]] = -1
            factor[index < 0] = 0.0
        for name in np.unique(samples[trained]):
            rows = samples == name
            held = rows & (index == 0)
            if not held.any():
                raise EmptySelectionError(f"{source}: none of the {int(rows.sum())} events of sample {name} is held "
                                          f"out by {self.paths[0]} (its test split is empty), so the sample's yield "
                                          "cannot be estimated: give the sample more events or a larger test "
                                          "fraction")
            factor[held] = rows.sum() / held.sum()
        return samples, ids, index, factor

    def scores_and_factors(self, df: pd.DataFrame, features: ModelInputs, batch_size: int,
                           source: str) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold score of every row of ``df`` (``features`` its model inputs; NaN for a row that no model
        held out, k = 1: the train/val events of the samples it trained on) and the weight factor of each row
        (:meth:`assignment`), the rows checked by :meth:`checked_assignment`."""
        index, factor = self.checked_assignment(df, source)
        return self.assigned_scores(index, features, batch_size), factor

    def checked_assignment(self, df: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray]:
        """(index of the model that scores each row, weight factor per row) of :meth:`assignment`, the rows of each
        model checked against its held-out fingerprints (``folds.check_heldout``; LeakageError otherwise). The
        check needs all of a sample's events: score a subset of the rows with :meth:`assigned_scores` on the
        subset of this index."""
        from susyscan.training.folds import check_heldout

        samples, ids, index, factor = self.assignment(df, source)
        for fold, (model, path) in enumerate(zip(self.models, self.paths)):
            rows = index == fold
            check_heldout(samples[rows], ids[rows], model.heldout_ids, path, source)  # type: ignore[attr-defined]
        return index, factor

    def assigned_scores(self, index: np.ndarray, features: ModelInputs, batch_size: int) -> np.ndarray:
        """Score of each row by the model ``index`` gives it (:meth:`checked_assignment`); NaN where it is -1."""
        out = np.full(len(index), np.nan)
        for fold, model in enumerate(self.models):
            rows = index == fold
            out[rows] = batched_scores(model, take_rows(features, rows), batch_size)
        return out


def load_region_models(regions: Sequence[SignalRegion], feature_names: InputNames,
                       loader: ModelLoader = default_loader) -> dict[str, ScoreModel | FoldEnsemble]:
    """Load each distinct model (or k-fold ensemble) of the ``onnx`` regions once, keyed by ``model_key``. A
    region's one ``model`` that records held-out ids (a fold model) is a :class:`FoldEnsemble` of that model: it
    scores only the events its training held out (a model of fold f >= 0 of k >= 2 is refused there)."""
    models: dict[str, ScoreModel | FoldEnsemble] = {}
    for region in regions:
        if region.kind != "onnx" or region.model_key in models:
            continue
        paths = list(region.models) or [str(region.model)]
        for path in paths:
            if not Path(path).exists():
                raise ModelMetadataError(f"region {region.name!r}: model file {path} not found")
        loaded = [loader(path, feature_names) for path in paths]
        if region.models or getattr(loaded[0], "heldout_ids", None) is not None:
            # a fold model given as the one `model`: it scores the events it held out only (never its training's)
            models[region.model_key] = FoldEnsemble(loaded, paths)
        else:
            models[region.model_key] = loaded[0]
            if getattr(loaded[0], "trained_events", None) is None:
                logger.warning("region %r: model %s records neither k-fold metadata nor the samples it trained on "
                               "(trained_events, written by the export since it was added): the scan cannot check "
                               "that it does not score its own training events", region.name, paths[0])
        logger.info("loaded %s for region %r", region.model_key, region.name)
    return models


def check_trained_events(region: SignalRegion, model: ScoreModel | FoldEnsemble, df: pd.DataFrame,
                         source: str) -> None:
    """Refuse (LeakageError) a model without k-fold metadata for a table holding events of a sample it was fitted or
    selected on (its ``trained_events`` metadata, ``susyscan.training.export.trained_metadata``): such a model
    scores the events it trained on better than unseen ones, so the sample's yield would be biased. The error names
    the model file, the samples and their counts. ``region.allow_trained_events``: score them anyway, with a
    warning. A k-fold ensemble (its own held-out check, :meth:`FoldEnsemble.checked_assignment`) and a model that
    records nothing (warned at loading) pass."""
    trained = getattr(model, "trained_events", None)
    if isinstance(model, FoldEnsemble) or trained is None:
        return
    seen = {name: counts for name, counts in trained.items() if int(counts["train"]) + int(counts["val"]) > 0}
    if "sample" not in df.columns:
        found = f"has no 'sample' column, so it may hold events of the samples it trained on {sorted(seen)}"
    else:
        present = df["sample"].astype(str).value_counts()
        overlap = [name for name in sorted(seen) if name in present.index]
        if not overlap:
            return
        found = "holds " + "; ".join(
            f"{int(present[name])} events of sample {name!r} (the model was fitted on {int(seen[name]['train'])} and "
            f"validated on {int(seen[name]['val'])} events of it, of {int(seen[name]['total'])} in its dataset)"
            for name in overlap)
    message = (f"{source}: region {region.name!r}: model {region.model} has no k-fold metadata and this table {found}"
               "; scored by it, its training events pass its cut more often than unseen ones")
    if region.allow_trained_events:
        logger.warning("%s (scored anyway: allow_trained_events)", message)
        return
    raise LeakageError(f"{message}. Score with k-fold models (training prepare --kfold/--fold, the region's "
                       "'models'), or set allow_trained_events: true on the region to accept the bias")


def region_scores(model: ScoreModel | FoldEnsemble, df: pd.DataFrame, features: ModelInputs, batch_size: int,
                  source: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores of every row (out-of-fold for a FoldEnsemble, else the single model's) and the rows' weight factors
    (None: all 1; a 1-fold ensemble: :meth:`FoldEnsemble.assignment`)."""
    if isinstance(model, FoldEnsemble):
        scores, factor = model.scores_and_factors(df, features, batch_size, source)
        return scores, (None if len(model.models) >= 2 else factor)
    return batched_scores(model, features, batch_size), None


def check_input_metadata(models: Mapping[str, ScoreModel | FoldEnsemble], metadata: Mapping[str, object],
                         source: str) -> None:
    """ModelMetadataError when a number that both the event tables' metadata and a model's metadata record (e.g.
    a PF-candidate threshold) differs: the model was trained on other inputs than the tables hold."""
    for key, model in models.items():
        for member in (model.models if isinstance(model, FoldEnsemble) else [model]):
            recorded = getattr(member, "metadata", {})
            for name, value in metadata.items():
                if name not in recorded or isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                try:
                    differs = float(recorded[name]) != float(value)
                except ValueError:
                    continue
                if differs:
                    raise ModelMetadataError(f"{source}: {name}={value} in the event tables, {recorded[name]} in the "
                                             f"model {key}")


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
