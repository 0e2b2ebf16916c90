"""Snakemake script: export the ewkino ensemble to ONNX and check parity with torch."""

from susyscan.analyses.ewkino.stages import run_export
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
run_export(
    snakemake.input.model,  # noqa: F821
    snakemake.output.onnx,  # noqa: F821
    list(snakemake.input.inputs),  # noqa: F821
    snakemake.output.parity,  # noqa: F821
    score_threshold=float(snakemake.params.score_threshold),  # noqa: F821
)
