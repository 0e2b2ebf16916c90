# Squark + electroweakino analysis (arXiv:2411.00093, docs/analysis_ewkino.md), active when
# analyses.ewkino.enabled is true. Event files come from the shared generate_chunk rule; selection, cutflows and
# high-level feature CSVs from the shared analysis rules (its spec's select), per chunk and PF-candidate threshold the
# network inputs from the shared `model_inputs` rule (its spec's write_inputs, variants pt1/pt10), the ensemble per
# threshold from the shared `train_nn` / `export_onnx` (its spec's train_nn / export_nn: region pt{ptmin}, model nn),
# the scan yields from the shared `scan_point` / `background_yields` (its spec's scan_variant: the threshold
# analyses.ewkino.scan_pfcand_pt_min; scan_regions `baseline` and `nn`), CLs from `limits`, plots from `contours`.
# Here, per threshold: multiplicity table, S/sqrt(S+B) vs the kinematic baseline, permutation importance.
# The inputs are shared event tables (susyscan.training.eventtable, .npz: id columns, a padded PF block per
# threshold; as a flat CSV table 2107 columns at 1 GeV, ~20x slower to write: docs/architecture.md, "The dataset
# container"). The training reads the dataset of the shared dataset stage (rule prepare_block_dataset, region
# pt{ptmin}, fold 0 of kfold 1: the id-based split training.splitting.split_by_id, every event kept); training,
# export and scan are the shared rules' (one network per PF threshold; docs/analysis_ewkino.md, "On the shared ML
# stages").


rule ewkino_multiplicity:
    wildcard_constraints:
        ptmin=EWKINO_PTMIN_RE,
    input:
        inputs=ewkino_evaluation_inputs,
    output:
        table=R("analysis/ewkino/inputs/pt{ptmin}/multiplicity.csv"),
    log:
        R("logs/analysis/ewkino/inputs/pt{ptmin}/multiplicity.log"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/ewkino_multiplicity.py"


rule ewkino_significance:
    wildcard_constraints:
        ptmin=EWKINO_PTMIN_RE,
    input:
        onnx=fold_onnx_models(EWKINO, "pt{ptmin}", "nn"),  # k = 1: its test split; k >= 2: out of fold
        inputs=ewkino_evaluation_inputs,
    output:
        table=R("training/ewkino/pt{ptmin}/significance.csv"),
        scores=R("training/ewkino/pt{ptmin}/scores.csv.gz"),
    params:
        luminosities_ifb=config["statistics"]["luminosities_ifb"],
        score_cut=None,
        min_background=ewkino_settings().get("min_background", 5.0),
    log:
        R("logs/training/ewkino/pt{ptmin}/significance.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/ewkino_significance.py"


rule ewkino_threshold_gain:
    input:
        **ewkino_threshold_tables(),
    output:
        csv=report(R("training/ewkino/threshold_gain.csv"), category="Training", subcategory="ewkino", caption="../report/ewkino_threshold_gain.rst"),
        md=R("training/ewkino/threshold_gain.md"),
    params:
        n_boot=400,
        seed=config["seed"],
    log:
        R("logs/training/ewkino/threshold_gain.log"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/ewkino_threshold_table.py"


rule ewkino_importance:
    wildcard_constraints:
        ptmin=EWKINO_PTMIN_RE,
    input:
        onnx=fold_onnx_models(EWKINO, "pt{ptmin}", "nn"),
        inputs=ewkino_evaluation_inputs,
    output:
        csv=R("training/ewkino/pt{ptmin}/importance.csv"),
        plot=report(R("training/ewkino/pt{ptmin}/importance.png"), category="Training", subcategory="ewkino", caption="../report/ewkino_importance.rst"),
    params:
        seed=config["seed"],
    log:
        R("logs/training/ewkino/pt{ptmin}/importance.log"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/training.yaml"
    script:
        "../../scripts/ewkino_importance.py"
