"""Snakemake script: background yields per signal region and process (plus totals).

Every background event enters with its full weight: ML regions score it out-of-fold (the region's ``models``
are the k fold models), cut-and-count regions use it directly. ``params.weight_scales`` ({sample: factor})
remains for callers that pass a subset of the events. ``params.tables`` ({sample: model-input tables}) when the
models read array blocks (spec scan_variant), else empty (the model inputs are ``params.feature_names`` columns).
"""

from susyscan.logutil import script_logging
from susyscan.scan.regions import with_default_threshold
from susyscan.scan.yields import compute_background_yields

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
features = snakemake.input.features
features = [features] if isinstance(features, str) else list(features)
tables = {str(sample): list(paths) for sample, paths in dict(getattr(params, "tables", None) or {}).items()}
compute_background_yields(
    features,
    snakemake.output.yields,
    with_default_threshold(list(params.regions), getattr(params, "score_threshold", None)),
    batch_size=int(getattr(params, "batch_size", 4096)),
    feature_names=list(params.feature_names),
    weight_scales=dict(getattr(params, "weight_scales", None) or {}),
    input_paths=tables or None,
)
