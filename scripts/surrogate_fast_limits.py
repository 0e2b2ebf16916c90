"""Snakemake script: expected CLs of the fast-scan yields (one variant) with the full chain's background."""

from susyscan.logutil import script_logging
from susyscan.stats.limits import compute_limits

snakemake = globals()["snakemake"]
script_logging(snakemake)
stats = snakemake.params.statistics
compute_limits([snakemake.input.yields], snakemake.input.background, snakemake.output.cls,
               lumis=[float(v) for v in snakemake.params.lumis],
               scenarios={str(k): float(v) for k, v in dict(stats["background_uncertainty"]).items()},
               modifier=str(stats["background_modifier"]), signal_mc_stat=bool(stats["signal_mc_stat"]),
               background_mc_stat=bool(stats["background_mc_stat"]))
