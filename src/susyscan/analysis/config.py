"""Load and check the analysis YAML (objects, overlap removal, ordered cuts, baselines)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from susyscan.analysis.expressions import variable_names
from susyscan.analysis.variables import EVENT_VARIABLES
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectCuts:
    """Kinematic and isolation requirements of one object type."""

    pt_min: float
    abs_eta_max: float
    rel_iso_max: float | None = None


@dataclass(frozen=True)
class OverlapRemoval:
    """Cone sizes of the four overlap-removal steps, in the paper's order."""

    jet_muon_photon_dr: float
    jet_electron_tau_dr: float
    electron_jet_dr: float
    photon_lepton_dr: float


@dataclass(frozen=True)
class Cut:
    """One named preselection cut."""

    name: str
    expr: str
    label: str
    for_comparison_only: bool = False


@dataclass(frozen=True)
class BaselineRegion:
    """A cut-and-count signal region: a 0/1 flag ``column`` of the feature CSVs, its ``label`` (the region name
    in the yield tables, ``cls.csv`` and plots) and its ``expr`` over event variables."""

    column: str
    label: str
    expr: str


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything the shared YAML-cut selection needs."""

    name: str
    jet_collection: str
    objects: dict[str, ObjectCuts]
    overlap: OverlapRemoval
    cuts: list[Cut]
    baselines: list[BaselineRegion]
    baselines_include_comparison_cuts: bool = True
    mt2_invisible_mass: float = 0.0
    parent_mass_key: str = ""
    lsp_mass_key: str = ""
    source: str = "<dict>"
    extra: dict[str, Any] = field(default_factory=dict)


_OBJECT_TYPES = ("electron", "muon", "tau", "photon", "jet")


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"{where}: missing key {key!r}")
    return mapping[key]


def analysis_config_from_dict(raw: dict[str, Any], source: str = "<dict>") -> AnalysisConfig:
    """Build and check an AnalysisConfig from a parsed YAML mapping."""
    objects_raw = _require(raw, "objects", source)
    objects: dict[str, ObjectCuts] = {}
    for kind in _OBJECT_TYPES:
        spec = _require(objects_raw, kind, f"{source}: objects")
        try:
            objects[kind] = ObjectCuts(
                pt_min=float(spec["pt_min"]),
                abs_eta_max=float(spec["abs_eta_max"]),
                rel_iso_max=None if spec.get("rel_iso_max") is None else float(spec["rel_iso_max"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: objects.{kind}: bad or missing field ({exc})") from exc
    orr = _require(raw, "overlap_removal", source)
    try:
        overlap = OverlapRemoval(**{k: float(v) for k, v in orr.items()})
    except TypeError as exc:
        raise ConfigError(f"{source}: overlap_removal: {exc}") from exc

    cuts: list[Cut] = []
    seen: set[str] = set()
    for i, spec in enumerate(_require(raw, "cuts", source)):
        name = str(_require(spec, "name", f"{source}: cuts[{i}]"))
        expr = str(_require(spec, "expr", f"{source}: cut {name!r}"))
        if name in seen:
            raise ConfigError(f"{source}: duplicate cut name {name!r}")
        seen.add(name)
        _check_names(expr, name, source)
        cuts.append(Cut(name, expr, str(spec.get("label", name)), bool(spec.get("for_comparison_only", False))))
    if not cuts:
        raise ConfigError(f"{source}: 'cuts' is empty")

    base_raw = raw.get("baselines", {}) or {}
    regions: list[BaselineRegion] = []
    for column, spec in (base_raw.get("regions", {}) or {}).items():
        if isinstance(spec, dict):
            expr = str(_require(spec, "expr", f"{source}: baselines.regions.{column}"))
            label = str(spec.get("label", column))
        else:
            expr, label = str(spec), str(column)
        _check_names(expr, str(column), source)
        regions.append(BaselineRegion(str(column), label, expr))
    labels = [r.label for r in regions]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConfigError(f"{source}: baselines.regions: duplicate labels {duplicates}")
    kin = raw.get("kinematics", {}) or {}
    masses = raw.get("masses", {}) or {}
    return AnalysisConfig(
        name=str(_require(raw, "name", source)),
        jet_collection=str(objects_raw.get("jet_collection", "largejet")),
        objects=objects,
        overlap=overlap,
        cuts=cuts,
        baselines=regions,
        baselines_include_comparison_cuts=bool(base_raw.get("include_comparison_cuts", True)),
        mt2_invisible_mass=float(kin.get("mt2_invisible_mass", 0.0)),
        parent_mass_key=str(_require(masses, "parent_key", f"{source}: masses")),
        lsp_mass_key=str(_require(masses, "lsp_key", f"{source}: masses")),
        source=source,
    )


def _check_names(expr: str, cut_name: str, source: str) -> None:
    unknown = variable_names(expr, cut_name) - set(EVENT_VARIABLES)
    if unknown:
        raise ConfigError(
            f"{source}: cut {cut_name!r} uses unknown variable(s) {sorted(unknown)}; "
            f"known: {sorted(EVENT_VARIABLES)}"
        )


def apply_cut_overrides(raw: dict, overrides: dict[str, str], source: str) -> dict:
    """Replace the ``expr`` of named cuts (e.g. a looser dataset cut for a demo run); unknown names are errors."""
    cuts = raw.get("cuts", [])
    names = [cut.get("name") for cut in cuts]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ConfigError(f"analysis config {source}: cut_overrides name unknown cuts {unknown} (cuts: {names})")
    for cut in cuts:
        if cut.get("name") in overrides:
            logger.warning("%s: cut '%s' overridden: '%s' -> '%s'", source, cut["name"], cut.get("expr"),
                           overrides[cut["name"]])
            cut["expr"] = overrides[cut["name"]]
            if "label" in cut:
                cut["label"] = f"{overrides[cut['name']]} (override of: {cut['label']})"
    return raw


def load_analysis_config(path: str | Path, cut_overrides: dict[str, str] | None = None) -> AnalysisConfig:
    """Read the analysis YAML at ``path``, optionally replacing the expressions of named cuts."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"analysis config {path} does not exist")
    with path.open() as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise ConfigError(f"analysis config {path}: top level must be a mapping")
    if cut_overrides:
        raw = apply_cut_overrides(raw, dict(cut_overrides), str(path))
    return analysis_config_from_dict(raw, source=str(path))
