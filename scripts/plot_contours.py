"""Snakemake script: per luminosity the headline limit figure and the per-region detail figure, and the
mass-reach table. ``params.methods`` ([(curve, region-name prefixes)], e.g. the stau networks' DNN / DNN+SIGN /
cut and count) sets the curves, coloured in order; empty: the analysis spec's."""

from pathlib import Path

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging
from susyscan.plotting.contours import plot_contours
from susyscan.plotting.labels import methods_from_families

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
regions = getattr(params, "regions", None)
spec = load_spec(snakemake.input.analysis_config)  # labels and curve families from the analysis spec
methods = list(methods_from_families(getattr(params, "methods", None) or [])) or None
plot_contours(
    snakemake.input.cls,
    Path(snakemake.output.plots[0]).parent,
    snakemake.output.mass_reach,
    lumis=[float(x) for x in params.lumis],
    regions=list(regions) if regions else None,
    level=float(getattr(params, "cls_level", 0.05)),
    formats=list(getattr(params, "formats", ["pdf", "png"])),
    analysis=spec,
    sqrt_s_tev=float(getattr(params, "sqrt_s_gev", 13000.0)) / 1000.0,
    methods=methods,
)
