"""Snakemake script: signal-region yields of one grid point (ONNX inference + flag regions).

``input.tables``: the point's model-input tables when the models read array blocks (spec scan_variant), else empty
(the model inputs are the ``params.feature_names`` columns of ``input.features``).
"""

from susyscan.logutil import script_logging
from susyscan.scan.regions import with_default_threshold
from susyscan.scan.yields import compute_point_yields

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
masses = getattr(params, "masses", None)
tables = list(getattr(snakemake.input, "tables", None) or [])
compute_point_yields(
    snakemake.input.features,
    snakemake.output.yields,
    with_default_threshold(list(params.regions), getattr(params, "score_threshold", None)),
    batch_size=int(getattr(params, "batch_size", 4096)),
    feature_names=list(params.feature_names),
    weight_scale=float(getattr(params, "weight_scale", 1.0)),
    masses=tuple(masses) if masses else None,
    input_paths=tables or None,
)
