"""Snakemake script: per region, luminosity and scenario a background-only pyhf workspace and a signal patchset."""

from susyscan.logutil import script_logging
from susyscan.stats.workspaces import write_workspaces

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
write_workspaces(
    list(snakemake.input.yields),
    snakemake.input.background,
    snakemake.output.workspaces,
    lumis=[float(x) for x in params.lumis],
    scenarios={str(k): float(v) for k, v in dict(params.scenarios).items()},
    modifier=str(params.bkg_modifier),
    signal_mc_stat=bool(params.signal_mc_stat),
    observed=params.observed or None,
    analysis=str(params.analysis),
    background_mc_stat=bool(params.background_mc_stat),
    envelopes_path=(snakemake.input.get("envelopes") or None) if hasattr(snakemake.input, "get") else None,
    envelope_scenarios=list(getattr(params, "envelope_scenarios", None) or []),
    scale_modifier=str(getattr(params, "scale_modifier", None) or "histosys"),
)
