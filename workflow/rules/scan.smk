# Grid scan: batched onnxruntime inference per mass point and cut-and-count baselines.
# ML regions score each event with the model of the fold that held it out (k-fold, out-of-fold scores), so
# every background event and every grid-point event counts with its full weight; the cut-and-count regions
# use all events directly.


rule background_yields:
    wildcard_constraints:
        analysis=SHARED_ML_RE,
    input:
        unpack(onnx_models),
        features=background_features,
    output:
        yields=report(R("scan/{analysis}/background_yields.csv"), category="Scan", subcategory="{analysis}", caption="../report/background_yields.rst"),
    params:
        regions=signal_regions,
        feature_names=model_inputs,
        score_threshold=config["scan"]["score_threshold"],
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
        analysis=SHARED_ML_RE,
    input:
        unpack(onnx_models),
        features=R("analysis/{analysis}/features/{sample}.csv.gz"),
    output:
        yields=R("scan/{analysis}/yields/{sample}.csv"),
    params:
        regions=signal_regions,
        feature_names=model_inputs,
        score_threshold=config["scan"]["score_threshold"],
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
