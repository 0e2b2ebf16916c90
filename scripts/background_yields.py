"""Snakemake script: background yields per signal region and process (plus totals).

``params.weight_scales`` ({sample: factor}) or ``params.test_fraction`` (every file is the held-out
test split: weights x 1/test_fraction) correct for backgrounds used in training.
"""

from susyscan.logutil import script_logging
from susyscan.scan.regions import with_default_threshold
from susyscan.scan.yields import compute_background_yields

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
features = snakemake.input.features
features = [features] if isinstance(features, str) else list(features)
scales = dict(getattr(params, "weight_scales", None) or {})
test_fraction = getattr(params, "test_fraction", None)
if not scales and test_fraction:
    scales = {str(path): 1.0 / float(test_fraction) for path in features}
compute_background_yields(
    features,
    snakemake.output.yields,
    with_default_threshold(list(params.regions), getattr(params, "score_threshold", None)),
    batch_size=int(getattr(params, "batch_size", 4096)),
    weight_scales=scales,
)
