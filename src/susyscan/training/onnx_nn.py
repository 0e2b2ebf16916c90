"""ONNX export of the torch networks through ``torch.onnx.export``: a module holding the standardisation of each
input block as buffers (raw blocks -> score), so the graph is torch's own, not built node by node."""

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

    ``members``: modules of a model factory (standardised blocks, then the slot masks -> logits)."""

    def __init__(self, members: nn.Module | Sequence[nn.Module],
                 standardisations: Standardisation | Sequence[Standardisation]) -> None:
        super().__init__()
        members = [members] if isinstance(members, nn.Module) else list(members)
        blocks = [standardisations] if isinstance(standardisations, Standardisation) else list(standardisations)
        self.members = nn.ModuleList(members)
        self.blocks = nn.ModuleList(BlockStandardiser(s) for s in blocks)

    def forward(self, *blocks: torch.Tensor) -> torch.Tensor:
        """Scores in [0, 1], one per event."""
        scaled, masks = [], []
        for standardiser, block in zip(self.blocks, blocks, strict=True):
            values, mask = standardiser(block)
            scaled.append(values)
            if mask is not None:
                masks.append(mask)
        if len(self.members) == 1:
            return torch.sigmoid(self.members[0](*scaled, *masks)).reshape(-1)
        return torch.sigmoid(torch.stack([member(*scaled, *masks) for member in self.members])).mean(dim=0)


def example_block(standardisation: Standardisation, n: int = 2) -> torch.Tensor:
    """A float32 example of a block for the export trace (padding in the slots of a padded slot block)."""
    shape = (n, len(standardisation.mean)) if standardisation.slots is None else (
        n, standardisation.slots, len(standardisation.mean))
    fill = standardisation.padding if standardisation.padding is not None and standardisation.slots else 0.0
    return torch.full(shape, float(fill), dtype=torch.float32)


def nn_graph(members: nn.Module | Sequence[nn.Module],
             standardisations: Standardisation | Sequence[Standardisation]) -> onnx.ModelProto:
    """The ONNX model of :class:`ScoringModule`: one float32 input per block, named after it (``features`` (N,
    n_inputs) for a single-block model), output ``score`` (N,)."""
    module = ScoringModule(members, standardisations).to("cpu").eval()
    blocks = [standardisations] if isinstance(standardisations, Standardisation) else list(standardisations)
    names = [block.name for block in blocks]
    example = tuple(example_block(block) for block in blocks)
    buffer = io.BytesIO()
    # dynamo=False: the TorchScript exporter (the dynamo one needs onnxscript, not a dependency); torch marks it and
    # its helpers deprecated, which is not ours to act on here, so only DeprecationWarnings raised inside the export
    # are silenced. The parity check guards the result.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's own deprecation notices
        torch.onnx.export(module, example, buffer,  # type: ignore[arg-type]  # BytesIO is accepted
                          dynamo=False, opset_version=ONNX_OPSET, input_names=names, output_names=[OUTPUT_NAME],
                          dynamic_axes={**{name: {0: "N"} for name in names}, OUTPUT_NAME: {0: "N"}})
    exported = onnx.load_from_string(buffer.getvalue())
    exported.producer_name = "susyscan"
    return exported
