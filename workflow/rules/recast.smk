# Recasts of published searches (config key `recast`, workflow/schemas/recast.schema.yaml; docs/validation.md):
# signal grid points through the published selection (one job per chunk), yields per point, observed and
# expected CLs per (point, region) against the published backgrounds and observed counts, model-independent
# upper limits, contours, small-excess tables and the refinement proposals (`susyscan recast iterate`).
# RECAST and RECAST_GRIDS are set in common.smk (the grid points are samples of the generation rule).

import json
import sys

RECAST_PY = sys.executable
RECAST_ANALYSES = sorted(RECAST["analyses"]) if RECAST["enabled"] else []
RECAST_MODELS = sorted(RECAST_GRIDS)
RECAST_RA_RE = _alternatives(RECAST_ANALYSES)
RECAST_MODEL_RE = _alternatives(RECAST_MODELS)
RECAST_SAMPLE_RE = _alternatives(sorted({p.name for pts in RECAST_GRIDS.values() for p in pts}))


def recast_config(wildcards):
    """The recast YAML of the ra wildcard."""
    return RECAST["analyses"][wildcards.ra]["config"]


def recast_reference(wildcards):
    """The published signal-region table named by the recast YAML."""
    from susyscan.recast.config import load_recast_config

    return load_recast_config(recast_config(wildcards)).reference


def recast_chunk_counts(wildcards):
    point = SAMPLES[wildcards.sample]
    return [f"results/recast/{wildcards.ra}/counts/{point.name}/chunk{c}.json" for c in range(point.n_chunks)]


def recast_point_yields(wildcards):
    return [f"results/recast/{wildcards.ra}/{wildcards.grid}/yields/{p.name}.csv" for p in RECAST_GRIDS[wildcards.grid]]


def recast_injected():
    """The injected point of the pseudo-data mode ('' when the observed counts are used)."""
    pseudo = RECAST["pseudo_data"]
    if pseudo["mode"] == "none":
        return ""
    names = {p.name for pts in RECAST_GRIDS.values() for p in pts}
    if pseudo["inject_sample"] not in names:
        raise ValueError(f"config key 'recast.pseudo_data.inject_sample'={pseudo['inject_sample']!r} is not a recast "
                         f"grid point (points: {sorted(names)})")
    return pseudo["inject_sample"]


RECAST_INJECTED = recast_injected() if RECAST["enabled"] else ""


def recast_targets():
    """Outputs of every recast analysis and model ([] when recast is disabled)."""
    if not RECAST["enabled"]:
        return []
    fmts = config["plots"]["formats"]
    targets = expand("results/recast/{ra}/upper_limits.{ext}", ra=RECAST_ANALYSES, ext=["csv", "md"])
    targets += expand("results/recast/{ra}/{grid}/{f}", ra=RECAST_ANALYSES, grid=RECAST_MODELS,
                      f=["cls_regions.csv", "best.csv", "small_excess.csv", "contour_lines.csv", "refine/proposal.tsv"])
    targets += expand("results/recast/{ra}/{grid}/{name}.{fmt}", ra=RECAST_ANALYSES, grid=RECAST_MODELS,
                      name=["contour", "small_excess"], fmt=fmts)
    targets.append("results/recast/small_excess_multi.csv")
    return targets


rule recast_select:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        sample=RECAST_SAMPLE_RE,
    input:
        events="results/events/{sample}/chunk{chunk}.root",
        config=recast_config,
    output:
        counts="results/recast/{ra}/counts/{sample}/chunk{chunk}.json",
    params:
        python=RECAST_PY,
    log:
        "logs/recast/{ra}/select/{sample}/chunk{chunk}.log",
    benchmark:
        "benchmarks/runs/recast/{ra}/select/{sample}/chunk{chunk}.tsv"
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        "{params.python} -m susyscan.recast.cli select --events {input.events} --config {input.config} "
        "--out {output.counts} --log {log}"


rule recast_yields:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_MODEL_RE,
        sample=RECAST_SAMPLE_RE,
    input:
        counts=recast_chunk_counts,
        config=recast_config,
    output:
        yields="results/recast/{ra}/{grid}/yields/{sample}.csv",
        cutflow="results/recast/{ra}/{grid}/cutflow/{sample}.csv",
    params:
        python=RECAST_PY,
        counts=lambda wildcards, input: " ".join(f"--counts {p}" for p in input.counts),
    log:
        "logs/recast/{ra}/{grid}/yields/{sample}.log",
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "{params.python} -m susyscan.recast.cli yields {params.counts} --config {input.config} --model {wildcards.grid} "
        "--out {output.yields} --cutflow {output.cutflow} --log {log}"


rule recast_limits:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_MODEL_RE,
    input:
        yields=recast_point_yields,
        config=recast_config,
        reference=recast_reference,
    output:
        regions="results/recast/{ra}/{grid}/cls_regions.csv",
        best="results/recast/{ra}/{grid}/best.csv",
        excess="results/recast/{ra}/{grid}/small_excess.csv",
    params:
        python=RECAST_PY,
        yields=lambda wildcards, input: " ".join(f"--yields {p}" for p in input.yields),
        constraint=RECAST["background_constraint"],
        level=RECAST["cls_level"],
        pseudo=RECAST["pseudo_data"]["mode"],
        inject=RECAST_INJECTED,
        seed=RECAST["pseudo_data"]["seed"],
    log:
        "logs/recast/{ra}/{grid}/limits.log",
    benchmark:
        "benchmarks/runs/recast/{ra}/{grid}/limits.tsv"
    resources:
        mem_mb=1000,
        runtime=30,
    shell:
        "{params.python} -m susyscan.recast.cli limits {params.yields} --config {input.config} "
        "--constraint {params.constraint} --level {params.level} --pseudo-data {params.pseudo} "
        "--inject '{params.inject}' --seed {params.seed} --regions-out {output.regions} --best-out {output.best} "
        "--excess-out {output.excess} --log {log}"


rule recast_upper_limits:
    wildcard_constraints:
        ra=RECAST_RA_RE,
    input:
        config=recast_config,
        reference=recast_reference,
    output:
        csv=report("results/recast/{ra}/upper_limits.csv", category="Recast", caption="../report/recast.rst"),
        md="results/recast/{ra}/upper_limits.md",
    params:
        python=RECAST_PY,
        constraint=RECAST["background_constraint"],
        s95=lambda wildcards: RECAST["analyses"][wildcards.ra].get("s95_reference", ""),
    log:
        "logs/recast/{ra}/upper_limits.log",
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "{params.python} -m susyscan.recast.cli upper-limits --config {input.config} --constraint {params.constraint} "
        "--reference '{params.s95}' --csv {output.csv} --md {output.md} --log {log}"


rule recast_plots:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_MODEL_RE,
    input:
        best="results/recast/{ra}/{grid}/best.csv",
    output:
        contour=report(expand("results/recast/{{ra}}/{{grid}}/contour.{fmt}", fmt=config["plots"]["formats"]),
                       category="Recast", caption="../report/recast.rst"),
        excess=expand("results/recast/{{ra}}/{{grid}}/small_excess.{fmt}", fmt=config["plots"]["formats"]),
        lines="results/recast/{ra}/{grid}/contour_lines.csv",
    params:
        python=RECAST_PY,
        contour=lambda wildcards, output: " ".join(f"--contour {p}" for p in output.contour),
        excess=lambda wildcards, output: " ".join(f"--excess {p}" for p in output.excess),
        level=RECAST["cls_level"],
        title=lambda wildcards: f"{wildcards.ra} recast, {wildcards.grid}"
        + ("" if RECAST["pseudo_data"]["mode"] == "none" else f" (pseudo-data: {RECAST['pseudo_data']['mode']})"),
    log:
        "logs/recast/{ra}/{grid}/plots.log",
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "{params.python} -m susyscan.recast.cli plots --best {input.best} --title '{params.title}' --level {params.level} "
        "{params.contour} {params.excess} --lines {output.lines} --log {log}"


rule recast_multi:
    input:
        best=expand("results/recast/{ra}/{grid}/best.csv", ra=RECAST_ANALYSES, grid=RECAST_MODELS),
    output:
        "results/recast/small_excess_multi.csv",
    params:
        python=RECAST_PY,
        best=lambda wildcards, input: " ".join(f"--best {p}" for p in input.best),
    log:
        "logs/recast/small_excess_multi.log",
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "{params.python} -m susyscan.recast.cli multi {params.best} --out {output} --log {log}"


rule recast_refine:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_MODEL_RE,
    input:
        best="results/recast/{ra}/{grid}/best.csv",
    output:
        proposal="results/recast/{ra}/{grid}/refine/proposal.tsv",
    params:
        python=RECAST_PY,
        settings=lambda wildcards: json.dumps({**RECAST["refine"], "cls_level": RECAST["cls_level"]}),
    log:
        "logs/recast/{ra}/{grid}/refine.log",
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "{params.python} -m susyscan.recast.cli refine --best {input.best} --settings '{params.settings}' "
        "--out {output.proposal} --log {log}"
