"""Snakemake script: process-level truth features of every event of one signal chunk (re-runs its generation)."""

from susyscan.atomic import write_csv_atomic
from susyscan.logutil import script_logging
from susyscan.surrogate.regenerate import chunk_truth_features

snakemake = globals()["snakemake"]
script_logging(snakemake)
write_csv_atomic(chunk_truth_features(snakemake.input.events, snakemake.wildcards.sample), snakemake.output.truth)
