# Grid scan: batched onnxruntime inference per mass point and cut-and-count baselines, one yield-table contract
# (susyscan.contracts) for every analysis of SCAN: those of the shared ML rules (model inputs: the columns of the
# feature CSVs) and those whose spec names a scan variant (model inputs: the array blocks of the variant's
# model-input tables, joined to the feature CSVs by event id, e.g. ewkino's PF-candidate networks). The feature CSVs
# give the events, their weights and the flag columns of the cut-and-count regions in both cases.
# ML regions score each event with the model of the fold that held it out (k-fold, out-of-fold scores), so
# every background event and every grid-point event counts with its full weight (k = 1: a single model scores its
# test split, weighted up per sample); the cut-and-count regions use all events directly. Input functions: common.smk.


rule background_yields:
    wildcard_constraints:
        analysis=SCAN_RE,
    input:
        unpack(onnx_models),
        features=background_features,
        tables=lambda wildcards: [f for files in background_tables(wildcards).values() for f in files],
    output:
        yields=report(R("scan/{analysis}/background_yields.csv"), category="Scan", subcategory="{analysis}", caption="../report/background_yields.rst"),
    params:
        regions=signal_regions,
        feature_names=scan_feature_names,
        tables=background_tables,
        score_threshold=export_score_threshold,  # the cut recorded in the exported models
        batch_size=config["scan"]["batch_size"],
    log:
        R("logs/scan/{analysis}/background_yields.log"),
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/background_yields.py"


rule background_scale_envelopes:
    wildcard_constraints:
        analysis=SHARED_ML_RE,
    input:
        unpack(onnx_models),
        features=background_features,
        events=lambda wildcards: [f for files in scale_envelope_event_files(wildcards.analysis).values() for f in files],
    output:
        envelopes=R("scan/{analysis}/background_scale_envelopes.csv"),
    params:
        regions=signal_regions,
        feature_names=model_inputs,
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
        event_files=lambda wildcards: scale_envelope_event_files(wildcards.analysis),
    log:
        R("logs/scan/{analysis}/background_scale_envelopes.log"),
    benchmark:
        R("benchmarks/scan/{analysis}_background_scale_envelopes.tsv")
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/background_scale_envelopes.py"

rule scan_point:
    wildcard_constraints:
        analysis=SCAN_RE,
    input:
        unpack(onnx_models),
        features=R("analysis/{analysis}/features/{sample}.csv.gz"),
        tables=point_tables,
    output:
        yields=R("scan/{analysis}/yields/{sample}.csv"),
    params:
        regions=signal_regions,
        feature_names=scan_feature_names,
        score_threshold=export_score_threshold,  # the cut recorded in the exported models
        batch_size=config["scan"]["batch_size"],
        masses=point_masses,
    log:
        R("logs/scan/{analysis}/{sample}.log"),
    benchmark:
        R("benchmarks/scan/{analysis}/{sample}.tsv")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/scan_point.py"
