# Helpers of workflow/rules/stau.smk (the stau ML rules): settings, feature lists, samples, grid points, and the
# result set "stau/ml" of the shared limits and contours rules. Included from the Snakefile before the shared rules
# (their wildcard constraints list the result sets).

import importlib

import yaml

from susyscan.training.multiclass_settings import METHODS as MULTICLASS_METHODS

STAU = "stau"
STAU_ENABLED = STAU in ANALYSES


def _stau_ml_settings():
    """The stau ML settings (empty when the analysis is off): the analysis definition of the ML YAML next to the
    analysis YAML plus the run config's analyses.stau.ml (network, SIGN, folds...; schema defaults inserted)."""
    if not STAU_ENABLED:
        return {}
    from susyscan.training.multiclass_settings import merge_ml_settings

    analysis_yaml = Path(config["analyses"][STAU]["config"])
    path = analysis_yaml.with_name(f"{analysis_yaml.stem}_ml.yaml")
    with open(path) as handle:
        settings = merge_ml_settings(yaml.safe_load(handle), config["analyses"][STAU].get("ml", {}), str(path))
    features_module = importlib.import_module(settings["module"])
    for name, category in settings["categories"].items():
        if not hasattr(features_module, category["features"]):
            raise ValueError(f"{path}: categories.{name}.features: {settings['module']} has no {category['features']!r}")
    settings["path"] = str(path)
    return settings


STAU_ML = _stau_ml_settings()
STAU_CATEGORIES = list(STAU_ML.get("categories", {}))
STAU_FOLDS = list(range(int(STAU_ML.get("kfold", 5))))


def stau_features(category):
    """Model inputs of a category (the module attribute the settings name)."""
    return list(getattr(importlib.import_module(STAU_ML["module"]), STAU_ML["categories"][category]["features"]))


def stau_feature_tables(wildcards=None):
    """Merged feature tables of every stau sample (backgrounds and grid points)."""
    return [R(f"analysis/{STAU}/features/{s.name}.csv.gz") for s in SAMPLES_BY_ANALYSIS.get(STAU, [])]


def stau_train_samples():
    return [p.name for p in grid_points(STAU, train_only=True)] if STAU_ENABLED else []


def stau_points():
    """(sample, m_parent, m_lsp) of every grid point."""
    spec = SPECS[STAU]
    return [(p.name, float(p.masses[spec.grid[0]]), float(p.masses[spec.grid[1]])) for p in grid_points(STAU)]


def stau_flag_labels():
    """Cut-and-count regions of the analysis YAML: flag column -> label."""
    cfg = load_analysis_config(config["analyses"][STAU]["config"])
    return {region.column: region.label for region in cfg.baselines}


# read once at parse time: the stau/ml contour curves below and rule stau_compare's params
STAU_FLAG_LABELS = stau_flag_labels() if STAU_ENABLED else {}


if STAU_ENABLED:
    # The networks' regions (yield tables of rule stau_compare) through the shared limits and contours rules, one
    # curve per method: each network's regions (named "<method> <category>"), then the cut-and-count regions.
    _cut_and_count = list(STAU_FLAG_LABELS.values())
    RESULT_SETS[f"{STAU}/ml"] = {
        "analysis": STAU,
        "methods": [(label, [f"{label} "]) for _, label in MULTICLASS_METHODS]
        + ([("Cut and count", _cut_and_count)] if _cut_and_count else []),
    }
    EXTRA_TARGETS += [R("training/stau/comparison.md"), R("training/stau/roc.png")]
