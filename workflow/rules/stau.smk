# Stau lep-had analysis, ML side (issue 18; docs/analysis_stau.md, "Networks"): per jet category a k-fold
# multiclass DNN (signal + 6 background classes) and the same network on [X, A X, A^2 X] (SIGN features from a
# fixed background reference bank), their comparison (ROC per class, best score-cut region, Z at each luminosity),
# yield tables of their regions plus the cut-and-count regions, CLs and contours at the configured luminosities.
# Active when the stau analysis is; the settings file is <analysis YAML stem>_ml.yaml next to the analysis YAML.
# The shared selection rules write the feature tables; the shared scan/limits/contours of the cut-and-count
# regions run as for every analysis; the ML results go to results/*/stau/ml/ so the two do not collide.


include: "stau_common.smk"


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
        flag_labels=stau_flag_labels() if STAU_ENABLED else {},
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


rule stau_ml_limits:
    input:
        yields=[R(f"scan/stau/ml/yields/{name}.csv") for name, _, _ in (stau_points() if STAU_ENABLED else [])],
        background=R("scan/stau/ml/background_yields.csv"),
    output:
        cls=R("limits/stau/ml/cls.csv"),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        **STATISTICS_PARAMS,
    log:
        R("logs/limits/stau/ml.log"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/stau_ml_limits.py"


rule stau_ml_contours:
    input:
        cls=R("limits/stau/ml/cls.csv"),
        analysis_config=config["analyses"].get(STAU, {}).get("config", []),
    output:
        plots=[R(f"plots/stau/ml/contour_{lumi}ifb.{fmt}") for lumi in LUMIS for fmt in config["plots"]["formats"]],
        mass_reach=R("plots/stau/ml/mass_reach.csv"),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        formats=config["plots"]["formats"],
        flag_labels=stau_flag_labels() if STAU_ENABLED else {},
        sqrt_s_gev=config["sqrt_s_gev"],
    log:
        R("logs/plots/stau/ml.log"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/stau_ml_contours.py"
