# Recasts of published searches (config key `recast`, src/susyscan/schemas/recast.schema.yaml; docs/validation.md
# section 7): grid points through the published selection (one job per chunk), yields per point, observed and
# expected CLs per (point, region) against the published backgrounds and observed counts, model-independent
# upper limits, contours, small-excess tables and the refinement proposals (`susyscan recast iterate` appends
# them to the grid table and reruns). RECAST and RECAST_GRIDS are set in common.smk (the grid points are
# samples of the generation rule); helpers live in susyscan.recast.workflow.

from susyscan.recast.workflow import alternatives, injected_sample, recast_targets, reference_table

RECAST_ANALYSES = sorted(RECAST["analyses"]) if RECAST["enabled"] else []
RECAST_GRID_NAMES = sorted(RECAST_GRIDS)
RECAST_RA_RE = alternatives(RECAST_ANALYSES)
RECAST_GRID_RE = alternatives(RECAST_GRID_NAMES)
RECAST_SAMPLE_RE = alternatives(sorted({p.name for points in RECAST_GRIDS.values() for p in points}))
RECAST_INJECTED = injected_sample(RECAST, RECAST_GRIDS)
RECAST_TARGETS = recast_targets(RECAST, RECAST_GRIDS, config["plots"]["formats"], results=RESULTS)


rule recast_select:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        sample=RECAST_SAMPLE_RE,
    input:
        events=R("events/{sample}/chunk{chunk}.root"),
        config=lambda wildcards: RECAST["analyses"][wildcards.ra]["config"],
    output:
        counts=R("recast/{ra}/counts/{sample}/chunk{chunk}.json"),
    log:
        R("logs/recast/{ra}/select/{sample}/chunk{chunk}.log"),
    benchmark:
        R("benchmarks/recast/{ra}/select/{sample}/chunk{chunk}.tsv")
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_yields:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_GRID_RE,
        sample=RECAST_SAMPLE_RE,
    input:
        counts=lambda wildcards: [
            R(f"recast/{wildcards.ra}/counts/{wildcards.sample}/chunk{c}.json")
            for c in range(SAMPLES[wildcards.sample].n_chunks)
        ],
        config=lambda wildcards: RECAST["analyses"][wildcards.ra]["config"],
    output:
        yields=R("recast/{ra}/{grid}/yields/{sample}.csv"),
        cutflow=R("recast/{ra}/{grid}/cutflow/{sample}.csv"),
    log:
        R("logs/recast/{ra}/{grid}/yields/{sample}.log"),
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_limits:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_GRID_RE,
    input:
        yields=lambda wildcards: [
            R(f"recast/{wildcards.ra}/{wildcards.grid}/yields/{p.name}.csv") for p in RECAST_GRIDS[wildcards.grid]
        ],
        config=lambda wildcards: RECAST["analyses"][wildcards.ra]["config"],
        reference=lambda wildcards: reference_table(RECAST["analyses"][wildcards.ra]["config"]),
    output:
        regions=R("recast/{ra}/{grid}/cls_regions.csv"),
        best=R("recast/{ra}/{grid}/best.csv"),
        excess=report(R("recast/{ra}/{grid}/small_excess.csv"), category="Recast", caption="../report/recast.rst"),
    params:
        constraint=RECAST["background_constraint"],
        level=RECAST["cls_level"],
        pseudo=RECAST["pseudo_data"]["mode"],
        inject=RECAST_INJECTED,
        seed=RECAST["pseudo_data"]["seed"],
    log:
        R("logs/recast/{ra}/{grid}/limits.log"),
    benchmark:
        R("benchmarks/recast/{ra}/{grid}/limits.tsv")
    resources:
        mem_mb=1000,
        runtime=30,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_upper_limits:
    wildcard_constraints:
        ra=RECAST_RA_RE,
    input:
        config=lambda wildcards: RECAST["analyses"][wildcards.ra]["config"],
        reference=lambda wildcards: reference_table(RECAST["analyses"][wildcards.ra]["config"]),
    output:
        csv=report(R("recast/{ra}/upper_limits.csv"), category="Recast", caption="../report/recast.rst"),
        md=R("recast/{ra}/upper_limits.md"),
    params:
        constraint=RECAST["background_constraint"],
        s95=lambda wildcards: RECAST["analyses"][wildcards.ra].get("s95_reference", ""),
    log:
        R("logs/recast/{ra}/upper_limits.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_plots:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_GRID_RE,
    input:
        best=R("recast/{ra}/{grid}/best.csv"),
    output:
        contour=report(expand(R("recast/{{ra}}/{{grid}}/contour.{fmt}"), fmt=config["plots"]["formats"]),
                       category="Recast", caption="../report/recast.rst"),
        excess=report(expand(R("recast/{{ra}}/{{grid}}/small_excess.{fmt}"), fmt=config["plots"]["formats"]),
                      category="Recast", caption="../report/recast.rst"),
        lines=R("recast/{ra}/{grid}/contour_lines.csv"),
    params:
        level=RECAST["cls_level"],
        title=lambda wildcards: f"{wildcards.ra} recast, {wildcards.grid}"
        + ("" if RECAST["pseudo_data"]["mode"] == "none" else f" (pseudo-data: {RECAST['pseudo_data']['mode']})"),
    log:
        R("logs/recast/{ra}/{grid}/plots.log"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_multi:
    input:
        best=expand(R("recast/{ra}/{grid}/best.csv"), ra=RECAST_ANALYSES, grid=RECAST_GRID_NAMES),
    output:
        R("recast/small_excess_multi.csv"),
    log:
        R("logs/recast/small_excess_multi.log"),
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/recast_step.py"


rule recast_refine:
    wildcard_constraints:
        ra=RECAST_RA_RE,
        grid=RECAST_GRID_RE,
    input:
        best=R("recast/{ra}/{grid}/best.csv"),
    output:
        proposal=R("recast/{ra}/{grid}/refine/proposal.tsv"),
    params:
        settings={**RECAST["refine"], "cls_level": RECAST["cls_level"]},
    log:
        R("logs/recast/{ra}/{grid}/refine.log"),
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/recast_step.py"
