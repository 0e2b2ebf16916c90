"""Snakemake script: prepare the k-fold training dataset of one (mass region, fold) (susyscan.training.dataset)."""

from susyscan.logutil import script_logging
from susyscan.training.dataset import prepare_dataset

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
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
    kfold=int(params.kfold),
    fold=int(params.fold),
)
