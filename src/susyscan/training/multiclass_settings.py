"""Settings of the stau ML rules (``workflow/rules/stau.smk``): the analysis definition from the ML YAML next to the
analysis YAML, the run settings from the run config's ``analyses.stau.ml`` (schema ``$defs/stau_analysis``, defaults
inserted). A light module: the Snakefile imports it while parsing."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from susyscan.errors import ConfigError

#: The networks compared, as (key, label): the label starts each ML region's name ("<label> <category>") and names
#: its contour curve (workflow/rules/stau_common.smk).
METHODS: tuple[tuple[str, str], ...] = (("dnn", "DNN"), ("sign", "DNN+SIGN"))

#: Keys of the analysis' ML YAML that define the analysis; the run settings come from the run config
#: (``analyses.stau.ml``, schema defaults inserted) and may not be set in the YAML as well.
DEFINITION_KEYS: tuple[str, ...] = ("module", "classes", "class_column", "category_column", "categories")


def merge_ml_settings(definition: Mapping[str, Any], run: Mapping[str, Any], source: str = "ML YAML") -> dict[str, Any]:
    """The settings of the stau ML rules: the analysis definition (``DEFINITION_KEYS`` of ``source``) plus the run
    config's ``analyses.stau.ml`` block. A run setting also present in the YAML is an error naming both places, so
    that no value is silently ignored."""
    doubled = sorted(set(definition) - set(DEFINITION_KEYS))
    if doubled:
        raise ConfigError(f"{source}: keys {doubled} are not analysis-definition keys {list(DEFINITION_KEYS)}; run "
                          f"settings (kfold, seed, bank_fraction, network, sign, ...) belong under analyses.stau.ml "
                          f"of the run config (schema defaults apply)")
    missing = [key for key in DEFINITION_KEYS if key not in definition]
    if missing:
        raise ConfigError(f"{source}: missing keys {missing}")
    return {**copy.deepcopy(dict(run)), **copy.deepcopy(dict(definition))}
