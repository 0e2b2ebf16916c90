"""Snakemake script: PF-candidate multiplicity and truncated fraction of one threshold's inputs files."""

from susyscan.analyses.ewkino.stages import run_multiplicity
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
run_multiplicity(list(snakemake.input.inputs), snakemake.output.table)  # noqa: F821
