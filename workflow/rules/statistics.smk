# Expected (and observed) CLs with pyhf per grid point, signal region, luminosity and scenario.


rule limits:
    input:
        yields=scan_yields,
        background="results/scan/{analysis}/background_yields.csv",
    output:
        cls=report("results/limits/{analysis}/cls.csv", category="Limits", caption="../report/cls.rst"),
        workspaces=directory("results/limits/{analysis}/workspaces"),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        scenarios=config["statistics"]["background_uncertainty"],
        bkg_modifier=config["statistics"]["background_modifier"],
        signal_mc_stat=config["statistics"]["signal_mc_stat"],
        upper_limits=config["statistics"]["upper_limits"],
        observed=config["statistics"]["observed"],
        zero_bkg_floor_pb=config["statistics"]["zero_background_floor_pb"],
        analysis="{analysis}",
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
