"""Snakemake script: one event file and input variant -> the analysis' model-input table (.npz) + cutflow JSON
(its spec's ``write_inputs``, susyscan.analyses.spec)."""

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
spec = load_spec(snakemake.input.analysis_config)
if spec.write_inputs is None:
    raise ValueError(f"analysis {spec.name!r} ({snakemake.input.analysis_config}) writes no model-input tables")
spec.write_inputs(
    str(snakemake.input.events),
    str(snakemake.input.analysis_config),
    str(snakemake.wildcards.variant),
    str(snakemake.output.inputs),
    str(snakemake.output.cutflow),
)
