"""Snakemake script: train and evaluate the NN of one mass region (susyscan.training.stages.run_nn), or the
analysis' own NN stage when its spec has one (spec.train_nn, e.g. ewkino's ensemble through run_nn)."""

import torch

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import train_nn_from_files

snakemake = globals()["snakemake"]
script_logging(snakemake)
torch.set_num_threads(max(1, int(snakemake.threads)))
spec = load_spec(snakemake.input.analysis_config)
paths = {key: getattr(snakemake.input, key) for key in ("train", "val", "test", "meta")}
outputs = ModelOutputs.from_mapping(snakemake.output)
if spec.train_nn is not None:
    spec.train_nn(paths, outputs, dict(snakemake.params.hyper))
else:
    train_nn_from_files(paths, outputs, hyper=dict(snakemake.params.hyper), seed=int(snakemake.params.seed),
                        model_factory=spec.model_factory)
