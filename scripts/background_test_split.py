"""Snakemake adapter: background rows of the held-out test split, weights scaled to the full samples."""

from susyscan.logutil import script_logging
from susyscan.training.dataset import write_background_test_split

snakemake = globals()["snakemake"]
script_logging(snakemake)
write_background_test_split(snakemake.input.test, snakemake.output.background)
