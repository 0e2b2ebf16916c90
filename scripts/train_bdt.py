"""Snakemake script: train and evaluate the xgboost BDT of one mass region (susyscan.training.stages.run_bdt)."""

from susyscan.logutil import script_logging
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import train_bdt_from_files

snakemake = globals()["snakemake"]
script_logging(snakemake)
train_bdt_from_files(
    {key: getattr(snakemake.input, key) for key in ("train", "val", "test", "meta")},
    ModelOutputs.from_mapping(snakemake.output),
    hyper=dict(snakemake.params.hyper),
    seed=int(snakemake.params.seed),
    threads=max(1, int(snakemake.threads)),
)
