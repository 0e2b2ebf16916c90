"""Snakemake script: one event file -> feature CSV + chunk cutflow JSON (susyscan.analysis.select)."""

from susyscan.analysis.select import select_features
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
select_features(
    events_path=snakemake.input.events,
    analysis_config=snakemake.input.analysis_config,
    features_out=snakemake.output.features,
    cutflow_out=snakemake.output.cutflow,
    cut_overrides=dict(snakemake.params.get("cut_overrides", None) or {}),
)
