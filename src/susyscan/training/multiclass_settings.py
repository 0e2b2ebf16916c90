"""Settings of the multiclass rules (``workflow/rules/multiclass.smk``) of an analysis whose spec has
``multiclass=True`` (stau): the analysis definition from the ML YAML next to the analysis YAML
(``<stem>_ml.yaml``), the run settings from the run config's ``analyses.<name>.ml`` (schema
``$defs/multiclass_ml``, defaults inserted: the one source of their defaults, none here). A light module: the
Snakefile imports it while parsing."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from susyscan.errors import ConfigError

#: The networks compared, as (key, label): the label starts each ML region's name ("<label> <category>") and names
#: its contour curve (workflow/rules/multiclass_common.smk).
METHODS: tuple[tuple[str, str], ...] = (("dnn", "DNN"), ("sign", "DNN+SIGN"))

#: Keys of the analysis' ML YAML that define the analysis; the run settings come from the run config
#: (``analyses.<name>.ml``, schema defaults inserted) and may not be set in the YAML as well.
DEFINITION_KEYS: tuple[str, ...] = ("module", "classes", "class_column", "category_column", "categories")


def merge_ml_settings(definition: Mapping[str, Any], run: Mapping[str, Any], source: str,
                      analysis: str) -> dict[str, Any]:
    """The settings of the multiclass rules: the analysis definition (``DEFINITION_KEYS`` of ``source``) plus the
    run config's ``analyses.<analysis>.ml`` block. A run setting also present in the YAML is an error naming both
    places, so that no value is silently ignored."""
    doubled = sorted(set(definition) - set(DEFINITION_KEYS))
    if doubled:
        raise ConfigError(f"{source}: keys {doubled} are not analysis-definition keys {list(DEFINITION_KEYS)}; run "
                          f"settings (kfold, seed, bank_fraction, network, sign, ...) belong under "
                          f"analyses.{analysis}.ml of the run config (schema defaults apply)")
    missing = [key for key in DEFINITION_KEYS if key not in definition]
    if missing:
        raise ConfigError(f"{source}: missing keys {missing}")
    return {**copy.deepcopy(dict(run)), **copy.deepcopy(dict(definition))}


def ml_yaml_path(analysis_yaml: str | Path) -> Path:
    """The ML YAML of an analysis: ``<stem>_ml.yaml`` next to its analysis YAML."""
    path = Path(analysis_yaml)
    return path.with_name(f"{path.stem}_ml.yaml")


def load_ml_settings(analysis: str, analysis_config: Mapping[str, Any]) -> dict[str, Any]:
    """The multiclass settings of ``analysis`` from its run-config block ``analysis_config`` (``analyses.<name>``:
    ``config``, the analysis YAML, and ``ml``): :func:`merge_ml_settings` of its ML YAML and ``ml``, with ``path``
    (the ML YAML). Every category's feature list must be an attribute of the YAML's ``module`` (ConfigError naming
    the file and the category). A missing ``ml`` block is a ConfigError naming the key: the schema gives it no
    default for plug-ins (``$defs/analysis``), so that their validated configs carry none unless they use it."""
    if "ml" not in analysis_config:
        raise ConfigError(f"analysis {analysis!r} declares multiclass networks (spec multiclass=True), but the run "
                          f"config has no 'analyses.{analysis}.ml' (set 'ml: {{}}' there for the defaults of the "
                          f"schema's $defs/multiclass_ml)")
    path = ml_yaml_path(analysis_config["config"])
    if not path.is_file():
        raise ConfigError(f"analysis {analysis!r} declares multiclass networks (spec multiclass=True), but its ML YAML "
                          f"{path} does not exist")
    with open(path) as handle:
        settings = merge_ml_settings(yaml.safe_load(handle), analysis_config["ml"], str(path), analysis)
    module = importlib.import_module(settings["module"])
    for name, category in settings["categories"].items():
        if not hasattr(module, category["features"]):
            raise ConfigError(f"{path}: categories.{name}.features: {settings['module']} has no "
                              f"{category['features']!r}")
    settings["path"] = str(path)
    return settings


def category_settings(settings: Mapping[str, Any], category: str, analysis: str) -> Mapping[str, Any]:
    """``categories.<category>`` of an analysis' settings; a category the analysis does not have (a direct caller's
    mistake: each analysis' rules admit only its own categories) is a ConfigError naming the analysis, its
    categories and its ML YAML."""
    categories = settings["categories"]
    if category not in categories:
        raise ConfigError(f"analysis {analysis!r} has no multiclass category {category!r} (its categories: "
                          f"{sorted(categories)}, {settings.get('path', 'its ML YAML')})")
    return categories[category]


def category_features(settings: Mapping[str, Any], category: str, analysis: str) -> list[str]:
    """Model inputs of a category: the attribute of the settings' ``module`` that ``categories.<category>.features``
    names."""
    module = importlib.import_module(settings["module"])
    return list(getattr(module, category_settings(settings, category, analysis)["features"]))


def category_range(settings: Mapping[str, Any], category: str, analysis: str) -> list[float]:
    """[min, max) of the category column of a category."""
    return list(category_settings(settings, category, analysis)["range"])
