"""Snakemake script: one part of the CLs table (a batch of grid points at one luminosity), merged by
scripts/merge_limits.py."""

from susyscan.logutil import script_logging
from susyscan.stats.limits import compute_limits_part

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
compute_limits_part(
    list(snakemake.input.yields),
    snakemake.input.background,
    snakemake.output.part,
    lumi=float(params.lumi),
    scenarios={str(k): float(v) for k, v in dict(params.scenarios).items()},
    modifier=str(params.bkg_modifier),
    signal_mc_stat=bool(params.signal_mc_stat),
    upper_limits=bool(params.upper_limits),
    observed=params.observed or None,
    background_mc_stat=bool(params.background_mc_stat),
    envelopes_path=(snakemake.input.get("envelopes") or None) if hasattr(snakemake.input, "get") else None,
    envelope_scenarios=list(getattr(params, "envelope_scenarios", None) or []),
    scale_modifier=str(getattr(params, "scale_modifier", None) or "histosys"),
)
