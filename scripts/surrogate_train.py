"""Snakemake script: per-region xgboost surrogate -> one ONNX model with the feature contract, parity check."""

from pathlib import Path

from susyscan.logutil import script_logging
from susyscan.surrogate.train import TrainSettings, run_training

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
settings = TrainSettings.from_config(params.settings, int(params.seed), threads=snakemake.threads)
run_training(list(snakemake.input.labels), Path(snakemake.output.model).parent, list(params.heldout_points),
             settings, with_isr=bool(params.settings["isr_features"]),
             compare_isr=bool(params.settings["compare_isr"]), analysis=str(params.analysis))
