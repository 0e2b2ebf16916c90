"""Snakemake script: scan-contract yield table of one signal point, or the background table.

params.kind is "signal" (output: yields/{point}.csv) or "background" (background_yields.csv).
"""

from susyscan.analyses.ewkino.stages import run_background_yields, run_point_yields
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
params = snakemake.params  # noqa: F821
run = run_point_yields if params.kind == "signal" else run_background_yields
run(
    snakemake.input.onnx,  # noqa: F821
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.yields,  # noqa: F821
    float(params.score_threshold),
    list(params.train_samples),
)
