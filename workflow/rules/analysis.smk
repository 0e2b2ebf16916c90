# Object selection, preselection cutflows and feature CSVs (columnar, one job per chunk), for every analysis:
# the YAML cuts and the spec's features and derived features (computed here, once), or the spec's own select.


rule select_features:
    input:
        events="results/events/{sample}/chunk{chunk}.root",
        analysis_config=analysis_config,
        analysis_module=analysis_module,
    output:
        features="results/analysis/{analysis}/features/{sample}/chunk{chunk}.csv.gz",
        cutflow="results/analysis/{analysis}/features/{sample}/chunk{chunk}.cutflow.json",
    params:
        cut_overrides=cut_overrides,
    log:
        "logs/analysis/{analysis}/select/{sample}/chunk{chunk}.log",
    benchmark:
        "benchmarks/runs/analysis/{analysis}/{sample}/chunk{chunk}.tsv"
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/select_features.py"


rule merge_features:
    input:
        features=chunk_features,
        cutflows=chunk_cutflows,
    output:
        merged="results/analysis/{analysis}/features/{sample}.csv.gz",
    params:
        features=event_features,
    log:
        "logs/analysis/{analysis}/merge/{sample}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/merge_features.py"


rule cutflow:
    input:
        cutflows=all_cutflows,
    output:
        csv=report("results/analysis/{analysis}/cutflow.csv", category="Cutflows", subcategory="{analysis}", caption="../report/cutflow.rst"),
        md="results/analysis/{analysis}/cutflow.md",
        tex="results/analysis/{analysis}/cutflow.tex",
        png=report("results/analysis/{analysis}/cutflow.png", category="Cutflows", subcategory="{analysis}", caption="../report/cutflow.rst"),
    params:
        lumi_ifb=cutflow_luminosity,
        group_backgrounds=True,
    log:
        "logs/analysis/{analysis}/cutflow.log",
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/make_cutflow.py"
