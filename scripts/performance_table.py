"""Snakemake adapter: out-of-fold evaluation of one (region, model) - metrics.json, the paper's performance
table (expected signal/background passing the score cut), ROC and score plots (susyscan.training.stages)."""

from susyscan.logutil import script_logging
from susyscan.training.stages import OutOfFoldOutputs, out_of_fold_evaluation

snakemake = globals()["snakemake"]
script_logging(snakemake)
folds = range(int(snakemake.params.kfold))
out_of_fold_evaluation(
    [getattr(snakemake.input, f"onnx_{fold}") for fold in folds],
    [{"heldout": getattr(snakemake.input, f"heldout_{fold}"), "meta": getattr(snakemake.input, f"meta_{fold}")}
     for fold in folds],
    OutOfFoldOutputs.from_mapping(snakemake.output),
    float(snakemake.params.score_threshold),
    float(snakemake.params.luminosity_ifb),
    fold_metrics=[getattr(snakemake.input, f"metrics_{fold}") for fold in folds],
)
