# Expected (and observed) CLs with pyhf per grid point, signal region, luminosity and scenario, in parts
# (one luminosity x one batch of grid points per job) that run in parallel and are merged into cls.csv;
# per-region background-only workspaces and signal patchsets by their own rule.


def limit_batches(analysis):
    """Grid-point batches per luminosity: ceil(points / statistics.points_per_job), at least one."""
    return max(1, -(-len(grid_points(analysis)) // int(config["statistics"]["points_per_job"])))


def limits_part_yields(wildcards):
    """Yield tables of one batch: every n-th grid point (round robin, so batches cost about the same)."""
    points = grid_points(wildcards.analysis)[int(wildcards.batch) :: limit_batches(wildcards.analysis)]
    return [f"results/scan/{wildcards.analysis}/yields/{p.name}.csv" for p in points]


def limits_parts(wildcards):
    """All parts of the CLs table of an analysis."""
    return expand(
        "results/limits/{a}/parts/cls_{lumi}ifb_b{batch}.csv",
        a=wildcards.analysis,
        lumi=LUMIS,
        batch=range(limit_batches(wildcards.analysis)),
    )


STATISTICS_PARAMS = dict(
    scenarios=config["statistics"]["background_uncertainty"],
    bkg_modifier=config["statistics"]["background_modifier"],
    signal_mc_stat=config["statistics"]["signal_mc_stat"],
    background_mc_stat=config["statistics"]["background_mc_stat"],
    observed=config["statistics"]["observed"],
)


localrules:
    limits,


rule limits_part:
    wildcard_constraints:
        lumi=_alternatives(LUMIS),
        batch=r"\d+",
    input:
        yields=limits_part_yields,
        background="results/scan/{analysis}/background_yields.csv",
    output:
        part=temp("results/limits/{analysis}/parts/cls_{lumi}ifb_b{batch}.csv"),
    params:
        lumi=lambda wildcards: float(wildcards.lumi),
        upper_limits=config["statistics"]["upper_limits"],
        **STATISTICS_PARAMS,
    log:
        "logs/limits/{analysis}/part_{lumi}ifb_b{batch}.log",
    benchmark:
        "benchmarks/runs/limits/{analysis}_part_{lumi}ifb_b{batch}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/compute_limits.py"


rule workspaces:
    input:
        yields=scan_yields,
        background="results/scan/{analysis}/background_yields.csv",
    output:
        workspaces=directory("results/limits/{analysis}/workspaces"),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        analysis="{analysis}",
        **STATISTICS_PARAMS,
    log:
        "logs/limits/{analysis}/workspaces.log",
    benchmark:
        "benchmarks/runs/limits/{analysis}_workspaces.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/write_workspaces.py"


rule limits:
    input:
        parts=limits_parts,
        # not read by the merge: listed so that every target with cls.csv also gets the likelihoods
        workspaces=rules.workspaces.output.workspaces,
    output:
        cls=report("results/limits/{analysis}/cls.csv", category="Limits", caption="../report/cls.rst"),
    log:
        "logs/limits/{analysis}/merge.log",
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/merge_limits.py"
