"""Snakemake script: merge the CLs parts into cls.csv (canonical row order, best-region rows)."""

from susyscan.logutil import script_logging
from susyscan.stats.limits import merge_limits

snakemake = globals()["snakemake"]
script_logging(snakemake)
merge_limits(list(snakemake.input.parts), snakemake.output.cls)
