"""Snakemake script: one event file -> ewkino network inputs (.npz) + cutflow (.json)."""

from susyscan.analyses.ewkino.prepare import prepare_chunk
from susyscan.logutil import script_logging

script_logging(snakemake)  # noqa: F821
prepare_chunk(
    snakemake.input.events,  # noqa: F821
    snakemake.input.analysis_config,  # noqa: F821
    snakemake.output.inputs,  # noqa: F821
    snakemake.output.cutflow,  # noqa: F821
    float(snakemake.params.pfcand_pt_min),  # noqa: F821
    snakemake.params.get("max_candidates"),  # noqa: F821
)
