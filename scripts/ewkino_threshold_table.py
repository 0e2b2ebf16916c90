"""Snakemake script: compare the significance tables of the 1 GeV and 10 GeV models (paired-bootstrap ratio error)."""

from susyscan.analyses.ewkino.stages import run_threshold_table
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
run_threshold_table(
    snakemake.input.low,  # noqa: F821
    snakemake.input.high,  # noqa: F821
    snakemake.output.csv,  # noqa: F821
    snakemake.output.md,  # noqa: F821
    snakemake.input.get("low_scores"),  # noqa: F821
    snakemake.input.get("high_scores"),  # noqa: F821
    int(snakemake.params.get("n_boot", 400)),  # noqa: F821
    int(snakemake.params.get("seed", 1)),  # noqa: F821
)
