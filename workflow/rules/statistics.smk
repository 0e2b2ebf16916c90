# Expected (and observed) CLs with pyhf per grid point, signal region, luminosity and scenario, in parts
# (one luminosity x one batch of grid points per job) that run in parallel and are merged into cls.csv;
# per-region background-only workspaces and signal patchsets by their own rule. The {analysis} wildcard is a result
# set (common.smk RESULT_SETS): an analysis, or another yield set of one (the stau networks' "stau/ml").


from pathlib import PurePosixPath

from susyscan.stats.batches import batch as limits_batch, n_batches as limits_n_batches

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
        analysis=_alternatives(RESULT_SETS),
        lumi=_alternatives(LUMIS),
        batch=r"\d+",
    input:
        yields=lambda wildcards: [
            R(f"scan/{wildcards.analysis}/yields/{p.name}.csv")
            for p in limits_batch(
                grid_points(set_analysis(wildcards.analysis)), int(wildcards.batch), config["statistics"]["points_per_job"]
            )
        ],
        background=R("scan/{analysis}/background_yields.csv"),
        envelopes=scale_envelope_input,
    output:
        part=temp(R("limits/{analysis}/parts/cls_{lumi}ifb_b{batch}.csv")),
    params:
        lumi=lambda wildcards: float(wildcards.lumi),
        upper_limits=config["statistics"]["upper_limits"],
        envelope_scenarios=scale_envelope_scenarios,
        scale_modifier=config["statistics"]["scale_envelope_modifier"],
        **STATISTICS_PARAMS,
    log:
        R("logs/limits/{analysis}/part_{lumi}ifb_b{batch}.log"),
    benchmark:
        R("benchmarks/limits/{analysis}_part_{lumi}ifb_b{batch}.tsv")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/compute_limits.py"


rule workspaces:
    wildcard_constraints:
        analysis=_alternatives(RESULT_SETS),
    input:
        yields=scan_yields,
        background=R("scan/{analysis}/background_yields.csv"),
        envelopes=scale_envelope_input,
    output:
        workspaces=directory(R("limits/{analysis}/workspaces")),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        # workspace file names: the result set's path parts joined by underscores (stau/ml: stau_ml)
        analysis=lambda wildcards: "_".join(PurePosixPath(wildcards.analysis).parts),
        envelope_scenarios=scale_envelope_scenarios,
        scale_modifier=config["statistics"]["scale_envelope_modifier"],
        **STATISTICS_PARAMS,
    log:
        R("logs/limits/{analysis}/workspaces.log"),
    benchmark:
        R("benchmarks/limits/{analysis}_workspaces.tsv")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/write_workspaces.py"


rule limits:
    wildcard_constraints:
        analysis=_alternatives(RESULT_SETS),
    input:
        parts=lambda wildcards: expand(
            R("limits/{a}/parts/cls_{lumi}ifb_b{batch}.csv"),
            a=wildcards.analysis,
            lumi=LUMIS,
            batch=range(
                limits_n_batches(len(grid_points(set_analysis(wildcards.analysis))), config["statistics"]["points_per_job"])
            ),
        ),
        # not read by the merge: listed so that every target with cls.csv also gets the likelihoods
        workspaces=rules.workspaces.output.workspaces,
    output:
        cls=report(R("limits/{analysis}/cls.csv"), category="Limits", subcategory="{analysis}", caption="../report/cls.rst"),
    log:
        R("logs/limits/{analysis}/merge.log"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/merge_limits.py"
