"""Analyses as plug-ins over the shared stages: one package per analysis (``smuon``, ``ewkino``), each holding
an :class:`AnalysisSpec` named ``SPEC``; :func:`load_spec` finds the spec of an analysis YAML."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import yaml

from susyscan.analyses.spec import AnalysisSpec, default_model_factory, signal_regions
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["AnalysisSpec", "builtin_spec", "default_model_factory", "load_spec", "signal_regions", "spec_module"]


def _module_from_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise ConfigError(f"analysis module {path} does not exist")
    name = f"susyscan_analysis_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"analysis module {path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def spec_module(reference: str, base: Path) -> ModuleType:
    """The module named by an analysis YAML's ``module`` key: a ``.py`` path (relative to ``base``) or a dotted name."""
    if reference.endswith(".py"):
        path = Path(reference)
        return _module_from_file(path if path.is_absolute() else base / path)
    try:
        return importlib.import_module(reference)
    except ImportError as exc:
        raise ConfigError(f"analysis module {reference!r} cannot be imported: {exc}") from exc


def _spec_of(module: ModuleType, where: str) -> AnalysisSpec:
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, AnalysisSpec):
        raise ConfigError(f"{where}: module {module.__name__} defines no AnalysisSpec named SPEC")
    return spec


def builtin_spec(name: str) -> AnalysisSpec:
    """The spec of a shipped analysis (``susyscan.analyses.<name>``)."""
    try:
        module = importlib.import_module(f"susyscan.analyses.{name}")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"unknown analysis {name!r}: no package susyscan.analyses.{name} (and no 'module' key "
                          "in its YAML)") from exc
    return _spec_of(module, f"analysis {name!r}")


@lru_cache(maxsize=None)
def _load_spec(path: Path) -> AnalysisSpec:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"analysis config {path}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict) or "name" not in raw:
        raise ConfigError(f"analysis config {path}: top level must be a mapping with a 'name'")
    name = str(raw["name"])
    reference = raw.get("module")
    spec = _spec_of(spec_module(str(reference), path.parent), str(path)) if reference else builtin_spec(name)
    if spec.name != name:
        raise ConfigError(f"analysis config {path}: name {name!r} but its module's SPEC is {spec.name!r}")
    masses = raw.get("masses") or {}
    declared = (masses.get("parent_key", spec.grid[0]), masses.get("lsp_key", spec.grid[1]))
    if tuple(declared) != spec.grid[:2]:
        raise ConfigError(f"analysis config {path}: masses {declared} differ from the grid keys {spec.grid[:2]} of "
                          f"analysis {name!r}")
    return spec


def load_spec(analysis_yaml: str | Path) -> AnalysisSpec:
    """The :class:`AnalysisSpec` of the analysis YAML at ``analysis_yaml`` (its ``module``, else the shipped one)."""
    return _load_spec(Path(analysis_yaml).resolve())
