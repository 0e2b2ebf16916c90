# Helpers shared by the rules: config validation, sample/grid tables, target lists.
# Everything the DAG depends on is computed here at parse time from config tables.

import json
import re
from pathlib import Path

from susyscan.config import config_hash, semantic_checks, validate_config
from susyscan.errors import UnknownSampleError


class DeclaredSamples(dict):
    """Samples by name; an undeclared name (e.g. in a requested target) is an error listing the declared ones."""

    def __missing__(self, name):
        raise UnknownSampleError(f"unknown sample '{name}' (declared: {sorted(self)})")


validate_config(config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")
SAMPLES_BY_ANALYSIS = semantic_checks(config)
SAMPLES = DeclaredSamples({s.name: s for samples in SAMPLES_BY_ANALYSIS.values() for s in samples})
# Recast grids (workflow/rules/recast.smk): their points are generated like any sample.
from susyscan.recast.workflow import merge_samples, recast_grid_samples, recast_settings

RECAST = recast_settings(config, workflow.basedir)
RECAST_GRIDS = recast_grid_samples(RECAST, config)
SAMPLES = DeclaredSamples(merge_samples(SAMPLES, [p for points in RECAST_GRIDS.values() for p in points]))
ANALYSES = sorted(SAMPLES_BY_ANALYSIS)
REGIONS = sorted(config["training"]["regions"])
MODELS = ["nn", "bdt"]
KFOLD = int(config["training"]["kfold"])
FOLDS = list(range(KFOLD))
LUMIS = [f"{lumi:g}" for lumi in config["statistics"]["luminosities_ifb"]]
CONFIG_HASH = config_hash(config, ["seed", "sqrt_s_gev", "detector"])


def _alternatives(names):
    """A regex matching exactly the given names (and nothing when there are none)."""
    return "|".join(re.escape(n) for n in names) if names else "(?!x)x"


def sample_spec(wildcards):
    """The declared sample as a plain dict (for scripts); an unknown sample is an error naming it."""
    try:
        sample = SAMPLES[wildcards.sample]
    except KeyError:
        raise ValueError(f"unknown sample '{wildcards.sample}' (declared: {sorted(SAMPLES)})") from None
    spec = {k: getattr(sample, k) for k in ("name", "process", "source", "n_events", "n_chunks", "path", "is_signal", "xsec_pb", "filter")}
    spec["masses"] = dict(sample.masses)
    spec["analyses"] = list(sample.analyses)
    return spec


def generator_filter(wildcards):
    """The generator filter of a sample as {name, description, thresholds...}, {} when it has none."""
    name = SAMPLES[wildcards.sample].filter
    if not name:
        return {}
    return {"name": name, **config["generation"]["filters"][name]}


def detector_options():
    """Detector settings that are not in the card file (jet radius, PF threshold)."""
    return {k: config["detector"][k] for k in ("large_jet_radius", "pfcand_pt_min")}


def chunk_events(wildcards):
    """Events to generate in this (sample, chunk)."""
    return SAMPLES[wildcards.sample].events_in_chunk(int(wildcards.chunk))


def generated_samples():
    """Names of samples produced by Pythia (not ingested)."""
    return [name for name, s in SAMPLES.items() if s.source == "generate"]


def ingested_samples():
    """Names of samples read from user files."""
    return [name for name, s in SAMPLES.items() if s.source == "ingest"]


GENERATED_RE = _alternatives(generated_samples())
INGESTED_RE = _alternatives(ingested_samples())


def ingest_input(wildcards):
    """The user's event file of an ingested sample."""
    return SAMPLES[wildcards.sample].path


def sample_chunks(wildcards):
    """Event files of every chunk of a sample."""
    sample = SAMPLES[wildcards.sample]
    return [f"results/events/{sample.name}/chunk{c}.root" for c in range(sample.n_chunks)]


def chunk_features(wildcards):
    """Per-chunk feature CSVs of a sample within an analysis."""
    sample = SAMPLES[wildcards.sample]
    return [f"results/analysis/{wildcards.analysis}/features/{sample.name}/chunk{c}.csv.gz" for c in range(sample.n_chunks)]


def chunk_cutflows(wildcards):
    """Per-chunk cutflow JSONs of a sample within an analysis."""
    return [p.replace(".csv.gz", ".cutflow.json") for p in chunk_features(wildcards)]


def all_cutflows(wildcards):
    """Per-chunk cutflow JSONs of every sample of the analysis."""
    out = []
    for sample in SAMPLES_BY_ANALYSIS[wildcards.analysis]:
        out += [f"results/analysis/{wildcards.analysis}/features/{sample.name}/chunk{c}.cutflow.json" for c in range(sample.n_chunks)]
    return out


def background_names(analysis):
    """Background samples of an analysis."""
    return [s.name for s in SAMPLES_BY_ANALYSIS[analysis] if not s.is_signal]


def grid_points(analysis, train_only=False):
    """Signal grid points of an analysis."""
    return [s for s in SAMPLES_BY_ANALYSIS[analysis] if s.is_signal and (s.train or not train_only)]


def training_features(wildcards):
    """Merged feature CSVs used in training: backgrounds and the training grid points."""
    names = background_names(wildcards.analysis) + [p.name for p in grid_points(wildcards.analysis, train_only=True)]
    return [f"results/analysis/{wildcards.analysis}/features/{name}.csv.gz" for name in names]


def background_features(wildcards):
    """Merged feature CSVs of the backgrounds of an analysis."""
    return [f"results/analysis/{wildcards.analysis}/features/{name}.csv.gz" for name in background_names(wildcards.analysis)]


def fold_onnx_models(analysis, region, model):
    """The k exported fold models of a (region, model), in fold order."""
    return [f"results/training/{analysis}/{region}/{model}/fold{fold}/model.onnx" for fold in FOLDS]


def onnx_models(wildcards):
    """All exported fold models of an analysis, keyed region_model_fold<f>."""
    return {
        f"{region}_{model}_fold{fold}": path
        for region in REGIONS
        for model in MODELS
        for fold, path in enumerate(fold_onnx_models(wildcards.analysis, region, model))
    }


def scan_yields(wildcards):
    """Per-point yield tables over the grid."""
    return [f"results/scan/{wildcards.analysis}/yields/{p.name}.csv" for p in grid_points(wildcards.analysis)]


def signal_first_chunks(wildcards):
    """Chunk 0 of every grid point of the analysis (its metadata holds the LO and NLO cross sections)."""
    return [f"results/events/{p.name}/chunk0.root" for p in grid_points(wildcards.analysis)]


def all_targets():
    """Final outputs of the default target - cutflows, training summaries, CLs tables and contour plots."""
    targets = []
    for analysis in ANALYSES:
        targets += expand("results/analysis/{a}/cutflow.{ext}", a=analysis, ext=["csv", "md", "tex", "png"])
        if analysis != "ewkino":  # the ewkino networks are trained per PF threshold: ewkino_targets()
            targets += expand("results/training/{a}/{r}/{m}/{f}", a=analysis, r=REGIONS, m=MODELS, f=["metrics.json", "performance.csv"])
        targets.append(f"results/generation/{analysis}_cross_sections.csv")
        targets.append(f"results/limits/{analysis}/cls.csv")
        targets.append(f"results/plots/{analysis}/mass_reach.csv")
        targets += expand("results/plots/{a}/contour_{lumi}ifb.{fmt}", a=analysis, lumi=LUMIS, fmt=config["plots"]["formats"])
    targets += ewkino_targets()  # defined in the ewkino section at the end of this file
    return targets


def analysis_config(wildcards):
    """The analysis YAML (objects, cuts, features) of the analysis wildcard."""
    return config["analyses"][wildcards.analysis]["config"]


def cut_overrides(wildcards):
    """Cut name -> expression replacing cuts of the analysis YAML (config analyses.<name>.cut_overrides)."""
    return dict(config["analyses"][wildcards.analysis].get("cut_overrides", {}))


def cutflow_luminosity(wildcards):
    """Luminosity (fb^-1) of the cutflow tables of the analysis wildcard."""
    return config["analyses"][wildcards.analysis]["cutflow_luminosity_ifb"]


def region_bounds(wildcards):
    """[m_min, m_max) of the training mass region wildcard."""
    return config["training"]["regions"][wildcards.region]


DATASET_SPLITS = ("train", "val", "test", "heldout")  # heldout: the fold's events, scored by its model only


def dataset_paths(analysis, region, fold):
    """Tables and meta JSON of the dataset of (region, fold): keys train, val, test, heldout, meta."""
    base = f"results/training/{analysis}/dataset/{region}/fold{fold}"
    paths = {split: f"{base}.{split}.csv.gz" for split in DATASET_SPLITS}
    paths["meta"] = f"{base}.json"
    return paths


# Inputs of the training and export rules: the fold's train/val/test tables and meta JSON - never its held-out table.
DATASET_INPUTS = {k: v for k, v in dataset_paths("{analysis}", "{region}", "{fold}").items() if k != "heldout"}


def native_model(wildcards):
    """The trained native model (torch state or xgboost JSON) of a region, model type and fold."""
    suffix = {"nn": "model.pt", "bdt": "model.json"}[wildcards.model]
    return f"results/training/{wildcards.analysis}/{wildcards.region}/{wildcards.model}/fold{wildcards.fold}/{suffix}"


def fold_evaluation_inputs(wildcards):
    """Inputs of the out-of-fold evaluation of a (region, model): per fold its ONNX model, in-fold metrics,
    held-out table and meta JSON (keys onnx_<f>, metrics_<f>, heldout_<f>, meta_<f>)."""
    a, r, m = wildcards.analysis, wildcards.region, wildcards.model
    inputs = {}
    for fold, onnx in enumerate(fold_onnx_models(a, r, m)):
        paths = dataset_paths(a, r, fold)
        inputs[f"onnx_{fold}"] = onnx
        inputs[f"metrics_{fold}"] = f"results/training/{a}/{r}/{m}/fold{fold}/metrics.json"
        inputs[f"heldout_{fold}"] = paths["heldout"]
        inputs[f"meta_{fold}"] = paths["meta"]
    return inputs



MODEL_LABELS = {"nn": "NN", "bdt": "BDT"}
N_DYNAMIC_VETOES = 6


def signal_regions(wildcards):
    """Signal regions of the scan: one ONNX score cut per (mass region, model), each event scored by the fold
    model that held it out (``models`` in fold order), then the cut-and-count baselines."""
    regions = [
        {"name": f"{MODEL_LABELS[model]} {region}", "kind": "onnx",
         "models": fold_onnx_models(wildcards.analysis, region, model)}
        for model in MODELS
        for region in REGIONS
    ]
    regions.append({"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"})
    regions += [
        {"name": f"Dynamic veto {i}", "kind": "flag", "column": f"sr_dynamic_veto_{i}"}
        for i in range(1, N_DYNAMIC_VETOES + 1)
    ]
    return regions


def point_masses(wildcards):
    """[m_parent, m_lsp] of a grid point (recorded even when no event passes the preselection)."""
    point = SAMPLES[wildcards.sample]
    return [point.m_parent, point.m_lsp]


# --- ewkino analysis helpers ---
# Parse-time helpers of workflow/rules/ewkino.smk (squark + electroweakino analysis, docs/analysis_ewkino.md).
# Paths: inputs results/analysis/ewkino/inputs/pt{ptmin}/{sample}/chunk{chunk}.npz (one set per PF threshold),
# cutflows results/analysis/ewkino/features/{sample}/chunk{chunk}.cutflow.json (read by the shared `cutflow`
# rule), models results/training/ewkino/pt{ptmin}/, scan tables results/scan/ewkino/ (read by `limits`).

EWKINO = "ewkino"
EWKINO_ENABLED = EWKINO in SAMPLES_BY_ANALYSIS


def ewkino_settings():
    """The analyses.ewkino config block (schema defaults filled)."""
    return config["analyses"].get(EWKINO, {})


def _ewkino_threshold_values():
    """PF-candidate thresholds (GeV) compared by the analysis: inputs.pfcand_pt_min_values of its YAML."""
    if not EWKINO_ENABLED:
        return []
    from susyscan.ewkino.config import load_ewkino_config

    cfg = load_ewkino_config(ewkino_settings()["config"])
    values = sorted(float(v) for v in cfg.inputs.pfcand_pt_min_values)
    below = [v for v in values if v < float(config["detector"]["pfcand_pt_min"])]
    if below:
        raise ValueError(
            f"{ewkino_settings()['config']}: inputs.pfcand_pt_min_values {below} lie below "
            f"detector.pfcand_pt_min={config['detector']['pfcand_pt_min']:g} (candidates not stored in the event files)"
        )
    return values


EWKINO_THRESHOLDS = [f"{v:g}" for v in _ewkino_threshold_values()]


def ewkino_scan_threshold():
    """The threshold label (e.g. '1') whose network feeds the scan yields and the limits."""
    if not EWKINO_THRESHOLDS:
        return ""
    chosen = ewkino_settings().get("scan_pfcand_pt_min")
    if chosen is None:
        return EWKINO_THRESHOLDS[0]
    label = f"{float(chosen):g}"
    if label not in EWKINO_THRESHOLDS:
        raise ValueError(
            f"config key 'analyses.ewkino.scan_pfcand_pt_min'={chosen} is not one of the thresholds {EWKINO_THRESHOLDS}"
        )
    return label


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
        f"results/analysis/ewkino/inputs/pt{ptmin}/{s.name}/chunk{c}.npz" for s in samples for c in range(s.n_chunks)
    ]


def ewkino_training_inputs(wildcards):
    """Input files (threshold wildcards.ptmin) of the backgrounds and the training grid points."""
    return _ewkino_inputs(ewkino_samples(train_only=True), wildcards.ptmin)


def ewkino_evaluation_inputs(wildcards):
    """Input files (threshold wildcards.ptmin) of every ewkino sample: backgrounds and all grid points."""
    return _ewkino_inputs(ewkino_samples(), wildcards.ptmin)


def ewkino_background_inputs(wildcards):
    """Scan-threshold input files of the ewkino backgrounds."""
    return _ewkino_inputs([s for s in ewkino_samples() if not s.is_signal], ewkino_scan_threshold())


def ewkino_point_inputs(wildcards):
    """Scan-threshold input files of one grid point (wildcards.sample)."""
    return _ewkino_inputs([SAMPLES[wildcards.sample]], ewkino_scan_threshold())


def ewkino_cutflow_source(wildcards):
    """The per-chunk cutflow written with the lowest-threshold inputs (the selection does not depend on it)."""
    return f"results/analysis/ewkino/inputs/pt{EWKINO_THRESHOLDS[0]}/{wildcards.sample}/chunk{wildcards.chunk}.cutflow.json"


def ewkino_training_config():
    """Ensemble-training options (analyses.ewkino.training) as a plain dict for TrainConfig.from_dict."""
    return json.loads(json.dumps(ewkino_settings().get("training", {})))


def ewkino_scan_onnx():
    """The ONNX ensemble whose score defines the 'nn' region of the scan yields."""
    return f"results/training/ewkino/pt{ewkino_scan_threshold()}/model.onnx"


def ewkino_targets():
    """Ewkino-only outputs (training, ONNX, significance, threshold gain, importance), [] when disabled.

    The shared outputs (cutflow, cross sections, limits, contours) come from the loop of all_targets().
    """
    if not EWKINO_ENABLED:
        return []
    targets = expand(
        "results/training/ewkino/pt{ptmin}/{f}",
        ptmin=EWKINO_THRESHOLDS,
        f=["metrics.json", "model.onnx", "onnx_parity.json", "significance.csv", "importance.csv", "importance.png"],
    )
    if len(EWKINO_THRESHOLDS) >= 2:
        targets += expand("results/training/ewkino/threshold_gain.{ext}", ext=["csv", "md"])
    return targets


EWKINO_PTMIN_RE = _alternatives(EWKINO_THRESHOLDS)
EWKINO_SAMPLE_RE = _alternatives([s.name for s in ewkino_samples()])
EWKINO_POINT_RE = _alternatives([s.name for s in ewkino_samples() if s.is_signal])


def ewkino_ptmin(wildcards):
    """The PF-candidate threshold (GeV) of the ptmin wildcard."""
    return float(wildcards.ptmin)


def ewkino_threshold_tables():
    """Significance tables of the lowest ('low') and highest ('high') PF thresholds, for the gain table."""
    if len(EWKINO_THRESHOLDS) < 2:
        return {}
    return {
        "low": f"results/training/ewkino/pt{EWKINO_THRESHOLDS[0]}/significance.csv",
        "high": f"results/training/ewkino/pt{EWKINO_THRESHOLDS[-1]}/significance.csv",
    }
