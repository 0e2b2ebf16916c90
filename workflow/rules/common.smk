# Helpers shared by the rules: config validation, sample/grid tables, target lists.
# Everything the DAG depends on is computed here at parse time from config tables.

import json
import re
from pathlib import Path

from susyscan.config import config_hash, semantic_checks, validate_config

validate_config(config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")
SAMPLES_BY_ANALYSIS = semantic_checks(config)
SAMPLES = {s.name: s for samples in SAMPLES_BY_ANALYSIS.values() for s in samples}
ANALYSES = sorted(SAMPLES_BY_ANALYSIS)
REGIONS = sorted(config["training"]["regions"])
MODELS = ["nn", "bdt"]
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
    spec = {k: getattr(sample, k) for k in ("name", "process", "source", "n_events", "n_chunks", "path", "is_signal")}
    spec["masses"] = dict(sample.masses)
    spec["analyses"] = list(sample.analyses)
    return spec


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


def onnx_models(wildcards):
    """All exported models of an analysis, keyed region_model."""
    return {
        f"{region}_{model}": f"results/training/{wildcards.analysis}/{region}/{model}/model.onnx"
        for region in REGIONS
        for model in MODELS
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
        targets += expand("results/training/{a}/{r}/{m}/{f}", a=analysis, r=REGIONS, m=MODELS, f=["metrics.json", "performance.csv"])
        targets.append(f"results/generation/{analysis}_cross_sections.csv")
        targets.append(f"results/limits/{analysis}/cls.csv")
        targets.append(f"results/plots/{analysis}/mass_reach.csv")
        targets += expand("results/plots/{a}/contour_{lumi}ifb.{fmt}", a=analysis, lumi=LUMIS, fmt=config["plots"]["formats"])
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


DATASET_INPUTS = {
    split: f"results/training/{{analysis}}/dataset/{{region}}.{split}.csv.gz" for split in ("train", "val", "test")
}
DATASET_INPUTS["meta"] = "results/training/{analysis}/dataset/{region}.json"


def native_model(wildcards):
    """The trained native model (torch state or xgboost JSON) of a region and model type."""
    suffix = {"nn": "model.pt", "bdt": "model.json"}[wildcards.model]
    return f"results/training/{wildcards.analysis}/{wildcards.region}/{wildcards.model}/{suffix}"



MODEL_LABELS = {"nn": "NN", "bdt": "BDT"}
N_DYNAMIC_VETOES = 6


def signal_regions(wildcards):
    """Signal regions of the scan: one ONNX score cut per (mass region, model), then the cut-and-count baselines."""
    regions = [
        {"name": f"{MODEL_LABELS[model]} {region}", "kind": "onnx",
         "model": f"results/training/{wildcards.analysis}/{region}/{model}/model.onnx"}
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
