"""Snakemake script: network vs baseline S/sqrt(S+B) per mass point (one soft-particle threshold; input onnx: the
model of kfold 1, or the k fold models, whose out-of-fold scores are used)."""

from susyscan.analyses.ewkino.stages import run_significance
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
params = snakemake.params  # noqa: F821
onnx = snakemake.input.onnx  # noqa: F821  # one path (kfold 1) or the k fold models in fold order
run_significance(
    onnx if isinstance(onnx, str) else list(onnx),
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.table,  # noqa: F821
    [float(x) for x in params.luminosities_ifb],
    params.get("score_cut"),
    float(params.get("min_background", 1.0)),
    snakemake.output.get("scores"),  # noqa: F821
)
