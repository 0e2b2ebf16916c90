# Multiclass networks of every analysis whose spec has multiclass=True (stau, issue 18; docs/stau_networks.md): per
# category a k-fold multiclass DNN (signal + background classes) and the same network on [X, A X, A^2 X] (SIGN
# features from a fixed background reference bank), their comparison (ROC per class, best score-cut region, Z at
# each luminosity), and the yield tables of their regions plus the cut-and-count regions (CLs and contours: the
# shared rules). Settings: multiclass_common.smk (the ML YAML <analysis YAML stem>_ml.yaml next to the analysis
# YAML, the run config's analyses.<name>.ml). The shared selection rules write the feature tables; the shared
# scan/limits/contours of the cut-and-count regions run as for every analysis. The compare rule writes the ML yield
# tables in the scan's contract under scan/<analysis>/ml/, and the shared limits and contours rules take them as the
# result set "<analysis>/ml" (multiclass_common.smk, included from the Snakefile before the shared rules), so the ML
# results go to results/*/<analysis>/ml/.

# Three rules per multiclass analysis, named multiclass_dnn_<analysis>, multiclass_sign_<analysis> and
# multiclass_compare_<analysis>: the DNN and DNN+SIGN outputs list the analysis' own k fold models
# (analyses.<name>.ml.kfold), the comparison's its grid points (one yield table each, read by the shared limits
# rules), and a rule's output list cannot depend on a wildcard. The DNN and DNN+SIGN rules keep the {analysis}
# wildcard (pinned to the one analysis) for the helpers of multiclass_common.smk; {category} admits its categories.
for _analysis in MULTICLASS_ANALYSES:
    _folds = range(int(MULTICLASS_ML[_analysis]["kfold"]))
    _points = multiclass_points(_analysis)

    rule:
        name:
            f"multiclass_dnn_{_analysis}"
        wildcard_constraints:
            analysis=re.escape(_analysis),
            category=_alternatives(sorted(MULTICLASS_ML[_analysis]["categories"])),
        input:
            features=multiclass_feature_tables,
            ml_settings=MULTICLASS_ML[_analysis]["path"],
        output:
            scores=R("training/{analysis}/{category}/dnn/scores.csv.gz"),
            importance=R("training/{analysis}/{category}/dnn/importance.csv"),
            summary=R("training/{analysis}/{category}/dnn/summary.json"),
            models=expand(R("training/{{analysis}}/{{category}}/dnn/fold{fold}/model.onnx"), fold=_folds),
        params:
            ml=MULTICLASS_ML[_analysis],
            category_range=multiclass_category_range,
            features=multiclass_features,
            train_samples=multiclass_train_samples(_analysis),
        log:
            R("logs/training/{analysis}/{category}/dnn.log"),
        benchmark:
            R("benchmarks/training/{analysis}/{category}_dnn.tsv")
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        conda:
            "../../envs/training.yaml"
        script:
            "../../scripts/multiclass_dnn.py"

    rule:
        name:
            f"multiclass_sign_{_analysis}"
        wildcard_constraints:
            analysis=re.escape(_analysis),
            category=_alternatives(sorted(MULTICLASS_ML[_analysis]["categories"])),
        input:
            features=multiclass_feature_tables,
            importance=getattr(rules, f"multiclass_dnn_{_analysis}").output.importance,
            ml_settings=MULTICLASS_ML[_analysis]["path"],
        output:
            scores=R("training/{analysis}/{category}/sign/scores.csv.gz"),
            summary=R("training/{analysis}/{category}/sign/summary.json"),
            bank=directory(R("training/{analysis}/{category}/sign/bank")),
            models=expand(R("training/{{analysis}}/{{category}}/sign/fold{fold}/model.onnx"), fold=_folds),
        params:
            ml=MULTICLASS_ML[_analysis],
            category_range=multiclass_category_range,
            features=multiclass_features,
            train_samples=multiclass_train_samples(_analysis),
        log:
            R("logs/training/{analysis}/{category}/sign.log"),
        benchmark:
            R("benchmarks/training/{analysis}/{category}_sign.tsv")
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        conda:
            "../../envs/training.yaml"
        script:
            "../../scripts/multiclass_sign.py"

    rule:
        name:
            f"multiclass_compare_{_analysis}"
        input:
            **{
                f"{method}_{category}": R(f"training/{_analysis}/{category}/{method}/scores.csv.gz")
                for category in MULTICLASS_ML[_analysis]["categories"]
                for method, _ in MULTICLASS_METHODS
            },
        output:
            table=R(f"training/{_analysis}/comparison.csv"),
            paired=R(f"training/{_analysis}/paired_bootstrap.csv"),
            markdown=report(
                R(f"training/{_analysis}/comparison.md"),
                category="Training",
                subcategory=_analysis,
                caption="../report/multiclass_comparison.rst",
            ),
            roc=report(
                R(f"training/{_analysis}/roc.png"),
                category="Training",
                subcategory=_analysis,
                caption="../report/multiclass_comparison.rst",
            ),
            yields=[R(f"scan/{_analysis}/ml/yields/{name}.csv") for name, _, _ in _points],
            background=R(f"scan/{_analysis}/ml/background_yields.csv"),
        params:
            ml=MULTICLASS_ML[_analysis],
            train_samples=multiclass_train_samples(_analysis),
            lumis=config["statistics"]["luminosities_ifb"],
            points=_points,
            flag_labels=MULTICLASS_FLAG_LABELS[_analysis],
        log:
            R(f"logs/training/{_analysis}/compare.log"),
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        conda:
            "../../envs/training.yaml"
        script:
            "../../scripts/multiclass_compare.py"
