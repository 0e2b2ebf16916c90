"""Snakemake script: expected CLs of the stau ML and cut-and-count regions (one job; the demo grid is small)."""

from susyscan.logutil import script_logging
from susyscan.stats.limits import compute_limits

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
compute_limits(
    list(snakemake.input.yields),
    snakemake.input.background,
    snakemake.output.cls,
    lumis=[float(x) for x in params.lumis],
    scenarios={str(k): float(v) for k, v in dict(params.scenarios).items()},
    modifier=str(params.bkg_modifier),
    signal_mc_stat=bool(params.signal_mc_stat),
    observed=None,
    background_mc_stat=bool(params.background_mc_stat),
)
