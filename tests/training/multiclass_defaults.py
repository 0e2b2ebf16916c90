"""Multiclass settings for the tests as the workflow builds them: the run settings from the schema defaults of
``$defs/multiclass_ml`` (through ``validate_config``, the one source of their defaults), the class column from the
stau ML YAML, and a test's own values on top."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from susyscan.config import validate_config
from susyscan.training.multiclass import MulticlassConfig
from susyscan.training.multiclass_stages import StageSettings

REPO = Path(__file__).resolve().parents[2]


def schema_ml(**run: Any) -> dict[str, Any]:
    """``analyses.stau.ml`` of a validated run config that sets ``run`` (schema defaults for every other key)."""
    config = {"analyses": {"stau": {"enabled": True, "config": "config/analyses/stau.yaml", "ml": run}}}
    return validate_config(config)["analyses"]["stau"]["ml"]


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    return schema_ml()


def network_config(**values: Any) -> MulticlassConfig:
    """The schema's network defaults with ``values`` (``seed`` among them) replacing some."""
    return MulticlassConfig(**{**_defaults()["network"], **values})


def stage_settings(classes: tuple[str, ...], features: tuple[str, ...], train_samples: tuple[str, ...],
                   **values: Any) -> StageSettings:
    """The schema's kfold, seed and bank_fraction and the stau ML YAML's class column, ``values`` replacing some."""
    ml = _defaults()
    definition = yaml.safe_load((REPO / "config" / "analyses" / "stau_ml.yaml").read_text())
    settings = {"kfold": ml["kfold"], "seed": ml["seed"], "bank_fraction": ml["bank_fraction"],
                "class_column": definition["class_column"], **values}
    return StageSettings(tuple(classes), tuple(features), tuple(train_samples), **settings)
