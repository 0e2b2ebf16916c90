# Grid scan: batched onnxruntime inference per mass point and cut-and-count baselines.


rule background_yields:
    input:
        unpack(background_yield_inputs),
    output:
        yields=report("results/scan/{analysis}/background_yields.csv", category="Scan", caption="../report/background_yields.rst"),
    params:
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
        test_fraction=config["training"]["split"][2],
    log:
        "logs/scan/{analysis}/background_yields.log",
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/background_yields.py"


rule scan_point:
    input:
        unpack(onnx_models),
        features="results/analysis/{analysis}/features/{sample}.csv.gz",
    output:
        yields="results/scan/{analysis}/yields/{sample}.csv",
    params:
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
    log:
        "logs/scan/{analysis}/{sample}.log",
    benchmark:
        "benchmarks/runs/scan/{analysis}/{sample}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/scan_point.py"
