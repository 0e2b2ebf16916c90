# Per-mass-region datasets, network and BDT training, ONNX export with parity check.
# The score threshold enters only export and the performance table, so changing it never retrains.


rule prepare_dataset:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        features=training_features,
    output:
        train="results/training/{analysis}/dataset/{region}.train.csv.gz",
        val="results/training/{analysis}/dataset/{region}.val.csv.gz",
        test="results/training/{analysis}/dataset/{region}.test.csv.gz",
        meta="results/training/{analysis}/dataset/{region}.json",
    params:
        region="{region}",
        bounds=region_bounds,
        split=config["training"]["split"],
        luminosity_ifb=config["training"]["luminosity_ifb"],
        seed=config["seed"],
    log:
        "logs/training/{analysis}/dataset/{region}.log",
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/prepare_dataset.py"


rule train_nn:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        **DATASET_INPUTS,
    output:
        model="results/training/{analysis}/{region}/nn/model.pt",
        metrics="results/training/{analysis}/{region}/nn/metrics.json",
        history="results/training/{analysis}/{region}/nn/history.csv",
        loss=report("results/training/{analysis}/{region}/nn/loss.png", category="Training", subcategory="{region} NN", caption="../report/loss.rst"),
        roc=report("results/training/{analysis}/{region}/nn/roc.png", category="Training", subcategory="{region} NN", caption="../report/roc.rst"),
        scores=report("results/training/{analysis}/{region}/nn/scores.png", category="Training", subcategory="{region} NN", caption="../report/scores.rst"),
    params:
        hyper=config["training"]["nn"],
        seed=config["seed"],
    log:
        "logs/training/{analysis}/{region}/nn.log",
    benchmark:
        "benchmarks/runs/training/{analysis}/{region}/nn.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=0,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/train_nn.py"


rule train_bdt:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        **DATASET_INPUTS,
    output:
        model="results/training/{analysis}/{region}/bdt/model.json",
        metrics="results/training/{analysis}/{region}/bdt/metrics.json",
        history="results/training/{analysis}/{region}/bdt/history.csv",
        loss=report("results/training/{analysis}/{region}/bdt/loss.png", category="Training", subcategory="{region} BDT", caption="../report/loss.rst"),
        roc=report("results/training/{analysis}/{region}/bdt/roc.png", category="Training", subcategory="{region} BDT", caption="../report/roc.rst"),
        scores=report("results/training/{analysis}/{region}/bdt/scores.png", category="Training", subcategory="{region} BDT", caption="../report/scores.rst"),
    params:
        hyper=config["training"]["bdt"],
        seed=config["seed"],
    log:
        "logs/training/{analysis}/{region}/bdt.log",
    benchmark:
        "benchmarks/runs/training/{analysis}/{region}/bdt.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/train_bdt.py"


rule export_onnx:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        model=native_model,
        **DATASET_INPUTS,
    output:
        onnx="results/training/{analysis}/{region}/{model}/model.onnx",
        parity="results/training/{analysis}/{region}/{model}/onnx_parity.json",
    params:
        model_type="{model}",
        region="{region}",
        score_threshold=config["scan"]["score_threshold"],
    log:
        "logs/training/{analysis}/{region}/{model}_export.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/export_onnx.py"


rule performance_table:
    wildcard_constraints:
        analysis="smuon",  # the ewkino analysis has its own rules (ewkino.smk)
    input:
        onnx="results/training/{analysis}/{region}/{model}/model.onnx",
        **DATASET_INPUTS,
    output:
        table=report("results/training/{analysis}/{region}/{model}/performance.csv", category="Training", subcategory="{region} {model}", caption="../report/performance.rst"),
    params:
        score_threshold=config["scan"]["score_threshold"],
        luminosity_ifb=config["training"]["luminosity_ifb"],
    log:
        "logs/training/{analysis}/{region}/{model}_performance.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/performance_table.py"
