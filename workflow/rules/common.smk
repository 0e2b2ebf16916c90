# Helpers shared by the rules: config validation, sample/grid tables, target lists.
# Everything the DAG depends on is computed here at parse time from config tables.

import json
import re
from pathlib import Path

from susyscan.analyses import load_spec, signal_regions as spec_signal_regions
from susyscan.analysis.config import load_analysis_config
from susyscan.config import config_hash, results_dir, semantic_checks, validate_config
from susyscan.config.checks import training_settings
from susyscan.errors import UnknownSampleError


class DeclaredSamples(dict):
    """Samples by name; an undeclared name (e.g. in a requested target) is an error listing the declared ones."""

    def __missing__(self, name):
        raise UnknownSampleError(f"unknown sample '{name}' (declared: {sorted(self)})")


validate_config(config)  # schema: susyscan/schemas/config.schema.yaml (package data)
# Every output, log and benchmark of this run lies under RESULTS (config results_dir, default results/<run_name>),
# so that configs with different run names never overwrite each other. Rule paths are written R("events/...").
RESULTS = results_dir(config)


def R(path):
    """``path`` (a rule path, Snakemake wildcards kept as they are) under this run's results folder."""
    return f"{RESULTS}/{path}"


SAMPLES_BY_ANALYSIS = semantic_checks(config)
SAMPLES = DeclaredSamples({s.name: s for samples in SAMPLES_BY_ANALYSIS.values() for s in samples})
# Recast grids (workflow/rules/recast.smk): their points are generated like any sample.
from susyscan.recast.workflow import merge_samples, recast_grid_samples, recast_settings

RECAST = recast_settings(config, workflow.basedir)
RECAST_GRIDS = recast_grid_samples(RECAST, config)
SAMPLES = DeclaredSamples(merge_samples(SAMPLES, [p for points in RECAST_GRIDS.values() for p in points]))
ANALYSES = sorted(SAMPLES_BY_ANALYSIS)
# Each analysis is a plug-in (susyscan.analyses, docs/architecture.md): its spec gives the features, models, mass
# regions and labels; its YAML the selection and the cut-and-count signal regions. The shared rules serve every
# analysis whose spec has shared_ml; the others bring their own rules (e.g. ewkino.smk) or reach the shared NN and
# scan rules through spec hooks (train_nn / export_nn, scan_variant / scan_regions: ewkino).
SPECS = {name: load_spec(config["analyses"][name]["config"]) for name in ANALYSES}
SHARED_ML = [name for name in ANALYSES if SPECS[name].shared_ml]
# {analysis: [variant labels]} of the analyses whose spec writes model-input tables
INPUT_VARIANTS = {
    name: list(SPECS[name].input_variants(config["analyses"][name]["config"], config))
    for name in ANALYSES
    if SPECS[name].write_inputs is not None
}
# {analysis: variant} of the analyses whose scan reads model-input tables (spec scan_variant, choosing among its
# INPUT_VARIANTS without reading the YAML again): the shared scan joins the variant's tables to the feature CSVs by
# event id and scores with the fold models of the variant (its training region)
SCAN_VARIANTS = {
    name: SPECS[name].scan_variant(INPUT_VARIANTS[name], config["analyses"][name]["config"], config)
    for name in INPUT_VARIANTS
    if SPECS[name].scan_variant is not None
}
MODELS = ["nn", "bdt"]
# Extra default targets of analysis-specific rule files (appended by them, e.g. ewkino.smk).
EXTRA_TARGETS = []
# Result sets of the shared statistics and plot rules (the {analysis} wildcard of statistics.smk and plots.smk): every
# analysis under its own name, plus yield tables in the scan's contract (scan/<set>/yields/<point>.csv,
# background_yields.csv) that an analysis' own rules write (multiclass_common.smk: "<analysis>/ml", e.g. the stau
# networks' regions "stau/ml").
# Each set names the analysis whose grid points, YAML and plot labels it uses, and its contour curves: "methods",
# [(curve name, region-name prefixes)] in colour order, or None for the analysis spec's
# (susyscan.plotting.labels.default_methods).
RESULT_SETS = {name: {"analysis": name, "methods": None} for name in ANALYSES}


def set_analysis(name):
    """The analysis of a result set (the analysis itself for an analysis' own set)."""
    return RESULT_SETS[name]["analysis"]



def analysis_training(analysis):
    """ML training settings of an analysis: config analyses.<name>.training (schema defaults inserted)."""
    return training_settings(config, analysis)


def analysis_kfold(analysis):
    """Number of folds k of an analysis' k-fold training (an analysis with model-input tables: the kfold of its
    dataset options, as rule prepare_block_dataset builds them, block_options; default 1)."""
    if analysis in INPUT_VARIANTS:
        return int(block_options(analysis).get("kfold", 1))
    return int(analysis_training(analysis)["kfold"])


def analysis_regions(analysis):
    """Training regions {name: [min, max)} of an analysis: its spec's mass regions, else its training.regions; for
    an analysis with model-input tables (spec write_inputs) its input variants, each the whole grid (ewkino: one
    region per PF threshold, docs/analysis_ewkino.md, "On the shared ML stages")."""
    if analysis in INPUT_VARIANTS:
        return {variant: [0.0, float("inf")] for variant in INPUT_VARIANTS[analysis]}
    return SPECS[analysis].regions(analysis_training(analysis)["regions"])


def analysis_models(analysis):
    """ML models (nn, bdt) of an analysis."""
    return list(SPECS[analysis].models)


# Region names of the {region} wildcard: the mass regions of the shared-ML analyses and the input variants of the
# analyses with model-input tables (without either: those of any configured analysis).
REGIONS = sorted({region for name in [*SHARED_ML, *INPUT_VARIANTS] for region in analysis_regions(name)}) or sorted(
    {region for entry in config["analyses"].values() for region in (entry.get("training") or {}).get("regions", {})}
)
LUMIS = [f"{lumi:g}" for lumi in config["statistics"]["luminosities_ifb"]]
# Keys the schema marks x-hash-omit-default (detector.tau_truth_tagging) enter the hash only when not at their
# default: runs that leave them there keep the hash (and the event files) they had (config.validate.HASH_OMIT_DEFAULT)
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
    """Detector settings that are not in the card file (jet radius, PF threshold; tau truth tagging when on)."""
    options = {k: config["detector"][k] for k in ("large_jet_radius", "pfcand_pt_min")}
    if config["detector"]["tau_truth_tagging"]:
        options["tau_truth_tagging"] = True
    return options


def chunk_events(wildcards):
    """Events to generate in this (sample, chunk)."""
    return SAMPLES[wildcards.sample].events_in_chunk(int(wildcards.chunk))


def generated_samples():
    """Names of samples produced by Pythia (not ingested)."""
    return [name for name, s in SAMPLES.items() if s.source == "generate"]


def ingested_samples():
    """Names of samples read from user files."""
    return [name for name, s in SAMPLES.items() if s.source == "ingest"]


def kfactor_samples():
    """Generated samples normalised with a table K-factor (their process or a component of it): each gets one
    K-factor file (rule kfactor_reference) that all its chunks read."""
    from susyscan.generation.processes import kfactor_processes

    return [n for n in generated_samples() if kfactor_processes(SAMPLES[n].process, float(config["sqrt_s_gev"]))]


def kfactor_tables(wildcards):
    """The NLO table files behind a sample's K-factors, inputs of rule kfactor_reference (a changed table reruns it)."""
    from susyscan.generation.processes import get_process, kfactor_processes
    from susyscan.generation.xsec import table_path

    names = kfactor_processes(SAMPLES[wildcards.sample].process, float(config["sqrt_s_gev"]))
    return sorted({str(table_path(get_process(n).kfactor_table)) for n in names})


SHARED_ML_RE = _alternatives(SHARED_ML)  # analyses served by the shared training and scan rules
SCAN = [*SHARED_ML, *SCAN_VARIANTS]  # analyses served by the scan rules (scan.smk)
SCAN_RE = _alternatives(SCAN)
GENERATED_RE = _alternatives(generated_samples())
KFACTOR_RE = _alternatives(kfactor_samples())
INGESTED_RE = _alternatives(ingested_samples())


def kfactor_input(wildcards):
    """{"kfactor": the sample's K-factor file} for a sample normalised with a table K-factor, else {}."""
    if re.fullmatch(KFACTOR_RE, wildcards.sample):
        return {"kfactor": R(f"generation/kfactor/{wildcards.sample}.json")}
    return {}


def ingest_input(wildcards):
    """The user's event file of an ingested sample."""
    return SAMPLES[wildcards.sample].path


def sample_chunks(wildcards):
    """Event files of every chunk of a sample."""
    sample = SAMPLES[wildcards.sample]
    return [R(f"events/{sample.name}/chunk{c}.root") for c in range(sample.n_chunks)]


def chunk_features(wildcards):
    """Per-chunk feature CSVs of a sample within an analysis."""
    sample = SAMPLES[wildcards.sample]
    return [R(f"analysis/{wildcards.analysis}/features/{sample.name}/chunk{c}.csv.gz") for c in range(sample.n_chunks)]


def chunk_cutflows(wildcards):
    """Per-chunk cutflow JSONs of a sample within an analysis."""
    return [p.replace(".csv.gz", ".cutflow.json") for p in chunk_features(wildcards)]


def all_cutflows(wildcards):
    """Per-chunk cutflow JSONs of every sample of the analysis."""
    out = []
    for sample in SAMPLES_BY_ANALYSIS[wildcards.analysis]:
        out += [R(f"analysis/{wildcards.analysis}/features/{sample.name}/chunk{c}.cutflow.json") for c in range(sample.n_chunks)]
    return out


def background_names(analysis):
    """Background samples of an analysis."""
    return [s.name for s in SAMPLES_BY_ANALYSIS[analysis] if not s.is_signal]


def grid_points(analysis, train_only=False):
    """Signal grid points of an analysis."""
    return [s for s in SAMPLES_BY_ANALYSIS[analysis] if s.is_signal and (s.train or not train_only)]


def training_features(wildcards):
    """Tables used in training, backgrounds then the training grid points: the merged feature CSVs, or for an
    analysis with model-input tables the chunk tables of the region's variant (analysis/<a>/inputs/<region>/...)."""
    a = wildcards.analysis
    names = background_names(a) + [p.name for p in grid_points(a, train_only=True)]
    if a in INPUT_VARIANTS:
        return [R(f"analysis/{a}/inputs/{wildcards.region}/{name}/chunk{c}.npz")
                for name in names for c in range(SAMPLES[name].n_chunks)]
    return [R(f"analysis/{a}/features/{name}.csv.gz") for name in names]


def background_features(wildcards):
    """Merged feature CSVs of the backgrounds of an analysis."""
    return [R(f"analysis/{wildcards.analysis}/features/{name}.csv.gz") for name in background_names(wildcards.analysis)]


def scale_envelope_event_files(analysis):
    """Event files of the ingested backgrounds of an analysis, {sample: [chunk files]} (only ingested LHE files carry
    per-event muR/muF weights; the generated samples are logged as without)."""
    ingested = set(ingested_samples())
    return {s: [R(f"events/{s}/chunk{c}.root") for c in range(SAMPLES[s].n_chunks)]
            for s in background_names(analysis) if s in ingested}


def scale_envelope_input(wildcards):
    """The scan's per-region scale envelopes of the backgrounds, when statistics.scale_envelope_scenarios is set
    (analyses of the shared scan only)."""
    if config["statistics"]["scale_envelope_scenarios"] and wildcards.analysis in SHARED_ML:
        return R(f"scan/{wildcards.analysis}/background_scale_envelopes.csv")
    return []


def scale_envelope_scenarios(wildcards):
    """Scenarios taking the per-region scale envelope; none for an analysis outside the shared ML rules (whose
    envelope scores feature-CSV model inputs; ewkino: no envelope), which keeps the flat fractions."""
    return list(config["statistics"]["scale_envelope_scenarios"]) if wildcards.analysis in SHARED_ML else []


def fold_onnx_models(analysis, region, model):
    """The k exported fold models of a (region, model), in fold order."""
    return [R(f"training/{analysis}/{region}/{model}/fold{fold}/model.onnx") for fold in range(analysis_kfold(analysis))]


def onnx_models(wildcards):
    """The exported fold models of the scan's training regions of an analysis (scan_training_regions: its scan
    variant, else every mass region), keyed region_model_fold<f>."""
    return {
        f"{region}_{model}_fold{fold}": path
        for region in scan_training_regions(wildcards.analysis)
        for model in analysis_models(wildcards.analysis)
        for fold, path in enumerate(fold_onnx_models(wildcards.analysis, region, model))
    }


def scan_yields(wildcards):
    """Per-point yield tables over the grid of a result set."""
    return [R(f"scan/{wildcards.analysis}/yields/{p.name}.csv") for p in grid_points(set_analysis(wildcards.analysis))]


def signal_first_chunks(wildcards):
    """Chunk 0 of every grid point of the analysis (its metadata holds the LO and NLO cross sections)."""
    return [R(f"events/{p.name}/chunk0.root") for p in grid_points(wildcards.analysis)]


def all_targets():
    """Final outputs of the default target - cutflows, training summaries, CLs tables and contour plots."""
    targets = []
    for analysis in ANALYSES:
        targets += expand(R("analysis/{a}/cutflow.{ext}"), a=analysis, ext=["csv", "md", "tex", "png"])
        if analysis in SHARED_ML:
            targets += expand(R("training/{a}/{r}/{m}/{f}"), a=analysis, r=analysis_regions(analysis),
                              m=analysis_models(analysis), f=["metrics.json", "performance.csv"])
        targets.append(R(f"generation/{analysis}_cross_sections.csv"))
    for name in RESULT_SETS:
        targets.append(R(f"limits/{name}/cls.csv"))
        targets.append(R(f"plots/{name}/mass_reach.csv"))
        targets += expand(R("plots/{a}/contour_{lumi}ifb.{fmt}"), a=name, lumi=LUMIS, fmt=config["plots"]["formats"])
    return targets + EXTRA_TARGETS


def analysis_config(wildcards):
    """The analysis YAML (objects, cuts, signal regions, module) of the analysis (or result set) wildcard."""
    return config["analyses"][set_analysis(wildcards.analysis)]["config"]


def analysis_module(wildcards):
    """The spec module file of the analysis wildcard when its YAML names a .py file ([] for a package module)."""
    reference = load_yaml_key(analysis_config(wildcards), "module")
    if reference and str(reference).endswith(".py"):
        return str(Path(analysis_config(wildcards)).parent / reference)
    return []


def load_yaml_key(path, key):
    import yaml

    with open(path) as handle:
        return (yaml.safe_load(handle) or {}).get(key)


def event_features(wildcards):
    """The event features every chunk feature CSV of the analysis holds (its spec's features)."""
    return list(SPECS[wildcards.analysis].features)


def model_inputs(wildcards):
    """The model inputs of the analysis (spec features + derived, in ONNX order)."""
    return SPECS[wildcards.analysis].model_inputs


def cut_overrides(wildcards):
    """Cut name -> expression replacing cuts of the analysis YAML (config analyses.<name>.cut_overrides)."""
    return dict(config["analyses"][wildcards.analysis].get("cut_overrides", {}))


def cutflow_luminosity(wildcards):
    """Luminosity (fb^-1) of the cutflow tables of the analysis wildcard."""
    return config["analyses"][wildcards.analysis]["cutflow_luminosity_ifb"]


def region_bounds(wildcards):
    """[m_min, m_max) of the training mass region wildcard (of the analysis wildcard)."""
    return analysis_regions(wildcards.analysis)[wildcards.region]


DATASET_SPLITS = ("train", "val", "test", "heldout")  # heldout: the fold's events, scored by its model only


def dataset_paths(analysis, region, fold):
    """Tables and meta JSON of the dataset of (region, fold): keys train, val, test, heldout, meta."""
    base = R(f"training/{analysis}/dataset/{region}/fold{fold}")
    paths = {split: f"{base}.{split}.csv.gz" for split in DATASET_SPLITS}
    paths["meta"] = f"{base}.json"
    return paths


def block_dataset_paths(analysis, region, fold):
    """dataset_paths of an analysis with model-input tables: .npz split tables (rule prepare_block_dataset)."""
    return {k: v.replace(".csv.gz", ".npz") for k, v in dataset_paths(analysis, region, fold).items()}


def block_options(analysis):
    """build_dataset options of an analysis with model-input tables: its spec's extra["dataset_options"] (e.g.
    kfold, split_scheme, balance), the number of folds replaced by its training's kfold when it sets one
    (analyses.<name>.training.kfold, e.g. ewkino)."""
    options = dict(SPECS[analysis].extra.get("dataset_options", {}))
    training = config["analyses"][analysis].get("training") or {}
    if "kfold" in training:
        options["kfold"] = int(training["kfold"])
    return options


def block_dataset_options(wildcards):
    """:func:`block_options` of the analysis wildcard (rule prepare_block_dataset)."""
    return block_options(wildcards.analysis)


def native_model(wildcards):
    """The trained native model (torch state or xgboost JSON) of a region, model type and fold."""
    suffix = {"nn": "model.pt", "bdt": "model.json"}[wildcards.model]
    return R(f"training/{wildcards.analysis}/{wildcards.region}/{wildcards.model}/fold{wildcards.fold}/{suffix}")


def fold_evaluation_inputs(wildcards):
    """Inputs of the out-of-fold evaluation of a (region, model): per fold its ONNX model, in-fold metrics,
    held-out table and meta JSON (keys onnx_<f>, metrics_<f>, heldout_<f>, meta_<f>)."""
    a, r, m = wildcards.analysis, wildcards.region, wildcards.model
    inputs = {}
    for fold, onnx in enumerate(fold_onnx_models(a, r, m)):
        paths = dataset_paths(a, r, fold)
        inputs[f"onnx_{fold}"] = onnx
        inputs[f"metrics_{fold}"] = R(f"training/{a}/{r}/{m}/fold{fold}/metrics.json")
        inputs[f"heldout_{fold}"] = paths["heldout"]
        inputs[f"meta_{fold}"] = paths["meta"]
    return inputs


def signal_regions(wildcards):
    """Signal regions of the scan: one ONNX score cut per (model, mass region) of the analysis spec, each event
    scored by the fold model that held it out (``models`` in fold order), then the cut-and-count regions of the
    analysis YAML (``baselines.regions``, named by their labels); or the regions the spec names (scan_regions), its
    ML regions scored by the fold models of its scan variant."""
    a = wildcards.analysis
    return spec_signal_regions(SPECS[a], lambda: load_analysis_config(analysis_config(wildcards)), analysis_regions(a),
                               lambda region, model: fold_onnx_models(a, region, model), SCAN_VARIANTS.get(a))


def point_masses(wildcards):
    """[m_parent, m_lsp] of a grid point (recorded even when no event passes the preselection)."""
    point = SAMPLES[wildcards.sample]
    return [point.m_parent, point.m_lsp]


def scan_training_regions(analysis):
    """Training regions whose fold models the scan uses: the scan variant, else every mass region."""
    return [SCAN_VARIANTS[analysis]] if analysis in SCAN_VARIANTS else list(analysis_regions(analysis))


def scan_tables(analysis, samples):
    """{sample: model-input tables of its chunks} of the scan variant ({} for an analysis without one)."""
    if analysis not in SCAN_VARIANTS:
        return {}
    variant = SCAN_VARIANTS[analysis]
    return {s: [R(f"analysis/{analysis}/inputs/{variant}/{s}/chunk{c}.npz") for c in range(SAMPLES[s].n_chunks)]
            for s in samples}


def point_tables(wildcards):
    """Model-input tables of one grid point ([] without a scan variant)."""
    return scan_tables(wildcards.analysis, [wildcards.sample]).get(wildcards.sample, [])


def background_tables(wildcards):
    """{background: its model-input tables} ({} without a scan variant)."""
    return scan_tables(wildcards.analysis, background_names(wildcards.analysis))


def scan_feature_names(wildcards):
    """Model inputs that are feature-CSV columns ([] when they are the blocks of model-input tables)."""
    return [] if wildcards.analysis in SCAN_VARIANTS else model_inputs(wildcards)




def model_input_events(wildcards):
    """The event file of a model-input table; a variant or sample outside the analysis is an error naming it."""
    variants = INPUT_VARIANTS[wildcards.analysis]
    if wildcards.variant not in variants:
        raise ValueError(f"analysis {wildcards.analysis}: unknown model-input variant {wildcards.variant!r} ({variants})")
    if wildcards.sample not in {s.name for s in SAMPLES_BY_ANALYSIS[wildcards.analysis]}:
        raise ValueError(f"analysis {wildcards.analysis}: sample {wildcards.sample!r} is not one of its samples")
    return R(f"events/{wildcards.sample}/chunk{wildcards.chunk}.root")
BLOCK_ML_RE = _alternatives(sorted(INPUT_VARIANTS))  # analyses whose datasets are built from model-input tables
# Analyses whose NN the shared rules train_nn / export_onnx train and export: the shared-ML analyses, and those with
# model-input tables whose spec has the model "nn" and its own NN stage (spec train_nn / export_nn, e.g. ewkino's
# ensemble: docs/analysis_ewkino.md, "On the shared ML stages").
NN_ML = [*SHARED_ML, *(a for a in sorted(INPUT_VARIANTS)
                       if "nn" in SPECS[a].models and SPECS[a].train_nn is not None and SPECS[a].export_nn is not None)]
NN_ML_RE = _alternatives(NN_ML)


def fold_dataset_inputs(wildcards):
    """The fold's train/val/test tables and meta JSON (never its held-out table): .npz tables for an analysis with
    model-input tables, else .csv.gz."""
    paths = (block_dataset_paths if wildcards.analysis in INPUT_VARIANTS else dataset_paths)(
        wildcards.analysis, wildcards.region, wildcards.fold)
    return {k: v for k, v in paths.items() if k != "heldout"}


def nn_settings(wildcards):
    """NN settings of the train_nn rule: the shared-ML analyses' training.nn; for an analysis with its own NN stage
    (spec train_nn) its whole analyses.<name>.training block as configured (e.g. ewkino's TrainConfig)."""
    if wildcards.analysis in SHARED_ML:
        return analysis_training(wildcards.analysis)["nn"]
    return json.loads(json.dumps(config["analyses"][wildcards.analysis].get("training", {})))


def export_score_threshold(wildcards):
    """Score cut recorded in the exported model: the analysis' own score_threshold when it sets one outside the
    shared scan (analyses.<name>.score_threshold, e.g. ewkino), else the scan's."""
    if wildcards.analysis not in SHARED_ML and "score_threshold" in config["analyses"][wildcards.analysis]:
        return config["analyses"][wildcards.analysis]["score_threshold"]
    return config["scan"]["score_threshold"]
