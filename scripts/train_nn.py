"""Snakemake script: train and evaluate the NN of one mass region (susyscan.training.stages.run_nn)."""

import torch

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import train_nn_from_files

snakemake = globals()["snakemake"]
script_logging(snakemake)
torch.set_num_threads(max(1, int(snakemake.threads)))
train_nn_from_files(
    {key: getattr(snakemake.input, key) for key in ("train", "val", "test", "meta")},
    ModelOutputs.from_mapping(snakemake.output),
    hyper=dict(snakemake.params.hyper),
    seed=int(snakemake.params.seed),
    model_factory=load_spec(snakemake.input.analysis_config).model_factory,
)
