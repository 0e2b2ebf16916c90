"""ONNX export of the NN (binary, or multiclass with a softmax) and the BDT with metadata, and the
onnxruntime-vs-native parity check (on the score, or on a named output such as the class probabilities)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
import xgboost as xgb

from susyscan.errors import ModelMetadataError, SusyScanError
from susyscan.training.io_utils import atomic_path
from susyscan.training.onnx_model import OnnxModel
from susyscan.training.onnx_nn import PROBABILITIES_NAME, nn_graph
from susyscan.training.onnx_xgb import xgb_graph
from susyscan.training.standardise import Standardisation
from susyscan.training.splitting import SPLIT_ID_SCHEME

if TYPE_CHECKING:
    from torch import nn

logger = logging.getLogger(__name__)

DEFAULT_PARITY_TOLERANCE = 1e-5


class ExportParityError(SusyScanError):
    """The exported ONNX model disagrees with the native model beyond the tolerance."""


#: Dataset info keys of a k-fold model copied into the ONNX metadata (``heldout_ids`` as JSON).
FOLD_METADATA: tuple[str, ...] = ("kfold", "fold", "fold_seed", "fold_scheme", "heldout_ids")
#: Dataset info keys of a kfold-1 model (its held-out events = its test split) also copied into the ONNX metadata:
#: the train/val/test fractions and the split scheme, from which the scan recomputes the test split
#: (``susyscan.scan.inference.FoldEnsemble``, ``id`` scheme only). The scheme is written as what it computes: for
#: ``id`` the id hash (``splitting.SPLIT_ID_SCHEME``, so a model of another hash is refused), else its name
#: (``sample`` when the info records none).
SINGLE_FOLD_METADATA: tuple[str, ...] = ("split_fractions", "split_scheme")


def fold_metadata(info: Mapping) -> dict[str, str]:
    """ONNX metadata of a k-fold dataset's model (empty without k-fold): which fold it holds out, the seed of the
    fold assignment and the per-sample fingerprints of the held-out ids that the scan checks before scoring; for
    kfold 1 also the split (:data:`SINGLE_FOLD_METADATA`) that defines its held-out (test) events."""
    if info.get("kfold") is None:
        return {}
    keys = {key: info[key] for key in FOLD_METADATA}
    if int(info["kfold"]) == 1 and "split_fractions" in info:
        scheme = info.get("split_scheme", "sample")
        keys.update(split_fractions=list(info["split_fractions"]),
                    split_scheme=SPLIT_ID_SCHEME if scheme == "id" else scheme)
    return {key: value if isinstance(value, str) else json.dumps(value, sort_keys=True) for key, value in keys.items()}


#: ONNX metadata key of every model exported from a prepared dataset: per sample of the dataset, the events the model
#: was fitted on (``train``: the train split as trained, i.e. after balancing), selected on (``val``: the validation
#: split of early stopping and model selection) and the sample's event count in the dataset (``total``). The scan
#: refuses a model without k-fold metadata for a table that holds a sample it trained on
#: (``susyscan.scan.inference.check_trained_events``); a k-fold model scores only the events it held out.
TRAINED_EVENTS = "trained_events"


def trained_metadata(info: Mapping) -> dict[str, str]:
    """``{TRAINED_EVENTS: JSON {sample: {train, val, total}}}`` from the per-sample table of a dataset's info
    (``susyscan.training.dataset.build_dataset``: ``n_train_balanced``, ``n_val``, ``n_total``); empty for an info
    without that table (a caller's own metadata, e.g. the multiclass folds')."""
    samples = info.get("samples")
    if not samples or any("n_train_balanced" not in s or "n_val" not in s for s in samples):
        return {}
    counts = {str(s["sample"]): {"train": int(s["n_train_balanced"]), "val": int(s["n_val"]),
                                 "total": int(s["n_total"])} for s in samples}
    return {TRAINED_EVENTS: json.dumps(counts, sort_keys=True)}


def check_training_data(path: str | Path, model_hash: str | None, expected: str, source: str) -> None:
    """The shared provenance check: ModelMetadataError when the model at ``path`` records training data
    ``model_hash`` (``susyscan.training.dataset.training_data_hash``) other than ``expected``, the hash of
    ``source`` (what the caller is about to export or score it with); a model without the record (None) passes."""
    if model_hash is not None and model_hash != expected:
        raise ModelMetadataError(f"{path}: trained on data {model_hash[:12]}, not on {source} ({expected[:12]})")


def model_metadata(
    feature_names: Sequence[str], mass_region: str, score_threshold: float, training_data_hash: str, model_type: str,
    fold_info: Mapping | None = None,
) -> dict[str, str]:
    """The metadata_props written into every exported model (plus :func:`fold_metadata` and
    :func:`trained_metadata` of ``fold_info``, the dataset's info)."""
    return {
        **fold_metadata(fold_info or {}),
        **trained_metadata(fold_info or {}),
        "feature_names": json.dumps(list(feature_names)),
        "mass_region": mass_region,
        "score_threshold": repr(float(score_threshold)),
        "training_data_hash": training_data_hash,
        "model_type": model_type,
        "input": "raw (un-standardised) features, float32, in the order of feature_names",
        "output": "score in [0, 1], shape (N,)",
    }


def write_onnx(model: onnx.ModelProto, metadata: dict[str, str], path: str | Path) -> None:
    """Attach metadata, validate with onnx.checker and save atomically."""
    onnx.helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    with atomic_path(path) as tmp:
        onnx.save(model, str(tmp))


def parity_deviation(onnx_path: str | Path, features: np.ndarray | Sequence[np.ndarray],
                     native_scores: np.ndarray, output: str | None = None) -> float:
    """Maximum |onnxruntime - native| over ``features`` (one array, or the input blocks in order) of the score
    (``output`` None: :meth:`OnnxModel.predict`) or of the named output (e.g. ``probabilities`` (N, K))."""
    model = OnnxModel(onnx_path)
    onnx_values = model.predict(features) if output is None else model.predict_outputs(features, [output])[output]
    if onnx_values.shape != np.shape(native_scores):
        raise ExportParityError(f"{onnx_path}: ONNX output {output or 'score'} has shape {onnx_values.shape}, the "
                                f"native values {np.shape(native_scores)}")
    return float(np.max(np.abs(onnx_values - native_scores))) if onnx_values.size else 0.0


def check_parity(
    onnx_path: str | Path, features: np.ndarray | Sequence[np.ndarray], native_scores: np.ndarray,
    tolerance: float = DEFAULT_PARITY_TOLERANCE, output: str | None = None,
) -> float:
    """Return the max deviation (:func:`parity_deviation`); raise ExportParityError above ``tolerance``."""
    deviation = parity_deviation(onnx_path, features, native_scores, output)
    what = "scores" if output is None else f"output {output!r}"
    logger.info("%s: onnxruntime vs native max |d%s| = %.3g", onnx_path, output or "score", deviation)
    if not deviation <= tolerance:
        raise ExportParityError(f"{onnx_path}: ONNX and native {what} differ by {deviation:.3g} > {tolerance:.1g}")
    return deviation


def block_metadata(standardisations: Sequence[Standardisation]) -> dict[str, str]:
    """``input_blocks`` metadata of a multi-block model: per ONNX input its name, feature names, padding value
    and slot count (``susyscan.training.onnx_model.InputBlock``); empty for a single-block model."""
    if len(standardisations) == 1:
        return {}
    blocks = [{"name": s.name, "feature_names": list(s.feature_names), "padding": s.padding, "slots": s.slots}
              for s in standardisations]
    return {"input_blocks": json.dumps(blocks)}


def class_metadata(classes: Sequence[str], signal_index: int = 0) -> dict[str, str]:
    """Metadata of a multiclass model: ``classes`` (JSON list, the columns of ``probabilities``), ``signal_class``
    (the class whose probability is ``score``) and the description of the two outputs."""
    return {"classes": json.dumps(list(classes)), "signal_class": str(classes[signal_index]),
            "output": f"score: probability of class {classes[signal_index]!r}, shape (N,); {PROBABILITIES_NAME}: "
                      "class probabilities in the order of classes, shape (N, K)"}


def export_nn(
    model: nn.Module | Sequence[nn.Module], standardisation: Standardisation | Sequence[Standardisation],
    metadata: dict[str, str], path: str | Path, classes: Sequence[str] | None = None, signal_index: int = 0,
) -> None:
    """Export the network (any model-factory module, or the members of an ensemble) with the standardisation of
    each input block held in the graph; a multi-block model's blocks are described in ``input_blocks``.

    With ``classes`` (a multiclass network, one logit per class): softmax, outputs ``score`` (the probability of
    ``classes[signal_index]``) and ``probabilities`` (N, K), and :func:`class_metadata`; a network whose number
    of logits differs from ``len(classes)`` is refused (ModelMetadataError naming ``path``)."""
    blocks = [standardisation] if isinstance(standardisation, Standardisation) else list(standardisation)
    if classes is None:
        write_onnx(nn_graph(model, blocks), {**metadata, **block_metadata(blocks)}, path)
        return
    if not 0 <= signal_index < len(classes) or len(set(classes)) != len(classes):
        raise ModelMetadataError(f"{path}: classes {list(classes)} (distinct names needed) with signal index "
                                 f"{signal_index}")
    extra = class_metadata(classes, signal_index)
    graph = nn_graph(model, blocks, signal_index)
    width = graph.graph.output[1].type.tensor_type.shape.dim[1]
    if not width.HasField("dim_value") or width.dim_value != len(classes):
        raise ModelMetadataError(f"{path}: the network has {width.dim_value or width.dim_param} outputs, "
                                 f"{len(classes)} classes given {list(classes)}")
    write_onnx(graph, {**metadata, **block_metadata(blocks), **extra}, path)


def export_bdt(booster: xgb.Booster, n_features: int, metadata: dict[str, str], path: str | Path) -> None:
    """Export the xgboost booster as an ai.onnx.ml tree ensemble (raw features in)."""
    write_onnx(xgb_graph(booster, n_features), metadata, path)
