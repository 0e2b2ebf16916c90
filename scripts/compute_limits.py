"""Snakemake script: pyhf CLs table over the grid, plus background-only workspaces and signal patchsets."""

from susyscan.logutil import script_logging
from susyscan.stats.limits import compute_limits
from susyscan.stats.workspaces import write_workspaces

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
common = dict(
    lumis=[float(x) for x in params.lumis],
    scenarios={str(k): float(v) for k, v in dict(params.scenarios).items()},
    modifier=str(getattr(params, "bkg_modifier", "shapesys")),
    signal_mc_stat=bool(getattr(params, "signal_mc_stat", True)),
    observed=getattr(params, "observed", None) or None,
    zero_bkg_floor_pb=getattr(params, "zero_bkg_floor_pb", None),
)
compute_limits(list(snakemake.input.yields), snakemake.input.background, snakemake.output.cls,
               upper_limits=bool(getattr(params, "upper_limits", True)), **common)
if hasattr(snakemake.output, "workspaces"):
    write_workspaces(list(snakemake.input.yields), snakemake.input.background, snakemake.output.workspaces,
                     analysis=str(getattr(params, "analysis", "smuon")), **common)
