"""Snakemake script: all chunk cutflows -> cutflow.csv/.md/.tex/.png (susyscan.analysis.cutflow)."""

from susyscan.analysis.cutflow import make_cutflow
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
make_cutflow(
    cutflow_paths=list(snakemake.input.cutflows),
    lumi_ifb=float(snakemake.params.lumi_ifb),
    csv_out=snakemake.output.csv,
    md_out=snakemake.output.md,
    tex_out=snakemake.output.tex,
    png_out=snakemake.output.png,
    group_backgrounds=bool(snakemake.params.get("group_backgrounds", True)),
)
