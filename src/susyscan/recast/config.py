"""Load and check a recast analysis YAML (objects, overlap removal, MET significance, cuts, regions)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from susyscan.analysis.config import Cut
from susyscan.analysis.expressions import variable_names
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeptonCuts:
    """Acceptance and relative isolation of a signal lepton."""

    pt_min: float
    abs_eta_max: float
    rel_iso_max: float | None


@dataclass(frozen=True)
class MetSignificanceSpec:
    """Resolution model of the object-based MET significance (``susyscan.recast.metsig``)."""

    lepton_rel: float
    jet_rel: float
    soft_term_gev: float


@dataclass(frozen=True)
class Region:
    """A signal region: a channel (disjoint flavour x jet class) and an mT2 window [mt2_min, mt2_max)."""

    name: str
    channel: str
    window: str
    mt2_min: float
    mt2_max: float
    expr: str

    def disjoint_from(self, other: Region) -> bool:
        """True when no event can fall in both regions (different channel or non-overlapping windows)."""
        if self.channel != other.channel:
            return True
        return self.mt2_max <= other.mt2_min or other.mt2_max <= self.mt2_min


@dataclass(frozen=True)
class RecastConfig:
    """A recast analysis: selection of our events and the names of the published regions."""

    name: str
    reference: str
    luminosity_ifb: float
    jet_collection: str
    electron: LeptonCuts
    muon: LeptonCuts
    jet_pt_min: float
    jet_abs_eta_max: float
    bjet_abs_eta_max: float
    jet_electron_dr: float
    lepton_jet_dr: float
    met_significance: MetSignificanceSpec
    lepton_efficiency_factor: float
    cuts: list[Cut]
    regions: list[Region]
    source: str = "<dict>"

    def region(self, name: str) -> Region:
        for region in self.regions:
            if region.name == name:
                return region
        raise ConfigError(f"{self.source}: no region {name!r} (regions: {[r.name for r in self.regions]})")


def _get(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"{where}: missing key {key!r}")
    return mapping[key]


def _number(mapping: Any, key: str, where: str, minimum: float | None = None) -> float:
    value = _get(mapping, key, where)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: key {key!r} must be a number, got {value!r}") from None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        raise ConfigError(f"{where}: key {key!r} must be finite and >= {minimum}, got {value!r}")
    return number


def _lepton(raw: Any, where: str) -> LeptonCuts:
    iso = raw.get("rel_iso_max") if isinstance(raw, dict) else None
    return LeptonCuts(_number(raw, "pt_min", where, 0.0), _number(raw, "abs_eta_max", where, 0.0),
                      None if iso is None else float(iso))


def _check_expr(expr: str, name: str, source: str) -> None:
    from susyscan.recast.variables import RECAST_VARIABLES

    unknown = variable_names(expr, name) - set(RECAST_VARIABLES)
    if unknown:
        raise ConfigError(f"{source}: cut/region {name!r} uses unknown variable(s) {sorted(unknown)}; "
                          f"known: {sorted(RECAST_VARIABLES)}")


def _regions(raw: dict[str, Any], source: str) -> list[Region]:
    channels = _get(raw, "channels", source)
    windows = _get(raw, "mt2_windows", source)
    if not isinstance(channels, dict) or not channels or not isinstance(windows, dict) or not windows:
        raise ConfigError(f"{source}: 'channels' and 'mt2_windows' must be non-empty mappings")
    regions = []
    for channel, channel_expr in channels.items():
        _check_expr(str(channel_expr), f"channel {channel}", source)
        for window, bounds in windows.items():
            if not isinstance(bounds, list) or len(bounds) != 2 or bounds[0] is None:
                raise ConfigError(f"{source}: mt2_windows.{window} must be [min, max|null], got {bounds!r}")
            low = float(bounds[0])
            high = math.inf if bounds[1] is None else float(bounds[1])
            if not low < high:
                raise ConfigError(f"{source}: mt2_windows.{window}: need min < max, got {bounds!r}")
            expr = f"({channel_expr}) and mt2 > {low!r}" + ("" if math.isinf(high) else f" and mt2 < {high!r}")
            regions.append(Region(f"SR-{channel}-{window}", str(channel), str(window), low, high, expr))
    return regions


def recast_config_from_dict(raw: dict[str, Any], source: str = "<dict>") -> RecastConfig:
    """Build and check a RecastConfig from the parsed YAML."""
    objects = _get(raw, "objects", source)
    orr = _get(raw, "overlap_removal", source)
    metsig = _get(raw, "met_significance", source)
    cuts: list[Cut] = []
    for i, spec in enumerate(_get(raw, "cuts", source) or []):
        name = str(_get(spec, "name", f"{source}: cuts[{i}]"))
        expr = str(_get(spec, "expr", f"{source}: cut {name!r}"))
        if name in {c.name for c in cuts}:
            raise ConfigError(f"{source}: duplicate cut name {name!r}")
        _check_expr(expr, name, source)
        cuts.append(Cut(name, expr, str(spec.get("label", name))))
    if not cuts:
        raise ConfigError(f"{source}: 'cuts' is empty")
    factor = _number(raw, "lepton_efficiency_factor", source, 0.0)
    if factor > 1.0:
        raise ConfigError(f"{source}: lepton_efficiency_factor must lie in [0, 1], got {factor}")
    return RecastConfig(
        name=str(_get(raw, "name", source)),
        reference=str(_get(raw, "reference", source)),
        luminosity_ifb=_number(raw, "luminosity_ifb", source, 0.0),
        jet_collection=str(objects.get("jet_collection", "jet")),
        electron=_lepton(_get(objects, "electron", f"{source}: objects"), f"{source}: objects.electron"),
        muon=_lepton(_get(objects, "muon", f"{source}: objects"), f"{source}: objects.muon"),
        jet_pt_min=_number(_get(objects, "jet", f"{source}: objects"), "pt_min", f"{source}: objects.jet", 0.0),
        jet_abs_eta_max=_number(objects["jet"], "abs_eta_max", f"{source}: objects.jet", 0.0),
        bjet_abs_eta_max=_number(objects, "bjet_abs_eta_max", f"{source}: objects", 0.0),
        jet_electron_dr=_number(orr, "jet_electron_dr", f"{source}: overlap_removal", 0.0),
        lepton_jet_dr=_number(orr, "lepton_jet_dr", f"{source}: overlap_removal", 0.0),
        met_significance=MetSignificanceSpec(
            _number(metsig, "lepton_rel", f"{source}: met_significance", 0.0),
            _number(metsig, "jet_rel", f"{source}: met_significance", 0.0),
            _number(metsig, "soft_term_gev", f"{source}: met_significance", 0.0),
        ),
        lepton_efficiency_factor=factor,
        cuts=cuts,
        regions=_regions(raw, source),
        source=source,
    )


def load_recast_config(path: str | Path) -> RecastConfig:
    """Read a recast YAML."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"recast analysis config {path} does not exist")
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict):
        raise ConfigError(f"recast analysis config {path}: top level must be a mapping")
    return recast_config_from_dict(raw, str(path))
