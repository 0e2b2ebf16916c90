# K-fold training per mass region: datasets, network and BDT training, ONNX export with parity check, and the
# region's out-of-fold evaluation. Fold f's model trains on the events of the other folds (split 8:1:1 into
# train/val/test for model selection) and scores the events of fold f; folds come from stable event ids.
# The score threshold enters only export and the evaluation, so changing it never retrains.


rule prepare_dataset:
    wildcard_constraints:
        analysis=SHARED_ML_RE,
        fold=r"\d+",
    input:
        features=training_features,
    output:
        **{split: R(f"training/{{analysis}}/dataset/{{region}}/fold{{fold}}.{split}.csv.gz") for split in DATASET_SPLITS},
        meta=R("training/{analysis}/dataset/{region}/fold{fold}.json"),
    params:
        region="{region}",
        bounds=region_bounds,
        split=lambda wildcards: analysis_training(wildcards.analysis)["split"],
        kfold=lambda wildcards: analysis_kfold(wildcards.analysis),
        fold=lambda wildcards: int(wildcards.fold),
        luminosity_ifb=lambda wildcards: analysis_training(wildcards.analysis)["luminosity_ifb"],
        seed=config["seed"],
        feature_names=model_inputs,
    log:
        R("logs/training/{analysis}/dataset/{region}/fold{fold}.log"),
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/prepare_dataset.py"


# The same stage for an analysis with model-input tables (spec write_inputs, e.g. ewkino): its region is an input
# variant (whole grid), its inputs the variant's chunk tables (.npz with array blocks, weight_pb from their chunk
# headers), its split tables .npz; seed, split and options (kfold, split scheme, balance) are the analysis'
# (analyses.<name>.training seed/split, spec extra["dataset_options"]; docs/analysis_ewkino.md).
use rule prepare_dataset as prepare_block_dataset with:
    wildcard_constraints:
        analysis=BLOCK_ML_RE,
        fold=r"\d+",
    output:
        **block_dataset_paths("{analysis}", "{region}", "{fold}"),
    params:
        region="{region}",
        bounds=region_bounds,
        split=lambda wildcards: analysis_training(wildcards.analysis)["split"],
        kfold=lambda wildcards: block_dataset_options(wildcards).get("kfold", 1),
        fold=lambda wildcards: int(wildcards.fold),
        luminosity_ifb=lambda wildcards: config["analyses"][wildcards.analysis]["cutflow_luminosity_ifb"],
        seed=lambda wildcards: analysis_training(wildcards.analysis).get("seed", config["seed"]),
        feature_names=[],  # every model input is in the blocks
        options=block_dataset_options,


rule train_nn:
    wildcard_constraints:
        analysis=NN_ML_RE,
        fold=r"\d+",
    input:
        unpack(fold_dataset_inputs),
        analysis_config=analysis_config,
        analysis_module=analysis_module,
    output:
        model=R("training/{analysis}/{region}/nn/fold{fold}/model.pt"),
        metrics=R("training/{analysis}/{region}/nn/fold{fold}/metrics.json"),
        history=R("training/{analysis}/{region}/nn/fold{fold}/history.csv"),
        loss=report(R("training/{analysis}/{region}/nn/fold{fold}/loss.png"), category="Training", subcategory="{analysis} {region} nn", caption="../report/loss.rst"),
        roc=R("training/{analysis}/{region}/nn/fold{fold}/roc.png"),
    params:
        hyper=nn_settings,
        seed=config["seed"],
    log:
        R("logs/training/{analysis}/{region}/nn/fold{fold}.log"),
    benchmark:
        R("benchmarks/training/{analysis}/{region}/nn/fold{fold}.tsv")
    threads: 1  # one thread per fold: the k folds run side by side
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
        analysis=SHARED_ML_RE,
        fold=r"\d+",
    input:
        unpack(fold_dataset_inputs),
    output:
        model=R("training/{analysis}/{region}/bdt/fold{fold}/model.json"),
        metrics=R("training/{analysis}/{region}/bdt/fold{fold}/metrics.json"),
        history=R("training/{analysis}/{region}/bdt/fold{fold}/history.csv"),
        loss=report(R("training/{analysis}/{region}/bdt/fold{fold}/loss.png"), category="Training", subcategory="{analysis} {region} bdt", caption="../report/loss.rst"),
        roc=R("training/{analysis}/{region}/bdt/fold{fold}/roc.png"),
    params:
        hyper=lambda wildcards: analysis_training(wildcards.analysis)["bdt"],
        seed=config["seed"],
    log:
        R("logs/training/{analysis}/{region}/bdt/fold{fold}.log"),
    benchmark:
        R("benchmarks/training/{analysis}/{region}/bdt/fold{fold}.tsv")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/train_bdt.py"


rule export_onnx:
    wildcard_constraints:
        analysis=NN_ML_RE,
        fold=r"\d+",
    input:
        unpack(fold_dataset_inputs),
        model=native_model,
        analysis_config=analysis_config,  # its spec's model factory rebuilds the NN
        analysis_module=analysis_module,
    output:
        onnx=R("training/{analysis}/{region}/{model}/fold{fold}/model.onnx"),
        parity=R("training/{analysis}/{region}/{model}/fold{fold}/onnx_parity.json"),
        scores=R("training/{analysis}/{region}/{model}/fold{fold}/scores.png"),  # test split, with the scan's cut
    params:
        model_type="{model}",
        region="{region}",
        score_threshold=export_score_threshold,
    log:
        R("logs/training/{analysis}/{region}/{model}/fold{fold}_export.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/export_onnx.py"


rule performance_table:
    wildcard_constraints:
        analysis=SHARED_ML_RE,
    input:
        unpack(fold_evaluation_inputs),
    output:
        table=report(R("training/{analysis}/{region}/{model}/performance.csv"), category="Training", subcategory="{analysis} {region} {model}", caption="../report/performance.rst"),
        metrics=R("training/{analysis}/{region}/{model}/metrics.json"),
        roc=report(R("training/{analysis}/{region}/{model}/roc.png"), category="Training", subcategory="{analysis} {region} {model}", caption="../report/roc.rst"),
        scores=report(R("training/{analysis}/{region}/{model}/scores.png"), category="Training", subcategory="{analysis} {region} {model}", caption="../report/scores.rst"),
    params:
        score_threshold=config["scan"]["score_threshold"],
        luminosity_ifb=lambda wildcards: analysis_training(wildcards.analysis)["luminosity_ifb"],
        kfold=lambda wildcards: analysis_kfold(wildcards.analysis),
    log:
        R("logs/training/{analysis}/{region}/{model}_performance.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/performance_table.py"
