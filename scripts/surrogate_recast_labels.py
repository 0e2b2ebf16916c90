"""Snakemake script: truth features + recast outcome (selection, each signal region) per event of a sample."""

from susyscan.atomic import write_csv_atomic
from susyscan.logutil import script_logging
from susyscan.surrogate.recast_labels import sample_recast_labels

snakemake = globals()["snakemake"]
script_logging(snakemake)
inp = snakemake.input
table = sample_recast_labels(list(inp.truth), list(inp.events), inp.config, list(inp.counts))
write_csv_atomic(table, snakemake.output.labels)
