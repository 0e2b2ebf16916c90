# susyscan: from simulated events to exclusion contours on SUSY mass planes.
# Run the embedded demo with `snakemake --cores 2`; see README.md.

from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/ewkino_common.smk"
include: "workflow/rules/multiclass_common.smk"


wildcard_constraints:
    sample=r"[A-Za-z0-9_.\-]+",
    chunk=r"\d+",
    analysis="|".join(ANALYSES),
    region="|".join(REGIONS),
    model="nn|bdt",


include: "workflow/rules/generation.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/scan.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/plots.smk"
include: "workflow/rules/ewkino.smk"
include: "workflow/rules/surrogate.smk"
include: "workflow/rules/recast.smk"
include: "workflow/rules/multiclass.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        all_targets(),
        RECAST_TARGETS,
        SURROGATE_TARGETS,
    default_target: True
