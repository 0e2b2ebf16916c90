"""Export the ensemble as one ONNX graph (inputs ``highlevel`` [N, F], ``pfcands`` [N, M, C]; output ``score`` [N])."""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from susyscan.analyses.ewkino.model import Ensemble
from susyscan.errors import ModelMetadataError
from susyscan.training.export import DEFAULT_PARITY_TOLERANCE, ExportParityError, write_onnx
from susyscan.training.onnx_model import read_metadata

__all__ = ["MODEL_TYPE", "OnnxEnsemble", "export_onnx", "parity_check", "read_metadata"]

logger = logging.getLogger(__name__)

MODEL_TYPE = "ewkino_deepsets_ensemble"
OPSET = 17


def export_onnx(model: Ensemble, info: dict[str, Any], path: str | Path, extra_metadata: dict[str, str] | None = None) -> None:
    """Write ``model`` (raw inputs, padding mask derived in-graph) with metadata_props (atomically)."""
    model = model.to("cpu").eval()
    n_hl, n_pf, n_max = info["n_highlevel"], info["n_pfcand"], info["max_candidates"]
    example = (torch.zeros(2, n_hl), torch.full((2, n_max, n_pf), float(info["padding_value"])))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, example, buffer, dynamo=False, opset_version=OPSET,  # type: ignore[arg-type]
                          input_names=["highlevel", "pfcands"], output_names=["score"],
                          dynamic_axes={"highlevel": {0: "n"}, "pfcands": {0: "n"}, "score": {0: "n"}})
    graph = onnx.load_from_string(buffer.getvalue())
    metadata = {
        "feature_names": json.dumps(list(info["feature_names"])),
        "pfcand_feature_names": json.dumps(list(info["pfcand_feature_names"])),
        "max_candidates": str(int(n_max)),
        "padding_value": repr(float(info["padding_value"])),
        "sentinel": repr(float(info["sentinel"])),
        "pfcand_pt_min": repr(float(info["pfcand_pt_min"])),
        "n_members": str(int(info["n_members"])),
        "model_type": MODEL_TYPE,
        "training_split": json.dumps(list(info.get("split", []))),
        "training_seed": str(info.get("seed", "")),
        # the budget M and, on the training inputs, the multiplicity quantiles and the fraction of truncated events
        "candidate_budget": json.dumps(info.get("candidate_budget", {}), sort_keys=True),
        **(extra_metadata or {}),
    }
    write_onnx(graph, metadata, path)  # shared: metadata, onnx.checker (full check), atomic save
    logger.info("wrote %s (%d members, M=%d, pT_min=%g)", path, info["n_members"], n_max, info["pfcand_pt_min"])


class OnnxEnsemble:
    """onnxruntime session with checked metadata."""

    def __init__(self, path: str | Path, feature_names: list[str] | None = None,
                 pfcand_feature_names: list[str] | None = None, max_candidates: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.metadata = read_metadata(path)
        required = ("feature_names", "pfcand_feature_names", "max_candidates", "padding_value", "pfcand_pt_min",
                    "n_members", "model_type")
        missing = [k for k in required if k not in self.metadata]
        if missing:
            raise ModelMetadataError(f"{path}: ONNX metadata lacks {missing}")
        self.feature_names = json.loads(self.metadata["feature_names"])
        self.pfcand_feature_names = json.loads(self.metadata["pfcand_feature_names"])
        self.max_candidates = int(self.metadata["max_candidates"])
        self.pfcand_pt_min = float(self.metadata["pfcand_pt_min"])
        for name, want, have in (("feature_names", feature_names, self.feature_names),
                                 ("pfcand_feature_names", pfcand_feature_names, self.pfcand_feature_names),
                                 ("max_candidates", max_candidates, self.max_candidates)):
            if want is not None and (list(want) if isinstance(want, list) else want) != have:
                raise ModelMetadataError(f"{path}: {name} mismatch: model has {have}, caller expects {want}")
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def predict(self, highlevel: np.ndarray, pfcands: np.ndarray, batch: int = 65536) -> np.ndarray:
        """Scores [N] (float64)."""
        out = [self.session.run(["score"], {"highlevel": highlevel[s:s + batch].astype(np.float32),
                                            "pfcands": pfcands[s:s + batch].astype(np.float32)})[0]
               for s in range(0, len(highlevel), batch)]
        return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def parity_check(model: Ensemble, onnx_path: str | Path, highlevel: np.ndarray, pfcands: np.ndarray,
                 atol: float = DEFAULT_PARITY_TOLERANCE) -> float:
    """Max |torch - onnxruntime| on the given inputs; raises the shared ExportParityError above ``atol``."""
    with torch.no_grad():
        reference = model.eval()(torch.as_tensor(highlevel), torch.as_tensor(pfcands)).numpy().astype(np.float64)
    scores = OnnxEnsemble(onnx_path).predict(highlevel, pfcands)
    diff = float(np.max(np.abs(reference - scores))) if len(scores) else 0.0
    if diff > atol:
        raise ExportParityError(f"{onnx_path}: onnxruntime differs from torch by {diff:.3g} > {atol}")
    logger.info("ONNX parity on %d events: max |diff| = %.3g", len(scores), diff)
    return diff
