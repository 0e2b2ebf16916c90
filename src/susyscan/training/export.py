"""ONNX export of the NN and BDT with metadata, and the onnxruntime-vs-native parity check."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
import xgboost as xgb

from susyscan.errors import SusyScanError
from susyscan.training.io_utils import atomic_path
from susyscan.training.onnx_model import OnnxModel
from susyscan.training.onnx_nn import nn_graph
from susyscan.training.onnx_xgb import xgb_graph
from susyscan.training.standardise import Standardisation

if TYPE_CHECKING:
    from torch import nn

logger = logging.getLogger(__name__)

DEFAULT_PARITY_TOLERANCE = 1e-5


class ExportParityError(SusyScanError):
    """The exported ONNX model disagrees with the native model beyond the tolerance."""


#: Dataset info keys of a k-fold model copied into the ONNX metadata (``heldout_ids`` as JSON).
FOLD_METADATA: tuple[str, ...] = ("kfold", "fold", "fold_seed", "fold_scheme", "heldout_ids")


def fold_metadata(info: Mapping) -> dict[str, str]:
    """ONNX metadata of a k-fold dataset's model (empty without k-fold): which fold it holds out, the seed of the
    fold assignment and the per-sample fingerprints of the held-out ids that the scan checks before scoring."""
    if info.get("kfold") is None:
        return {}
    return {key: info[key] if isinstance(info[key], str) else json.dumps(info[key], sort_keys=True)
            for key in FOLD_METADATA}


def model_metadata(
    feature_names: Sequence[str], mass_region: str, score_threshold: float, training_data_hash: str, model_type: str,
    fold_info: Mapping | None = None,
) -> dict[str, str]:
    """The metadata_props written into every exported model (plus :func:`fold_metadata` of ``fold_info``)."""
    return {
        **fold_metadata(fold_info or {}),
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
                     native_scores: np.ndarray) -> float:
    """Maximum |onnxruntime - native| score over ``features`` (one array, or the input blocks in order)."""
    onnx_scores = OnnxModel(onnx_path).predict(features)
    return float(np.max(np.abs(onnx_scores - native_scores))) if len(onnx_scores) else 0.0


def check_parity(
    onnx_path: str | Path, features: np.ndarray | Sequence[np.ndarray], native_scores: np.ndarray,
    tolerance: float = DEFAULT_PARITY_TOLERANCE,
) -> float:
    """Return the max deviation; raise ExportParityError above ``tolerance``."""
    deviation = parity_deviation(onnx_path, features, native_scores)
    logger.info("%s: onnxruntime vs native max |dscore| = %.3g", onnx_path, deviation)
    if not deviation <= tolerance:
        raise ExportParityError(f"{onnx_path}: ONNX and native scores differ by {deviation:.3g} > {tolerance:.1g}")
    return deviation


def block_metadata(standardisations: Sequence[Standardisation]) -> dict[str, str]:
    """``input_blocks`` metadata of a multi-block model: per ONNX input its name, feature names, padding value
    and slot count (``susyscan.training.onnx_model.InputBlock``); empty for a single-block model."""
    if len(standardisations) == 1:
        return {}
    blocks = [{"name": s.name, "feature_names": list(s.feature_names), "padding": s.padding, "slots": s.slots}
              for s in standardisations]
    return {"input_blocks": json.dumps(blocks)}


def export_nn(
    model: nn.Module | Sequence[nn.Module], standardisation: Standardisation | Sequence[Standardisation],
    metadata: dict[str, str], path: str | Path,
) -> None:
    """Export the network (any model-factory module, or the members of an ensemble) with the standardisation of
    each input block held in the graph; a multi-block model's blocks are described in ``input_blocks``."""
    blocks = [standardisation] if isinstance(standardisation, Standardisation) else list(standardisation)
    write_onnx(nn_graph(model, blocks), {**metadata, **block_metadata(blocks)}, path)


def export_bdt(booster: xgb.Booster, n_features: int, metadata: dict[str, str], path: str | Path) -> None:
    """Export the xgboost booster as an ai.onnx.ml tree ensemble (raw features in)."""
    write_onnx(xgb_graph(booster, n_features), metadata, path)
