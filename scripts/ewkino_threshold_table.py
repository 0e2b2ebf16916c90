"""Snakemake script: compare the significance tables of the 1 GeV and 10 GeV models."""

from susyscan.analyses.ewkino.stages import run_threshold_table
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
run_threshold_table(
    snakemake.input.low,  # noqa: F821
    snakemake.input.high,  # noqa: F821
    snakemake.output.csv,  # noqa: F821
    snakemake.output.md,  # noqa: F821
)
