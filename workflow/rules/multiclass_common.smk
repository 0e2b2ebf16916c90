# Helpers of workflow/rules/multiclass.smk (the multiclass DNN / DNN+SIGN rules of every analysis whose spec has
# multiclass=True, e.g. stau): settings, feature lists, samples, grid points, and the result set "<analysis>/ml" of
# the shared limits and contours rules. Included from the Snakefile before the shared rules (their wildcard
# constraints list the result sets).

from susyscan.training.multiclass_settings import (
    METHODS as MULTICLASS_METHODS,
    category_features,
    category_range,
    load_ml_settings,
)

# {analysis: settings}: the ML YAML (<stem>_ml.yaml next to the analysis YAML: classes, categories, feature lists)
# plus the run config's analyses.<name>.ml (network, SIGN, folds...; schema defaults inserted)
MULTICLASS_ML = {
    name: load_ml_settings(name, config["analyses"][name]) for name in ANALYSES if SPECS[name].multiclass
}
MULTICLASS_ANALYSES = list(MULTICLASS_ML)


def multiclass_features(wildcards):
    """Model inputs of a category of an analysis (the module attribute the settings name)."""
    return category_features(MULTICLASS_ML[wildcards.analysis], wildcards.category, wildcards.analysis)


def multiclass_category_range(wildcards):
    """[min, max) of the category column of a category (a ConfigError if the analysis has no such category)."""
    return category_range(MULTICLASS_ML[wildcards.analysis], wildcards.category, wildcards.analysis)


def multiclass_feature_tables(wildcards):
    """Merged feature tables of every sample of the analysis (backgrounds and grid points)."""
    return [
        R(f"analysis/{wildcards.analysis}/features/{s.name}.csv.gz") for s in SAMPLES_BY_ANALYSIS[wildcards.analysis]
    ]


def multiclass_train_samples(analysis):
    return [p.name for p in grid_points(analysis, train_only=True)]


def multiclass_points(analysis):
    """(sample, m_parent, m_lsp) of every grid point."""
    spec = SPECS[analysis]
    return [(p.name, float(p.masses[spec.grid[0]]), float(p.masses[spec.grid[1]])) for p in grid_points(analysis)]


def cut_and_count_labels(analysis):
    """Cut-and-count regions of the analysis YAML: flag column -> label."""
    cfg = load_analysis_config(config["analyses"][analysis]["config"])
    return {region.column: region.label for region in cfg.baselines}


# read once at parse time: the <analysis>/ml contour curves below and the compare rules' params
MULTICLASS_FLAG_LABELS = {name: cut_and_count_labels(name) for name in MULTICLASS_ANALYSES}


for _analysis in MULTICLASS_ANALYSES:
    # The networks' regions (yield tables of the compare rule) through the shared limits and contours rules, one
    # curve per method: each network's regions (named "<method> <category>"), then the cut-and-count regions.
    _cut_and_count = list(MULTICLASS_FLAG_LABELS[_analysis].values())
    RESULT_SETS[f"{_analysis}/ml"] = {
        "analysis": _analysis,
        "methods": [(label, [f"{label} "]) for _, label in MULTICLASS_METHODS]
        + ([("Cut and count", _cut_and_count)] if _cut_and_count else []),
    }
    EXTRA_TARGETS += [R(f"training/{_analysis}/comparison.md"), R(f"training/{_analysis}/roc.png")]
