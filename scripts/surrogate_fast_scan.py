"""Snakemake script: hard-process-only generation + surrogate on the dense grid; yields nominal and +-uncertainty."""

import pandas as pd

from susyscan.atomic import write_csv_atomic
from susyscan.logutil import script_logging
from susyscan.surrogate.fastscan import dense_grid, run_fast_scan
from susyscan.surrogate.model import SurrogateModel

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
fast = params.fast_scan
points = dense_grid(fast["m_parent"], fast["m_lsp"], float(fast["min_mass_gap"]))
regions = list(pd.read_csv(snakemake.input.background)["region"].drop_duplicates())  # the scan's regions
u = SurrogateModel(snakemake.input.model).contract.uncertainty or 0.0
tables, domain = run_fast_scan(snakemake.input.model, points, str(params.process), int(fast["n_events"]),
                               int(params.seed), regions, float(params.sqrt_s_gev),
                               scales={"nominal": 1.0, "down": 1.0 - u, "up": 1.0 + u},
                               max_outside_fraction=float(params.max_outside_fraction))
for key, table in tables.items():
    write_csv_atomic(table, snakemake.output[key])
write_csv_atomic(domain, snakemake.output.domain)
