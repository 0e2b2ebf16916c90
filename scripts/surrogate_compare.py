"""Snakemake script: fast-scan contours overlaid on the full chain's, and the point-by-point agreement table."""

import json

import pandas as pd

from susyscan.atomic import write_csv_atomic, write_text_atomic
from susyscan.logutil import script_logging
from susyscan.plotting.contours import read_cls
from susyscan.surrogate.compare import agreement_table, overlay_plot, summary_markdown

snakemake = globals()["snakemake"]
script_logging(snakemake)
params, inp, out = snakemake.params, snakemake.input, snakemake.output
full = read_cls(inp.full)
fast = {key: read_cls(inp[key]) for key in ("nominal", "down", "up")}
fast_yields = pd.read_csv(inp.yields)
with open(inp.uncertainty) as handle:
    u = json.load(handle)["surrogate"]["rms"]
tables = []
for lumi in params.lumis:
    overlay_plot(full, fast, float(lumi), str(params.scenario), u, [p for p in out.plots if f"_{float(lumi):g}ifb." in p],
                 level=float(params.level), fast_yields=fast_yields)
    tables.append(agreement_table(full, fast, float(lumi), str(params.scenario), level=float(params.level),
                                  fast_yields=fast_yields))
table = pd.concat(tables, ignore_index=True)
write_csv_atomic(table, out.agreement)
write_text_atomic(summary_markdown(table, u), out.summary)
