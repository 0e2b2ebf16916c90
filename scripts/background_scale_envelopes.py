"""Snakemake script: per region and background process with LHEF 3 scale weights, the nominal yield and the top
and bottom of its 7-point muR/muF envelope, from the per-event alternative weights (susyscan.scan.scale_envelope).

input:  features (merged background feature CSVs), events (event files of the ingested backgrounds), the models
params: regions, feature_names, score_threshold, batch_size, event_files ({sample: [event files]})
output: envelopes (CSV, susyscan.contracts.SCALE_ENVELOPE_COLUMNS)
"""

from susyscan.logutil import script_logging
from susyscan.scan.regions import with_default_threshold
from susyscan.scan.scale_envelope import compute_background_scale_envelopes

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
features = snakemake.input.features
compute_background_scale_envelopes(
    [features] if isinstance(features, str) else list(features),
    {str(k): list(v) for k, v in dict(params.event_files).items()},
    snakemake.output.envelopes,
    with_default_threshold(list(params.regions), getattr(params, "score_threshold", None)),
    batch_size=int(getattr(params, "batch_size", 4096)),
    feature_names=list(params.feature_names),
)
