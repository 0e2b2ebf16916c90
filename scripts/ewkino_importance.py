"""Snakemake script: permutation importance of the ewkino network inputs (input model: model.pt of kfold 1, or the k
fold ONNX models, scoring out of fold)."""

import torch

from susyscan.analyses.ewkino.stages import run_importance
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
torch.set_num_threads(max(1, int(snakemake.threads)))  # noqa: F821
model = snakemake.input.model  # noqa: F821
run_importance(
    model if isinstance(model, str) else list(model),
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.csv,  # noqa: F821
    snakemake.output.plot,  # noqa: F821
    list(snakemake.params.train_samples),  # noqa: F821
    int(snakemake.params.get("seed", 0)),  # noqa: F821
)
