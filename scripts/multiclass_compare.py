"""Snakemake script: DNN vs DNN+SIGN comparison table and figure of an analysis, and the yield tables of their regions."""

from pathlib import Path

from susyscan.logutil import script_logging
from susyscan.training.multiclass_run import run_compare

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
out = snakemake.output
yields_dir = Path(out.background).parent / "yields"
run_compare(dict(snakemake.input.items()), dict(params.ml), list(params.train_samples),
            [float(x) for x in params.lumis], [tuple(p) for p in params.points], dict(params.flag_labels),
            {"table": out.table, "markdown": out.markdown, "roc": out.roc, "yields_dir": str(yields_dir),
             "background": out.background, "paired": out.paired})
