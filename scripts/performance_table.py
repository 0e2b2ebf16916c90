"""Snakemake adapter: expected signal/background passing the score cut (the paper's performance table)."""

from susyscan.logutil import script_logging
from susyscan.training.stages import performance_from_files

snakemake = globals()["snakemake"]
script_logging(snakemake)
performance_from_files(
    snakemake.input.onnx,
    {split: getattr(snakemake.input, split) for split in ("train", "val", "test", "meta")},
    snakemake.output.table,
    float(snakemake.params.score_threshold),
    float(snakemake.params.luminosity_ifb),
)
