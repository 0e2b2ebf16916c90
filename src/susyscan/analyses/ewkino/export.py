"""The ewkino ensemble's ONNX metadata and checks; graph, runtime and parity are the shared ones.

``susyscan.training.export.export_nn`` writes one graph for the ensemble (inputs ``highlevel`` [N, F] and
``pfcands`` [N, M, C], the slot mask derived in-graph from the padding value; output ``score`` [N], the mean of the
members' sigmoids), ``susyscan.training.onnx_model.OnnxModel`` runs it and ``check_parity`` compares it with torch.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from susyscan.analyses.ewkino.train import HIGHLEVEL, PFCANDS
from susyscan.errors import ModelMetadataError
from susyscan.training.export import model_metadata
from susyscan.training.onnx_model import OnnxModel

__all__ = ["MODEL_TYPE", "ewkino_metadata", "open_model", "pfcand_pt_min", "budget"]

logger = logging.getLogger(__name__)

MODEL_TYPE = "ewkino_deepsets_ensemble"


def ewkino_metadata(payload: dict[str, Any], score_threshold: float) -> dict[str, str]:
    """metadata_props of the ewkino ONNX model from its model.pt payload: the shared keys (feature names, mass
    region ``all``, score threshold of the scan's ``nn`` region, training-data hash, model type) and ewkino's (PF
    block, budget M, threshold, members, split, its scheme and seed of the training, candidate budget)."""
    return {
        **model_metadata(payload["feature_names"], payload["mass_region"], score_threshold,
                         payload["training_data_hash"], MODEL_TYPE),
        "pfcand_feature_names": json.dumps(list(payload["pfcand_feature_names"])),
        "max_candidates": str(int(payload["max_candidates"])),
        "padding_value": repr(float(payload["padding_value"])),
        "sentinel": repr(float(payload["sentinel"])),
        "pfcand_pt_min": repr(float(payload["pfcand_pt_min"])),
        "n_members": str(int(payload["n_members"])),
        "training_split": json.dumps(list(payload["split"])),
        "training_seed": str(payload["seed"]),
        "training_split_scheme": str(payload.get("split_scheme", "")),  # "": a model of the former hash split
        # the budget M and, on the training inputs, the multiplicity quantiles and the fraction of truncated events
        "candidate_budget": json.dumps(payload.get("candidate_budget", {}), sort_keys=True),
        "input": "raw input blocks highlevel [N, F] and pfcands [N, M, C], float32 (see input_blocks)",
    }


def open_model(path: str | Path, feature_names: list[str] | None = None, pfcand_feature_names: list[str] | None = None,
               max_candidates: int | None = None) -> OnnxModel:
    """The shared onnxruntime model of an ewkino ONNX file, refused when its metadata lack ewkino's keys or differ
    from the caller's feature lists or budget M."""
    model = OnnxModel(path)
    missing = [k for k in ("pfcand_pt_min", "n_members", "training_split", "training_seed") if k not in model.metadata]
    if missing or [b.name for b in model.blocks] != [HIGHLEVEL, PFCANDS]:
        raise ModelMetadataError(f"{path}: not an ewkino model (metadata lacks {missing}, inputs "
                                 f"{[b.name for b in model.blocks]})")
    expected = {name: list(names) for name, names in ((HIGHLEVEL, feature_names), (PFCANDS, pfcand_feature_names))
                if names is not None}
    model.check_features(expected)
    if max_candidates is not None and budget(model) != max_candidates:
        raise ModelMetadataError(f"{path}: max_candidates mismatch: model has {budget(model)}, caller expects "
                                 f"{max_candidates}")
    return model


def pfcand_pt_min(model: OnnxModel) -> float:
    """The PF-candidate threshold (GeV) the model was trained at."""
    return float(model.metadata["pfcand_pt_min"])


def budget(model: OnnxModel) -> int:
    """The candidate budget M (slots of the ``pfcands`` input)."""
    return int(model.block(PFCANDS).slots or 0)
