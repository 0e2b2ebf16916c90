"""Snakemake script: truth features + full-chain outcome (preselection, each signal region) per event of a sample."""

from susyscan.atomic import write_csv_atomic
from susyscan.logutil import script_logging
from susyscan.scan.regions import with_default_threshold
from susyscan.surrogate.labels import sample_labels

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
regions = with_default_threshold(list(params.regions), float(params.score_threshold))
table = sample_labels(list(snakemake.input.truth), snakemake.input.features, regions, int(params.batch_size),
                      feature_names=list(params.feature_names))
write_csv_atomic(table, snakemake.output.labels)
