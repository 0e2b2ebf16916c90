"""Snakemake script: train the ewkino seed ensemble on the dataset of the shared dataset stage."""

import torch

from susyscan.analyses.ewkino.stages import run_training_from_dataset
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
torch.set_num_threads(max(1, int(snakemake.threads)))  # noqa: F821
run_training_from_dataset(
    {key: getattr(snakemake.input, key) for key in ("train", "val", "test", "meta")},  # noqa: F821
    snakemake.output.model,  # noqa: F821
    snakemake.output.history,  # noqa: F821
    snakemake.output.metrics,  # noqa: F821
    dict(snakemake.params.training),  # noqa: F821
)
