"""Load and check the ewkino analysis YAML (config/analyses/ewkino.yaml)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from susyscan.analysis.config import Cut
from susyscan.errors import ConfigError
from susyscan.expressions import CUT_GRAMMAR, Expression

logger = logging.getLogger(__name__)

PHI_REFERENCES = ("met", "jet1")
#: Event variables the cuts may use (``selection.event_variables`` computes exactly these).
CUT_VARIABLES: tuple[str, ...] = ("n_electrons", "n_muons", "n_jets", "jet1_pt", "jet1_eta", "met", "met_phi", "ht",
                                  "meff", "min_dphi_jet_met")
CUT_KEYS = {"name", "label", "expr", "for_comparison_only"}


@dataclass(frozen=True)
class ObjectCut:
    """Acceptance of one object type."""

    pt_min: float
    abs_eta_max: float


@dataclass(frozen=True)
class InputsConfig:
    """Network-input options.

    ``max_candidates`` is the candidate budget M of the PF block: one number for every threshold, or a mapping
    threshold (GeV) -> M; :meth:`budget` gives the M of one threshold.
    """

    pfcand_pt_min_values: tuple[float, ...]
    max_candidates: int | Mapping[float, int]
    phi_reference: str
    max_jets: int

    def budget(self, pt_min: float) -> int:
        """The candidate budget M at soft-particle threshold ``pt_min`` (GeV)."""
        if isinstance(self.max_candidates, Mapping):
            for threshold, value in self.max_candidates.items():
                if float(threshold) == float(pt_min):
                    return int(value)
            raise ConfigError(f"inputs.max_candidates has no budget for pT threshold {pt_min:g} GeV "
                              f"(given for {sorted(float(k) for k in self.max_candidates)})")
        return int(self.max_candidates)


@dataclass(frozen=True)
class EwkinoConfig:
    """The whole ewkino analysis configuration."""

    name: str
    parent_key: str
    lsp_key: str
    electron: ObjectCut
    muon: ObjectCut
    jet: ObjectCut
    cuts: tuple[Cut, ...]
    inputs: InputsConfig

    @property
    def expressions(self) -> dict[str, Expression]:
        """Each cut's parsed expression (shared cut grammar), by cut name."""
        return {cut.name: Expression.parse(cut.expr, CUT_GRAMMAR, f"{self.name}: cut {cut.name!r}", CUT_VARIABLES)
                for cut in self.cuts}


def _section(raw: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    if key not in raw or not isinstance(raw[key], dict):
        raise ConfigError(f"{source}: missing or non-mapping section {key!r}")
    return raw[key]


def _build(cls: type, raw: dict[str, Any], where: str) -> Any:
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    missing = [k for k in fields if k not in raw]
    unknown = [k for k in raw if k not in fields]
    if missing or unknown:
        raise ConfigError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    try:
        return cls(**{k: (tuple(float(x) for x in raw[k]) if isinstance(raw[k], list) else raw[k]) for k in fields})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def ewkino_config_from_dict(raw: dict[str, Any], source: str = "<dict>") -> EwkinoConfig:
    """Build and check an EwkinoConfig from a parsed YAML mapping."""
    objects = _section(raw, "objects", source)
    masses = _section(raw, "masses", source)
    cfg = EwkinoConfig(
        name=str(raw.get("name", "ewkino")),
        parent_key=str(masses.get("parent_key", "m_squark")),
        lsp_key=str(masses.get("lsp_key", "m_electroweakino")),
        electron=_build(ObjectCut, _section(objects, "electron", source), f"{source}: objects.electron"),
        muon=_build(ObjectCut, _section(objects, "muon", source), f"{source}: objects.muon"),
        jet=_build(ObjectCut, _section(objects, "jet", source), f"{source}: objects.jet"),
        cuts=_cuts(raw, source),
        inputs=_build(InputsConfig, _section(raw, "inputs", source), f"{source}: inputs"),
    )
    cfg = replace(cfg, inputs=_checked_budget(cfg.inputs, source))
    if cfg.inputs.phi_reference not in PHI_REFERENCES:
        raise ConfigError(f"{source}: inputs.phi_reference {cfg.inputs.phi_reference!r} not in {PHI_REFERENCES}")
    if cfg.inputs.max_jets < 1:
        raise ConfigError(f"{source}: inputs.max_jets must be >= 1")
    return cfg


def _cuts(raw: dict[str, Any], source: str) -> tuple[Cut, ...]:
    """The ordered ``cuts`` (shared format: name, label, expr, for_comparison_only), each expression parsed with the
    shared cut grammar over :data:`CUT_VARIABLES`. Cuts without ``for_comparison_only`` form the preselection."""
    entries = raw.get("cuts")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: 'cuts' must be a non-empty list of {{name, label, expr[, for_comparison_only]}}")
    cuts = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"name", "expr"} <= set(entry) or set(entry) - CUT_KEYS:
            raise ConfigError(f"{source}: cuts[{index}] must have keys name, expr (label, for_comparison_only "
                              f"optional; nothing else), got {entry!r}")
        cut = Cut(name=str(entry["name"]), expr=str(entry["expr"]), label=str(entry.get("label", entry["name"])),
                  for_comparison_only=bool(entry.get("for_comparison_only", False)))
        Expression.parse(cut.expr, CUT_GRAMMAR, f"{source}: cut {cut.name!r}", CUT_VARIABLES)
        cuts.append(cut)
    names = [cut.name for cut in cuts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{source}: cut names {duplicates} appear more than once")
    if all(cut.for_comparison_only for cut in cuts):
        raise ConfigError(f"{source}: every cut is for_comparison_only: the preselection would keep every event")
    return tuple(cuts)


def _checked_budget(inputs: InputsConfig, source: str) -> InputsConfig:
    """``max_candidates`` as an int or a {float threshold: int} mapping covering every threshold, all >= 1."""
    raw = inputs.max_candidates
    where = f"{source}: inputs.max_candidates"
    try:
        budget: int | dict[float, int] = ({float(k): int(v) for k, v in raw.items()} if isinstance(raw, Mapping)
                                          else int(raw))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: expected an integer or a mapping threshold -> integer, got {raw!r}") from exc
    if isinstance(raw, (bool, float)) or (isinstance(raw, Mapping) and any(isinstance(v, (bool, float))
                                                                           for v in raw.values())):
        raise ConfigError(f"{where}: budgets must be integers, got {raw!r}")
    values = list(budget.values()) if isinstance(budget, dict) else [budget]
    if min(values, default=0) < 1:
        raise ConfigError(f"{where}: every budget must be >= 1, got {raw!r}")
    if isinstance(budget, dict):
        missing = [t for t in inputs.pfcand_pt_min_values if float(t) not in budget]
        if missing:
            raise ConfigError(f"{where}: no budget for the threshold(s) {missing} of inputs.pfcand_pt_min_values")
    return replace(inputs, max_candidates=budget)


def load_ewkino_config(path: str | Path) -> EwkinoConfig:
    """Read ``config/analyses/ewkino.yaml``."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"analysis config {path}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"analysis config {path}: top level is not a mapping")
    return ewkino_config_from_dict(raw, str(path))
