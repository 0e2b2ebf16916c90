"""Snakemake script: the k fold multiclass DNNs of one category of an analysis (susyscan.training.multiclass_run)."""

from pathlib import Path

import torch

from susyscan.logutil import script_logging
from susyscan.training.multiclass_run import run_dnn

snakemake = globals()["snakemake"]
script_logging(snakemake)
torch.set_num_threads(snakemake.threads)
params = snakemake.params
run_dnn(list(snakemake.input.features), Path(snakemake.output.scores).parent, dict(params.ml),
        snakemake.wildcards.category, list(params.category_range), list(params.features), list(params.train_samples))
