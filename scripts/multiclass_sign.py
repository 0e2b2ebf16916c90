"""Snakemake script: the SIGN reference bank and the k fold DNN+SIGN models of one category of an analysis."""

from pathlib import Path

import faiss
import torch

from susyscan.logutil import script_logging
from susyscan.training.multiclass_run import run_sign

snakemake = globals()["snakemake"]
script_logging(snakemake)
torch.set_num_threads(snakemake.threads)
faiss.omp_set_num_threads(snakemake.threads)
params = snakemake.params
run_sign(list(snakemake.input.features), snakemake.input.importance, Path(snakemake.output.scores).parent,
         dict(params.ml), snakemake.wildcards.category, list(params.category_range), list(params.features),
         list(params.train_samples))
