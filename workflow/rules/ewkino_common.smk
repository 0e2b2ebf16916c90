# Parse-time helpers of workflow/rules/ewkino.smk (squark + electroweakino analysis, docs/analysis_ewkino.md).
# Paths: inputs results/analysis/ewkino/inputs/pt{ptmin}/{sample}/chunk{chunk}.npz (one set per PF threshold, written by
# the shared rule model_inputs),
# models results/training/ewkino/pt{ptmin}/nn/fold0/ (shared train_nn / export_onnx), scan tables results/scan/ewkino/
# (shared scan_point / background_yields, read by `limits`). Cutflows and high-level feature CSVs come from the shared
# `select_features` rule (the spec's `select`).

EWKINO = "ewkino"
EWKINO_ENABLED = EWKINO in SAMPLES_BY_ANALYSIS


def ewkino_settings():
    """The analyses.ewkino config block (schema defaults filled)."""
    return config["analyses"].get(EWKINO, {})


def _ewkino_threshold_labels():
    """PF-candidate thresholds (GeV labels, ascending: '1', '10') compared by the analysis: its model-input variants
    pt<GeV> (INPUT_VARIANTS of common.smk, from the spec's input_variants: the YAML's inputs.pfcand_pt_min_values,
    none below detector.pfcand_pt_min)."""
    from susyscan.analyses.ewkino.prepare import variant_threshold

    return [f"{variant_threshold(label):g}" for label in INPUT_VARIANTS.get(EWKINO, [])]


EWKINO_THRESHOLDS = _ewkino_threshold_labels()


def ewkino_samples(train_only=False):
    """Backgrounds and grid points of the ewkino analysis (training samples only when train_only)."""
    if not EWKINO_ENABLED:
        return []
    return [s for s in SAMPLES_BY_ANALYSIS[EWKINO] if not (train_only and s.is_signal and not s.train)]


def ewkino_train_samples():
    """Names of the samples whose training split was used (their test split only enters evaluations)."""
    return [s.name for s in ewkino_samples(train_only=True)]


def _ewkino_inputs(samples, ptmin):
    return [
        R(f"analysis/ewkino/inputs/pt{ptmin}/{s.name}/chunk{c}.npz") for s in samples for c in range(s.n_chunks)
    ]


def ewkino_evaluation_inputs(wildcards):
    """Input files (threshold wildcards.ptmin) of every ewkino sample: backgrounds and all grid points."""
    return _ewkino_inputs(ewkino_samples(), wildcards.ptmin)


# Folds k of the ensembles (analyses.ewkino.training.kfold; 1: fold 0 only, evaluated on its test split).
EWKINO_KFOLD = int((ewkino_settings().get("training") or {}).get("kfold", 1))


def ewkino_fold_models(region, name):
    """The file ``name`` of each fold's ensemble of a region (pt<threshold>) from the shared rules train_nn /
    export_onnx (model nn, folds 0..k-1 in fold order; for model.onnx the paths of fold_onnx_models in common.smk):
    model.pt, model.onnx, metrics.json, onnx_parity.json, ..."""
    return [R(f"training/ewkino/{region}/nn/fold{fold}/{name}") for fold in range(EWKINO_KFOLD)]


def ewkino_importance_models(region):
    """The models the permutation importance of a region scores with: model.pt of kfold 1 (its test split); the
    k >= 2 fold ONNX models (every event scored out of fold)."""
    return ewkino_fold_models(region, "model.pt" if EWKINO_KFOLD == 1 else "model.onnx")


def ewkino_targets():
    """Ewkino-only outputs (training, ONNX, significance, threshold gain, importance), [] when disabled.

    The shared outputs (cutflow, cross sections, limits, contours) come from the loop of all_targets().
    """
    if not EWKINO_ENABLED:
        return []
    targets = [path for t in EWKINO_THRESHOLDS for f in ["metrics.json", "model.onnx", "onnx_parity.json"]
               for path in ewkino_fold_models(f"pt{t}", f)]
    targets += expand(
        R("training/ewkino/pt{ptmin}/{f}"),
        ptmin=EWKINO_THRESHOLDS,
        f=["significance.csv", "importance.csv", "importance.png"],
    )
    targets += expand(R("analysis/ewkino/inputs/pt{ptmin}/multiplicity.csv"), ptmin=EWKINO_THRESHOLDS)
    if len(EWKINO_THRESHOLDS) >= 2:
        targets += expand(R("training/ewkino/threshold_gain.{ext}"), ext=["csv", "md"])
    return targets


EWKINO_PTMIN_RE = _alternatives(EWKINO_THRESHOLDS)


def ewkino_threshold_tables():
    """Significance tables and per-event score tables of the lowest ('low') and highest ('high') PF thresholds, for
    the gain table and its paired bootstrap."""
    if len(EWKINO_THRESHOLDS) < 2:
        return {}
    low, high = EWKINO_THRESHOLDS[0], EWKINO_THRESHOLDS[-1]
    return {
        "low": R(f"training/ewkino/pt{low}/significance.csv"),
        "high": R(f"training/ewkino/pt{high}/significance.csv"),
        "low_scores": R(f"training/ewkino/pt{low}/scores.csv.gz"),
        "high_scores": R(f"training/ewkino/pt{high}/scores.csv.gz"),
    }


EXTRA_TARGETS.extend(ewkino_targets())
