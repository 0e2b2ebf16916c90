"""Snakemake script: merge a sample's chunk feature CSVs and add weight_pb (susyscan.analysis.merge)."""

from susyscan.analysis.merge import merge_features
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
merge_features(
    feature_paths=list(snakemake.input.features),
    cutflow_paths=list(snakemake.input.cutflows),
    out_path=snakemake.output.merged,
    features=list(snakemake.params.features),
)
