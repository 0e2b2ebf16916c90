"""ONNX export of the torch networks through ``torch.onnx.export``: a module holding the standardisation of each
input block as buffers (raw blocks -> score), so the graph is torch's own, not built node by node.

Two kinds of network: a binary classifier (one logit; output ``score``, its sigmoid) and a multiclass one (one
logit per class, ``signal_index`` set; outputs ``score``, the softmax probability of the signal class, and
``probabilities``, all class probabilities (N, K)). ``score`` is the first output of both, so the scan's
``OnnxModel.predict`` reads either."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np
import onnx
import torch
from torch import nn

from susyscan.training.standardise import Standardisation

ONNX_OPSET = 17
INPUT_NAME = "features"
OUTPUT_NAME = "score"
#: The second output of a multiclass graph: class probabilities (N, K) in the order of the ``classes`` metadata.
PROBABILITIES_NAME = "probabilities"


class BlockStandardiser(nn.Module):
    """One input block: (x - mean) / std in float32 with missing entries / slots set to 0; returns the slot mask
    of a padded slot block (None otherwise). Same arithmetic as ``Standardisation.apply(x, np.float32)``."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, standardisation: Standardisation) -> None:
        super().__init__()
        self.padding = standardisation.padding
        self.slot_block = standardisation.slots is not None
        self.register_buffer("mean", torch.as_tensor(standardisation.mean.astype(np.float32)))
        self.register_buffer("std", torch.as_tensor(standardisation.std.astype(np.float32)))

    def forward(self, block: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(standardised block, slot mask or None)."""
        scaled = (block - self.mean) / self.std
        if self.padding is None:
            return scaled, None
        if self.slot_block:
            mask = block[..., 0] != self.padding
            return torch.where(mask.unsqueeze(-1), scaled, torch.zeros_like(scaled)), mask
        return torch.where(block == self.padding, torch.zeros_like(scaled), scaled), None


class ScoringModule(nn.Module):
    """Raw input blocks -> score (N,): sigmoid of the logits of the model, or the mean of the members' sigmoids
    for an ensemble; the standardisation of each block is held as buffers.

    With ``signal_index`` (a multiclass network, logits (N, K)): softmax instead of sigmoid (the mean of the
    members' softmax for an ensemble), and the outputs ``(probabilities[:, signal_index], probabilities)``.

    ``members``: modules of a model factory (standardised blocks, then the slot masks -> logits)."""

    def __init__(self, members: nn.Module | Sequence[nn.Module],
                 standardisations: Standardisation | Sequence[Standardisation], signal_index: int | None = None) -> None:
        super().__init__()
        members = [members] if isinstance(members, nn.Module) else list(members)
        blocks = [standardisations] if isinstance(standardisations, Standardisation) else list(standardisations)
        self.members = nn.ModuleList(members)
        self.blocks = nn.ModuleList(BlockStandardiser(s) for s in blocks)
        self.signal_index = None if signal_index is None else int(signal_index)

    def logits(self, *blocks: torch.Tensor) -> list[torch.Tensor]:
        """The logits of each member on the standardised blocks (and the slot masks of padded slot blocks)."""
        scaled, masks = [], []
        for standardiser, block in zip(self.blocks, blocks, strict=True):
            values, mask = standardiser(block)
            scaled.append(values)
            if mask is not None:
                masks.append(mask)
        return [member(*scaled, *masks) for member in self.members]

    def probabilities(self, *blocks: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, K) of a multiclass network: softmax of the logits (mean over the members)."""
        logits = self.logits(*blocks)
        if len(logits) == 1:
            return torch.softmax(logits[0], dim=1)
        return torch.stack([torch.softmax(values, dim=1) for values in logits]).mean(dim=0)

    def forward(self, *blocks: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Scores in [0, 1], one per event; multiclass: (signal-class probability (N,), probabilities (N, K))."""
        if self.signal_index is not None:
            probabilities = self.probabilities(*blocks)
            return probabilities[:, self.signal_index], probabilities
        logits = self.logits(*blocks)
        if len(logits) == 1:
            return torch.sigmoid(logits[0]).reshape(-1)
        return torch.sigmoid(torch.stack(logits)).mean(dim=0)


def example_block(standardisation: Standardisation, n: int = 2) -> torch.Tensor:
    """A float32 example of a block for the export trace (padding in the slots of a padded slot block)."""
    shape = (n, len(standardisation.mean)) if standardisation.slots is None else (
        n, standardisation.slots, len(standardisation.mean))
    fill = standardisation.padding if standardisation.padding is not None and standardisation.slots else 0.0
    return torch.full(shape, float(fill), dtype=torch.float32)


def nn_graph(members: nn.Module | Sequence[nn.Module],
             standardisations: Standardisation | Sequence[Standardisation],
             signal_index: int | None = None) -> onnx.ModelProto:
    """The ONNX model of :class:`ScoringModule`: one float32 input per block, named after it (``features`` (N,
    n_inputs) for a single-block model), output ``score`` (N,); with ``signal_index`` (multiclass) also
    ``probabilities`` (N, K)."""
    module = ScoringModule(members, standardisations, signal_index).to("cpu").eval()
    blocks = [standardisations] if isinstance(standardisations, Standardisation) else list(standardisations)
    names = [block.name for block in blocks]
    outputs = [OUTPUT_NAME] if signal_index is None else [OUTPUT_NAME, PROBABILITIES_NAME]
    example = tuple(example_block(block) for block in blocks)
    buffer = io.BytesIO()
    # dynamo=False: the TorchScript exporter (the dynamo one needs onnxscript, not a dependency); torch marks it and
    # its helpers deprecated, which is not ours to act on here, so only DeprecationWarnings raised inside the export
    # are silenced. The parity check guards the result.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's own deprecation notices
        torch.onnx.export(module, example, buffer,  # type: ignore[arg-type]  # BytesIO is accepted
                          dynamo=False, opset_version=ONNX_OPSET, input_names=names, output_names=outputs,
                          dynamic_axes={name: {0: "N"} for name in [*names, *outputs]})
    exported = onnx.load_from_string(buffer.getvalue())
    exported.producer_name = "susyscan"
    return exported
