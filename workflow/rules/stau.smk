# Stau lep-had analysis, ML side (issue 18; docs/analysis_stau.md, "Networks"): per jet category a k-fold
# multiclass DNN (signal + 6 background classes) and the same network on [X, A X, A^2 X] (SIGN features from a
# fixed background reference bank), their comparison (ROC per class, best score-cut region, Z at each luminosity),
# and the yield tables of their regions plus the cut-and-count regions (CLs and contours: the shared rules).
# Active when the stau analysis is; the settings file is <analysis YAML stem>_ml.yaml next to the analysis YAML.
# The shared selection rules write the feature tables; the shared scan/limits/contours of the cut-and-count
# regions run as for every analysis. stau_compare writes the ML yield tables in the scan's contract under
# scan/stau/ml/, and the shared limits and contours rules take them as the result set "stau/ml" (stau_common.smk,
# included from the Snakefile before the shared rules), so the ML results go to results/*/stau/ml/.

rule stau_dnn:
    wildcard_constraints:
        category=_alternatives(STAU_CATEGORIES),
    input:
        features=stau_feature_tables,
        ml_settings=STAU_ML.get("path", []),
    output:
        scores=R("training/stau/{category}/dnn/scores.csv.gz"),
        importance=R("training/stau/{category}/dnn/importance.csv"),
        summary=R("training/stau/{category}/dnn/summary.json"),
        models=expand(R("training/stau/{{category}}/dnn/fold{fold}/model.onnx"), fold=STAU_FOLDS),
    params:
        ml=STAU_ML,
        category_range=lambda wildcards: STAU_ML["categories"][wildcards.category]["range"],
        features=lambda wildcards: stau_features(wildcards.category),
        train_samples=stau_train_samples(),
    log:
        R("logs/training/stau/{category}/dnn.log"),
    benchmark:
        R("benchmarks/training/stau/{category}_dnn.tsv")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/stau_dnn.py"


rule stau_sign:
    wildcard_constraints:
        category=_alternatives(STAU_CATEGORIES),
    input:
        features=stau_feature_tables,
        importance=R("training/stau/{category}/dnn/importance.csv"),
        ml_settings=STAU_ML.get("path", []),
    output:
        scores=R("training/stau/{category}/sign/scores.csv.gz"),
        summary=R("training/stau/{category}/sign/summary.json"),
        bank=directory(R("training/stau/{category}/sign/bank")),
        models=expand(R("training/stau/{{category}}/sign/fold{fold}/model.onnx"), fold=STAU_FOLDS),
    params:
        ml=STAU_ML,
        category_range=lambda wildcards: STAU_ML["categories"][wildcards.category]["range"],
        features=lambda wildcards: stau_features(wildcards.category),
        train_samples=stau_train_samples(),
    log:
        R("logs/training/stau/{category}/sign.log"),
    benchmark:
        R("benchmarks/training/stau/{category}_sign.tsv")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/stau_sign.py"


rule stau_compare:
    input:
        **{f"{method}_{category}": R(f"training/stau/{category}/{method}/scores.csv.gz")
           for category in STAU_CATEGORIES for method in ("dnn", "sign")},
    output:
        table=R("training/stau/comparison.csv"),
        paired=R("training/stau/paired_bootstrap.csv"),
        markdown=report(R("training/stau/comparison.md"), category="Training", subcategory="stau", caption="../report/stau_comparison.rst"),
        roc=report(R("training/stau/roc.png"), category="Training", subcategory="stau", caption="../report/stau_comparison.rst"),
        yields=[R(f"scan/stau/ml/yields/{name}.csv") for name, _, _ in (stau_points() if STAU_ENABLED else [])],
        background=R("scan/stau/ml/background_yields.csv"),
    params:
        ml=STAU_ML,
        train_samples=stau_train_samples(),
        lumis=config["statistics"]["luminosities_ifb"],
        points=stau_points() if STAU_ENABLED else [],
        flag_labels=STAU_FLAG_LABELS,
    log:
        R("logs/training/stau/compare.log"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/stau_compare.py"
