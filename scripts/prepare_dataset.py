"""Snakemake script: prepare the k-fold training dataset of one (region, fold) (susyscan.training.dataset), for
rule prepare_dataset (feature CSVs) and prepare_block_dataset (model-input tables; params.options: the analysis'
build_dataset options, e.g. kfold, split_scheme, balance)."""

from susyscan.logutil import script_logging
from susyscan.training.dataset import prepare_dataset

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
options = {**(getattr(params, "options", None) or {}), "kfold": int(params.kfold)}  # params.kfold includes the options' kfold
prepare_dataset(
    feature_csvs=list(snakemake.input.features),
    split_paths={split: getattr(snakemake.output, split) for split in ("train", "val", "test", "heldout")},
    meta_path=snakemake.output.meta,
    region=str(params.region),
    bounds=[float(b) for b in params.bounds],
    lumi_fb=float(params.luminosity_ifb),
    seed=int(params.seed),
    split_fractions=[float(f) for f in params.split],
    feature_names=list(params.feature_names),
    fold=int(params.fold),
    **options,
)
