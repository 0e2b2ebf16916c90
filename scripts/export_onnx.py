"""Snakemake script: export model.pt / model.json to ONNX with metadata and a test-set parity check, and the fold's
test-set score plot with the scan's score cut (an analysis' own NN export when its spec has one, spec.export_nn)."""

from susyscan.analyses import load_spec
from susyscan.logutil import script_logging
from susyscan.training.stages import export_from_files

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
config = getattr(snakemake.input, "analysis_config", None)  # the analysis YAML: its spec's model factory
spec = load_spec(config) if config else None
paths = {key: getattr(snakemake.input, key) for key in ("train", "val", "test", "meta")}
if spec is not None and spec.export_nn is not None and params.model_type == "nn":
    spec.export_nn(snakemake.input.model, paths, snakemake.output.onnx, snakemake.output.parity,
                   float(params.score_threshold), snakemake.output.scores)
else:
    export_from_files(
        snakemake.input.model,
        str(params.model_type),
        paths,
        snakemake.output.onnx,
        snakemake.output.parity,
        score_threshold=float(params.score_threshold),
        parity_tolerance=float(getattr(params, "parity_tolerance", 1e-5)),
        model_factory=spec.model_factory if spec else None,  # rebuilds the NN's architecture
        scores_plot=snakemake.output.scores,
    )
