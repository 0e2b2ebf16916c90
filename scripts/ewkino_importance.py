"""Snakemake script: permutation importance of the ewkino network inputs."""

import torch

from susyscan.analyses.ewkino.stages import run_importance
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
torch.set_num_threads(max(1, int(snakemake.threads)))  # noqa: F821
run_importance(
    snakemake.input.model,  # noqa: F821
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.csv,  # noqa: F821
    snakemake.output.plot,  # noqa: F821
    list(snakemake.params.train_samples),  # noqa: F821
    int(snakemake.params.get("seed", 0)),  # noqa: F821
)
