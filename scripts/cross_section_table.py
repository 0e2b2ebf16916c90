"""Snakemake adapter: generator LO vs NLO+NLL normalisation cross section per signal point."""

from susyscan.generation.kfactor import k_factor_table_from_events
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
k_factor_table_from_events(list(snakemake.input.events), snakemake.output.csv)
