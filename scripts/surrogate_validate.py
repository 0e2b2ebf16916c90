"""Snakemake script: full-chain vs surrogate efficiency table, uncertainty from the held-out spread, calibration plot."""

import json

from susyscan.logutil import script_logging
from susyscan.surrogate.validate import run_validation

snakemake = globals()["snakemake"]
script_logging(snakemake)
with open(snakemake.input.parity) as handle:
    regions = json.load(handle)["regions"]
out = snakemake.output
run_validation(snakemake.input.predictions, regions, out.csv, out.md, out.uncertainty, out.calibration)
