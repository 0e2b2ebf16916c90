"""Snakemake script: permutation importance of the ewkino network inputs (input onnx: the model of kfold 1, scoring
its test split, or the k fold models, scoring out of fold)."""

from susyscan.analyses.ewkino.stages import run_importance
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
onnx = snakemake.input.onnx  # noqa: F821  # one path (kfold 1) or the k fold models in fold order
run_importance(
    onnx if isinstance(onnx, str) else list(onnx),
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.csv,  # noqa: F821
    snakemake.output.plot,  # noqa: F821
    int(snakemake.params.get("seed", 0)),  # noqa: F821
)
