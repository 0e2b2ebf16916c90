"""Snakemake script: stau contours with one curve per method (DNN, DNN+SIGN, cut and count; each its best
region per point) at every luminosity, and the mass-reach table."""

from pathlib import Path

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging
from susyscan.plotting.contours import plot_contours
from susyscan.plotting.labels import METHOD_COLOURS, Method

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
spec = load_spec(snakemake.input.analysis_config)
methods = [Method("DNN", ("DNN ",), METHOD_COLOURS[0]), Method("DNN+SIGN", ("DNN+SIGN ",), METHOD_COLOURS[1])]
if params.flag_labels:
    methods.append(Method("Cut and count", tuple(dict(params.flag_labels).values()), METHOD_COLOURS[2]))
plot_contours(snakemake.input.cls, Path(snakemake.output.plots[0]).parent, snakemake.output.mass_reach,
              lumis=[float(x) for x in params.lumis], formats=list(params.formats), analysis=spec,
              sqrt_s_tev=float(params.sqrt_s_gev) / 1000.0, methods=methods)
