# Object selection, preselection cutflows and feature CSVs (columnar, one job per chunk), for every analysis:
# the YAML cuts and the spec's features and derived features (computed here, once), or the spec's own select.
# Analyses whose model inputs are array blocks (spec write_inputs, e.g. ewkino's padded PF block per threshold) also
# get model-input tables (susyscan.training.eventtable .npz) per (variant, sample, chunk).

rule select_features:
    input:
        events=R("events/{sample}/chunk{chunk}.root"),
        analysis_config=analysis_config,
        analysis_module=analysis_module,
    output:
        features=R("analysis/{analysis}/features/{sample}/chunk{chunk}.csv.gz"),
        cutflow=R("analysis/{analysis}/features/{sample}/chunk{chunk}.cutflow.json"),
    params:
        cut_overrides=cut_overrides,
    log:
        R("logs/analysis/{analysis}/select/{sample}/chunk{chunk}.log"),
    benchmark:
        R("benchmarks/analysis/{analysis}/{sample}/chunk{chunk}.tsv")
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/select_features.py"


rule model_inputs:
    wildcard_constraints:
        analysis=_alternatives(INPUT_VARIANTS),
        variant=_alternatives(sorted({v for labels in INPUT_VARIANTS.values() for v in labels})),
    input:
        events=model_input_events,
        analysis_config=analysis_config,
        analysis_module=analysis_module,
    output:
        inputs=R("analysis/{analysis}/inputs/{variant}/{sample}/chunk{chunk}.npz"),
        cutflow=R("analysis/{analysis}/inputs/{variant}/{sample}/chunk{chunk}.cutflow.json"),
    log:
        R("logs/analysis/{analysis}/inputs/{variant}/{sample}/chunk{chunk}.log"),
    benchmark:
        R("benchmarks/analysis/{analysis}/inputs/{variant}/{sample}/chunk{chunk}.tsv")
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/model_inputs.py"


rule merge_features:
    input:
        features=chunk_features,
        cutflows=chunk_cutflows,
    output:
        merged=R("analysis/{analysis}/features/{sample}.csv.gz"),
    params:
        features=event_features,
    log:
        R("logs/analysis/{analysis}/merge/{sample}.log"),
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
        csv=report(R("analysis/{analysis}/cutflow.csv"), category="Cutflows", subcategory="{analysis}", caption="../report/cutflow.rst"),
        md=R("analysis/{analysis}/cutflow.md"),
        tex=R("analysis/{analysis}/cutflow.tex"),
        png=report(R("analysis/{analysis}/cutflow.png"), category="Cutflows", subcategory="{analysis}", caption="../report/cutflow.rst"),
    params:
        lumi_ifb=cutflow_luminosity,
        group_backgrounds=True,
    log:
        R("logs/analysis/{analysis}/cutflow.log"),
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/make_cutflow.py"
