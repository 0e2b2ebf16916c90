"""Detector card: load the YAML data file, apply overrides, validate into a typed dataclass."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from susyscan.detector.formula import Formula, FormulaSyntaxError
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_CARD = Path(__file__).resolve().parents[3] / "resources" / "detector" / "atlas.yaml"
_PARTICLES = ("charged_hadron", "electron", "muon")
_OBJECTS = ("electron", "muon", "photon")
#: Track classes of the tau tagger and jet flavours of its fake rate (``tautagging.formulas``).
TAU_PRONGS = ("1prong", "multiprong")
TAU_JET_FLAVOURS = ("light", "gluon", "c", "b")


@dataclass(frozen=True)
class IsolationCard:
    """Relative isolation parameters (card *Isolation modules)."""

    iso_cone: float
    iso_pt_min: float
    exclude_pids: tuple[int, ...]
    ratio_max: dict[str, float]
    store_nonisolated: dict[str, bool]


@dataclass(frozen=True)
class JetCard:
    """Anti-kt jet parameters and jet energy resolution."""

    radius: float
    pt_min: float
    cluster_pt_min: float
    eta_max: float
    energy_resolution: Formula
    input_energy_min: float  # GeV: particles of lower true energy are not clustered (they stay in the MET soft term)


@dataclass(frozen=True)
class BTagCard:
    """Flavour association and b-tag efficiencies per flavour (b, c, light)."""

    match_dr: float
    parton_pt_min: float
    parton_eta_max: float
    eta_max: float
    efficiency: dict[str, Formula]


@dataclass(frozen=True)
class TauTagCard:
    """Track-counting tau tagging."""

    match_dr: float
    track_dr: float
    track_pt_min: float
    tau_pt_min: float
    eta_max: float
    efficiency_1prong: float
    efficiency_multiprong: float
    mistag_1prong: float
    mistag_multiprong: float
    leptonic_dr: float
    leptonic_fraction: float
    max_tracks: int
    efficiency: dict[str, Formula] = field(default_factory=dict)
    mistag: dict[str, dict[str, Formula]] = field(default_factory=dict)

    def efficiency_of(self, prongs: str, pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Tag efficiency of true hadronic taus (``prongs``: ``1prong`` or ``multiprong``) at (pt, eta)."""
        return self.efficiency[prongs](pt, eta)

    def mistag_of(self, flavour: str, prongs: str, pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Jet -> tau fake rate of a jet of ``flavour`` (TAU_JET_FLAVOURS) with ``prongs`` tracks at (pt, eta)."""
        return self.mistag[flavour][prongs](pt, eta)


@dataclass(frozen=True)
class DetectorCard:
    """All detector parameters used by :func:`susyscan.detector.simulate`."""

    name: str
    source: str
    path: str
    tracker_eta_max: float
    calo_eta_max: float
    invisible_pids: tuple[int, ...]
    tracking_efficiency: dict[str, Formula]
    momentum_resolution: dict[str, Formula]
    calorimeter_resolution: dict[str, Formula]
    identification_efficiency: dict[str, Formula]
    isolation: IsolationCard
    jets: JetCard
    btagging: BTagCard
    tautagging: TauTagCard
    met_soft_pt_min: float

    @property
    def jet_radius(self) -> float:
        """R of the standard jets (contract name)."""
        return self.jets.radius

    @property
    def iso_cone(self) -> float:
        """Isolation cone (contract name)."""
        return self.isolation.iso_cone


def _merge(base: dict[str, Any], overrides: dict[str, Any], where: str) -> dict[str, Any]:
    """Deep-merge ``overrides`` (nested or dotted keys) into ``base``; unknown keys are errors."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = merged
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"detector card {where}: unknown override key {'.'.join(parts[: depth + 1])!r}")
            if depth == len(parts) - 1:
                if isinstance(node[part], dict) and isinstance(value, dict):
                    node[part] = _merge(node[part], value, where)
                else:
                    node[part] = value
            else:
                node = node[part]
    return merged


class _Reader:
    """Typed access to the raw mapping with errors naming the card file and the field."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def get(self, dotted: str) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"detector card {self.where}: missing field {dotted!r}")
            node = node[part]
        return node

    def number(self, dotted: str, minimum: float = 0.0, maximum: float = np.inf) -> float:
        value = self.get(dotted)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (minimum <= value <= maximum):
            raise ConfigError(f"detector card {self.where}: field {dotted!r} = {value!r} must be a number in [{minimum}, {maximum}]")
        return float(value)

    def formula(self, dotted: str, kind: str) -> Formula:
        try:
            formula = Formula.parse(self.get(dotted))
        except FormulaSyntaxError as exc:
            raise ConfigError(f"detector card {self.where}: field {dotted!r}: {exc}") from exc
        pt = np.geomspace(0.05, 5000.0, 60)[:, None]
        eta = np.linspace(-5.0, 5.0, 41)[None, :]
        values = formula(pt, eta)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ConfigError(f"detector card {self.where}: field {dotted!r} gives negative or non-finite values")
        if kind == "efficiency" and np.any(values > 1.0 + 1e-12):
            raise ConfigError(f"detector card {self.where}: efficiency {dotted!r} exceeds 1 (max {values.max():.3g})")
        return formula

    def formulas(self, dotted: str, names: tuple[str, ...], kind: str) -> dict[str, Formula]:
        return {name: self.formula(f"{dotted}.{name}", kind) for name in names}


def _tau_formulas(r: _Reader) -> dict[str, Any]:
    """Tau-tag efficiency per prong class and fake rate per (jet flavour, prong class) as formulas of (pt, eta).

    Optional card block ``tautagging.formulas: {efficiency: {1prong, multiprong}, mistag: {light|gluon|c|b:
    {1prong, multiprong}}}``; every entry left out is the constant of the card's ``efficiency_*`` / ``mistag_*``
    numbers (the Delphes ATLAS card has only those: no pT or flavour dependence)."""
    block = r.raw.get("tautagging", {}).get("formulas") or {}
    unknown = sorted(set(block) - {"efficiency", "mistag"})
    if unknown:
        raise ConfigError(f"detector card {r.where}: tautagging.formulas: unknown key(s) {unknown}")
    unknown = sorted(set(block.get("mistag") or {}) - set(TAU_JET_FLAVOURS))
    if unknown:
        raise ConfigError(f"detector card {r.where}: tautagging.formulas.mistag: unknown jet flavour(s) {unknown} "
                          f"(known: {list(TAU_JET_FLAVOURS)})")

    def pick(dotted: str, default_key: str) -> Formula:
        parts = dotted.split(".")
        node: Any = block
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return Formula.parse(r.number(f"tautagging.{default_key}", 0, 1))
        return r.formula(f"tautagging.formulas.{dotted}", "efficiency")

    efficiency = {p: pick(f"efficiency.{p}", f"efficiency_{p}") for p in TAU_PRONGS}
    mistag = {f: {p: pick(f"mistag.{f}.{p}", f"mistag_{p}") for p in TAU_PRONGS} for f in TAU_JET_FLAVOURS}
    return {"efficiency": efficiency, "mistag": mistag}


def load_card(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> DetectorCard:
    """Load and validate a detector card YAML (default: ``resources/detector/atlas.yaml``)."""
    card_path = Path(path) if path is not None else DEFAULT_CARD
    where = str(card_path)
    if not card_path.is_file():
        raise ConfigError(f"detector card {where}: file not found")
    try:
        raw = yaml.safe_load(card_path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"detector card {where}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"detector card {where}: top level must be a mapping")
    if overrides:
        raw = _merge(raw, overrides, where)
    r = _Reader(raw, where)
    iso = IsolationCard(
        iso_cone=r.number("isolation.iso_cone", 0.01, 2.0),
        iso_pt_min=r.number("isolation.iso_pt_min"),
        exclude_pids=tuple(int(p) for p in r.get("isolation.exclude_pids")),
        ratio_max={o: r.number(f"isolation.ratio_max.{o}") for o in _OBJECTS},
        store_nonisolated={o: bool(r.get(f"isolation.store_nonisolated.{o}")) for o in _OBJECTS},
    )
    jets = JetCard(
        radius=r.number("jets.radius", 0.05, 2.0),
        pt_min=r.number("jets.pt_min"),
        cluster_pt_min=r.number("jets.cluster_pt_min"),
        eta_max=r.number("jets.eta_max"),
        energy_resolution=r.formula("jets.energy_resolution", "resolution"),
        input_energy_min=r.number("jets.input_energy_min"),
    )
    if jets.cluster_pt_min > jets.pt_min:
        raise ConfigError(f"detector card {where}: jets.cluster_pt_min must not exceed jets.pt_min")
    btag = BTagCard(
        match_dr=r.number("btagging.match_dr", 0.01, 2.0),
        parton_pt_min=r.number("btagging.parton_pt_min"),
        parton_eta_max=r.number("btagging.parton_eta_max"),
        eta_max=r.number("btagging.eta_max"),
        efficiency=r.formulas("btagging.efficiency", ("b", "c", "light"), "efficiency"),
    )
    tau = TauTagCard(
        match_dr=r.number("tautagging.match_dr", 0.01, 2.0),
        track_dr=r.number("tautagging.track_dr", 0.01, 2.0),
        track_pt_min=r.number("tautagging.track_pt_min"),
        tau_pt_min=r.number("tautagging.tau_pt_min"),
        eta_max=r.number("tautagging.eta_max"),
        efficiency_1prong=r.number("tautagging.efficiency_1prong", 0, 1),
        efficiency_multiprong=r.number("tautagging.efficiency_multiprong", 0, 1),
        mistag_1prong=r.number("tautagging.mistag_1prong", 0, 1),
        mistag_multiprong=r.number("tautagging.mistag_multiprong", 0, 1),
        leptonic_dr=r.number("tautagging.leptonic_dr", 0.0, 2.0),
        leptonic_fraction=r.number("tautagging.leptonic_fraction", 0, 1),
        max_tracks=int(r.number("tautagging.max_tracks", 1, 100)),
        **_tau_formulas(r),
    )
    card = DetectorCard(
        name=str(r.get("name")),
        source=str(raw.get("source", "")),
        path=where,
        tracker_eta_max=r.number("acceptance.tracker_eta_max", 0.1, 10),
        calo_eta_max=r.number("acceptance.calo_eta_max", 0.1, 10),
        invisible_pids=tuple(int(p) for p in r.get("acceptance.invisible_pids")),
        tracking_efficiency=r.formulas("tracking_efficiency", _PARTICLES, "efficiency"),
        momentum_resolution=r.formulas("momentum_resolution", _PARTICLES, "resolution"),
        calorimeter_resolution=r.formulas("calorimeter_resolution", ("ecal", "hcal"), "resolution"),
        identification_efficiency=r.formulas("identification_efficiency", _OBJECTS, "efficiency"),
        isolation=iso,
        jets=jets,
        btagging=btag,
        tautagging=tau,
        met_soft_pt_min=r.number("met.soft_pt_min"),
    )
    logger.info("loaded detector card %s from %s (jet R=%.2f)", card.name, where, card.jet_radius)
    return card
