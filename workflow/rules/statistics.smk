# Expected (and observed) CLs with pyhf per grid point, signal region, luminosity and scenario.


rule limits:
    input:
        signal=scan_yields,
        background="results/scan/{analysis}/background_yields.csv",
    output:
        cls=report("results/limits/{analysis}/cls.csv", category="Limits", caption="../report/cls.rst"),
        workspace="results/limits/{analysis}/workspaces/bkgonly.json",
        patchset="results/limits/{analysis}/workspaces/patchset.json",
    params:
        luminosities_ifb=config["statistics"]["luminosities_ifb"],
        background_uncertainty=config["statistics"]["background_uncertainty"],
        observed=config["statistics"]["observed"],
    log:
        "logs/limits/{analysis}.log",
    benchmark:
        "benchmarks/runs/limits/{analysis}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/compute_limits.py"
