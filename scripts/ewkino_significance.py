"""Snakemake script: network vs baseline S/sqrt(S+B) per mass point (one soft-particle threshold)."""

from susyscan.analyses.ewkino.stages import run_significance
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
params = snakemake.params  # noqa: F821
run_significance(
    snakemake.input.onnx,  # noqa: F821
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.table,  # noqa: F821
    [float(x) for x in params.luminosities_ifb],
    list(params.train_samples),
    params.get("score_cut"),
    float(params.get("min_background", 1.0)),
    snakemake.output.get("scores"),  # noqa: F821
)
