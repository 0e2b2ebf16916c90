# Grid scan: batched onnxruntime inference per mass point and cut-and-count baselines.


rule background_test_split:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        test=f"results/training/{{analysis}}/dataset/{REGIONS[0]}.test.csv.gz",
    output:
        background="results/scan/{analysis}/background_test.csv.gz",
    log:
        "logs/scan/{analysis}/background_test_split.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/background_test_split.py"


rule background_yields:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        unpack(onnx_models),
        features="results/scan/{analysis}/background_test.csv.gz",
    output:
        yields=report("results/scan/{analysis}/background_yields.csv", category="Scan", caption="../report/background_yields.rst"),
    params:
        regions=signal_regions,
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
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
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        unpack(onnx_models),
        features="results/analysis/{analysis}/features/{sample}.csv.gz",
    output:
        yields="results/scan/{analysis}/yields/{sample}.csv",
    params:
        regions=signal_regions,
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
        masses=point_masses,
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
