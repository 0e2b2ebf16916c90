"""ONNX export of the torch MLP through ``torch.onnx.export``: a module holding the standardisation as buffers
(raw features -> score), so the graph is torch's own, not built node by node."""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import torch
from torch import nn

from susyscan.training.standardise import Standardisation

ONNX_OPSET = 17
INPUT_NAME = "features"
OUTPUT_NAME = "score"


class ScoringModule(nn.Module):
    """Raw features -> sigmoid(model((x - mean) / std)), shape (N,); the standardisation is held as buffers.

    ``model``: any module of a model factory (standardised features -> logits)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, model: nn.Module, standardisation: Standardisation) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.as_tensor(standardisation.mean.astype(np.float32)))
        self.register_buffer("std", torch.as_tensor(standardisation.std.astype(np.float32)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores in [0, 1], one per row."""
        return torch.sigmoid(self.model((features - self.mean) / self.std)).reshape(-1)


def nn_graph(model: nn.Module, standardisation: Standardisation) -> onnx.ModelProto:
    """The ONNX model of :class:`ScoringModule` (input ``features`` (N, n_inputs) float32, output ``score`` (N,))."""
    module = ScoringModule(model, standardisation).to("cpu").eval()
    example = torch.zeros((2, len(standardisation.mean)), dtype=torch.float32)
    buffer = io.BytesIO()
    # dynamo=False: the TorchScript exporter (the dynamo one needs onnxscript, not a dependency); torch marks it and
    # its helpers deprecated, which is not ours to act on here, so only DeprecationWarnings raised inside the export
    # are silenced. The parity check guards the result.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's own deprecation notices
        torch.onnx.export(module, (example,), buffer,  # type: ignore[arg-type]  # BytesIO is accepted
                          dynamo=False, opset_version=ONNX_OPSET, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}})
    exported = onnx.load_from_string(buffer.getvalue())
    exported.producer_name = "susyscan"
    return exported
