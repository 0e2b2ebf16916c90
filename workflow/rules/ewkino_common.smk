# Parse-time helpers of workflow/rules/ewkino.smk (squark + electroweakino analysis, docs/analysis_ewkino.md).
# Paths: inputs results/analysis/ewkino/inputs/pt{ptmin}/{sample}/chunk{chunk}.npz (one set per PF threshold, written by
# the shared rule model_inputs),
# models results/training/ewkino/pt{ptmin}/nn/fold{f}/ for f < k (shared train_nn / export_onnx, fold_onnx_models of
# common.smk; k = analyses.ewkino.training.kfold, 1: fold0 only), scan tables results/scan/ewkino/ (shared scan_point /
# background_yields, read by `limits`). Cutflows and high-level feature CSVs come from the shared `select_features`
# rule (the spec's `select`).

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


def _ewkino_inputs(samples, ptmin):
    return [
        R(f"analysis/ewkino/inputs/pt{ptmin}/{s.name}/chunk{c}.npz") for s in samples for c in range(s.n_chunks)
    ]


def ewkino_evaluation_inputs(wildcards):
    """Input files (threshold wildcards.ptmin) of every ewkino sample: backgrounds and all grid points."""
    return _ewkino_inputs(SAMPLES_BY_ANALYSIS.get(EWKINO, []), wildcards.ptmin)


def ewkino_targets():
    """Ewkino-only outputs (training, ONNX, significance, threshold gain, importance), [] when disabled.

    The shared outputs (cutflow, cross sections, limits, contours) come from the loop of all_targets().
    """
    if not EWKINO_ENABLED:
        return []
    targets = [  # each fold's model of each threshold (the shared rules train_nn / export_onnx)
        str(Path(onnx).with_name(f))
        for t in EWKINO_THRESHOLDS
        for onnx in fold_onnx_models(EWKINO, f"pt{t}", "nn")
        for f in ["metrics.json", "model.onnx", "onnx_parity.json"]
    ]
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
