"""Generator-level event filters (process or parton level) and the slepton-pair flavour veto, as a Pythia UserHook.

Pythia calls ``UserHooks.doVetoProcessLevel`` once per hard process, after resonance decays and before the
parton shower and hadronisation, which take most of an event's time.  A vetoed event is replaced by a new
hard process and is not counted in ``sigmaGen``.  The hook counts what it sees, so that the filter efficiency
``n_accepted / n_considered`` rescales a reference (NNLO, NLO+NLL) cross section of the unfiltered process.

A filter with ``level = "parton"`` is applied in ``UserHooks.doVetoPartonLevel`` instead: once per event after
the parton shower (ISR, FSR, MPI) and before hadronisation, on the recoil of the visible system (the summed pT
of the invisible final-state particles), which a process-level filter cannot see for a process whose jets come
from initial-state radiation.  It saves hadronisation and the detector simulation, not the shower.  Pythia
8.317 treats a parton-level veto like a process-level one in its cross-section statistics: ``sigmaGen`` counts
only the accepted events (measured: ``tests/generation/test_filters.py``,
``test_sigma_gen_excludes_parton_level_vetoes``), so the same normalisation (unfiltered = sigmaGen / efficiency)
holds for both levels.

Two independent jobs share the hook:

* ``FilterSpec``: a named truth-level filter declared per sample in config (``generation.filters``), cheapest
  test first: muon count and pT thresholds, then the summed-neutrino pT, then mT2.  A filter must be looser
  than the reco-level cuts it serves (checked at start-up by ``susyscan.config.checks``) and is validated by a
  closure test (filtered vs unfiltered reco-level yields after the preselection).
* The slepton-pair flavour veto (``ProcessSpec.slepton_pair_fix``): Pythia 8 (since 8.230, still in 8.317)
  lets quark pairs of different flavour (u cbar, d sbar, ...) produce charged slepton pairs through the
  s-channel Z term of ``Sigma2qqbar2sleptonantislepton::sigmaHat``; those events are vetoed here
  (docs/pythia_slepton_bug.md).  They are not part of the physical process, so they do not enter the filter
  efficiency used for normalisation.

The hook is Python code called from C++ once per hard process; its cost is measured in
``benchmarks/bench_filters.py`` (``hook_seconds``) and is a small fraction of a chunk's time.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pythia8mc

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

MUON = 13
CHARGED_LEPTONS = (11, 13, 15)
NEUTRINOS = frozenset({12, 14, 16})
#: Invisible final-state particles of the recoil filter: neutrinos and the lightest neutralino (the LSP).
INVISIBLE = NEUTRINOS | {1000022}
LEVELS = ("process", "parton")
MUON_MASS = 0.10566
#: Index of the two incoming partons in Pythia's process record (0: system, 1-2: beams).
INCOMING = (3, 4)


@dataclass(frozen=True)
class FilterSpec:
    """A truth-level filter on the hard process (after resonance decays).

    Muons are final-state hard-process muons (W/Z/slepton decay products) within ``muon_abs_eta_max``;
    ``muon_pt_min`` are the thresholds of the leading, subleading, ... muon (GeV), so its length is the number
    of muons required. ``lepton_flavours`` (default: muons only) widens "muon" to the listed charged-lepton
    flavours (11, 13, 15): taus are not yet decayed at process level, and a tau bounds the pT of its decay
    lepton, so a one-lepton filter on e, mu and tau serves an e/mu threshold of leptonic tau decays too.  ``met_min``: pT of the summed neutrinos plus the muons outside the acceptance (those are
    invisible to the detector, so a 4-muon event with two lost muons is kept when its reco MET could pass).  ``mt2_min``: mT2 (massless invisible
    hypothesis) of the two leading muons with the summed-neutrino pT as missing momentum (GeV).
    ``level``: "process" (the cuts above, before the shower) or "parton" (after the shower, before
    hadronisation: ``recoil_pt_min``, the pT of the vector sum of the final-state neutrinos and LSPs (``INVISIBLE``),
    i.e. the truth missing pT recoiling against the showered visible system, GeV).
    """

    name: str
    description: str
    muon_pt_min: tuple[float, ...] = ()
    muon_abs_eta_max: float = 2.5
    lepton_flavours: tuple[int, ...] = (MUON,)
    met_min: float | None = None
    mt2_min: float | None = None
    level: str = "process"
    recoil_pt_min: float | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ConfigError(f"generation filter {self.name!r}: level {self.level!r} must be one of {list(LEVELS)}")
        if self.level == "parton":
            if self.recoil_pt_min is None:
                raise ConfigError(f"generation filter {self.name!r}: a parton-level filter needs recoil_pt_min")
            if self.muon_pt_min or self.met_min is not None or self.mt2_min is not None:
                raise ConfigError(f"generation filter {self.name!r}: a parton-level filter cuts only recoil_pt_min "
                                  "(muon_pt_min, met_min and mt2_min are process-level cuts)")
        elif self.recoil_pt_min is not None:
            raise ConfigError(f"generation filter {self.name!r}: recoil_pt_min needs level: parton (the recoil of "
                              "the visible system exists only after the parton shower)")
        if list(self.muon_pt_min) != sorted(self.muon_pt_min, reverse=True):
            raise ConfigError(f"generation filter {self.name!r}: muon_pt_min {list(self.muon_pt_min)} "
                              "must be in decreasing order (leading muon first)")
        if not self.lepton_flavours or set(self.lepton_flavours) - set(CHARGED_LEPTONS):
            raise ConfigError(f"generation filter {self.name!r}: lepton_flavours {list(self.lepton_flavours)} must "
                              f"be a non-empty subset of {list(CHARGED_LEPTONS)}")
        if self.lepton_flavours != (MUON,) and (len(self.muon_pt_min) > 1 or self.mt2_min is not None):
            raise ConfigError(f"generation filter {self.name!r}: with lepton_flavours "
                              f"{list(self.lepton_flavours)} only a one-lepton threshold (and met_min) is supported")
        if self.mt2_min is not None and len(self.muon_pt_min) < 2:
            raise ConfigError(f"generation filter {self.name!r}: mt2_min needs two muons (muon_pt_min of length 2)")

    def as_metadata(self) -> dict[str, Any]:
        """The filter's definition as written to each event file's metadata."""
        out = asdict(self)
        out["muon_pt_min"] = list(self.muon_pt_min)
        out["lepton_flavours"] = list(self.lepton_flavours)
        return out

    def thresholds(self) -> dict[str, float]:
        """Reco-level variable -> this filter's threshold on its truth counterpart (for the looseness check)."""
        out: dict[str, float] = {}
        prefix = "mu" if self.lepton_flavours == (MUON,) else "lep"  # lep1_pt: the leading e/mu (analysis.leptau)
        for index, value in enumerate(self.muon_pt_min[:2]):
            out[f"{prefix}{index + 1}_pt"] = float(value)
        if self.met_min is not None:
            out["met"] = float(self.met_min)
        if self.recoil_pt_min is not None:
            out["met"] = float(self.recoil_pt_min)
        if self.mt2_min is not None:
            out["mt2"] = float(self.mt2_min)
        return out


def filter_from_config(name: str, settings: Mapping[str, Any]) -> FilterSpec:
    """A FilterSpec from one ``generation.filters.<name>`` config entry (schema-validated)."""
    try:
        return FilterSpec(
            name=name,
            description=str(settings["description"]),
            muon_pt_min=tuple(float(v) for v in settings.get("muon_pt_min", ())),
            muon_abs_eta_max=float(settings.get("muon_abs_eta_max", 2.5)),
            lepton_flavours=tuple(int(v) for v in settings.get("lepton_flavours", (MUON,))),
            met_min=None if settings.get("met_min") is None else float(settings["met_min"]),
            mt2_min=None if settings.get("mt2_min") is None else float(settings["mt2_min"]),
            level=str(settings.get("level", "process")),
            recoil_pt_min=None if settings.get("recoil_pt_min") is None else float(settings["recoil_pt_min"]),
        )
    except KeyError as exc:
        raise ConfigError(f"config key 'generation.filters.{name}': missing field {exc}") from None


def filter_from_metadata(data: Mapping[str, Any] | None) -> FilterSpec | None:
    """Inverse of ``FilterSpec.as_metadata`` (None stays None)."""
    if not data:
        return None
    return filter_from_config(str(data["name"]), data)


def truth_mt2(mu_a: tuple[float, float], mu_b: tuple[float, float], miss: tuple[float, float]) -> float:
    """mT2 of two muons (px, py) with missing (px, py), massless invisible particles (the ``mt2`` package)."""
    from mt2 import mt2  # maintained implementation (Lester & Nachman bisection)

    return float(mt2(MUON_MASS, mu_a[0], mu_a[1], MUON_MASS, mu_b[0], mu_b[1], miss[0], miss[1], 0.0, 0.0))


def passes(spec: FilterSpec, muons: list[tuple[float, float, float]], miss: tuple[float, float]) -> bool:
    """Whether an event with hard-process ``muons`` [(pT, px, py)] and neutrino-sum ``miss`` passes ``spec``."""
    need = len(spec.muon_pt_min)
    if len(muons) < need:
        return False
    ordered = sorted(muons, reverse=True)
    if any(mu[0] <= cut for mu, cut in zip(ordered, spec.muon_pt_min)):
        return False
    if spec.met_min is not None and math.hypot(*miss) <= spec.met_min:
        return False
    if spec.mt2_min is not None:
        a, b = ordered[0], ordered[1]
        if truth_mt2((a[1], a[2]), (b[1], b[2]), miss) <= spec.mt2_min:
            return False
    return True


@dataclass
class FilterCounts:
    """What the hook saw: hard processes considered, vetoed by flavour, vetoed by the filter, accepted."""

    n_seen: int = 0
    n_flavour_vetoed: int = 0
    n_filter_vetoed: int = 0
    hook_seconds: float = 0.0
    mixed_flavour_pairs: dict[str, int] = field(default_factory=dict)

    @property
    def n_considered(self) -> int:
        """Physical hard processes offered to the filter (flavour-vetoed ones are not part of the process)."""
        return self.n_seen - self.n_flavour_vetoed

    @property
    def n_accepted(self) -> int:
        return self.n_considered - self.n_filter_vetoed

    def efficiency(self) -> tuple[float, float]:
        """Filter efficiency n_accepted / n_considered and its binomial standard error."""
        if self.n_considered <= 0:
            return math.nan, math.nan
        eff = self.n_accepted / self.n_considered
        return eff, math.sqrt(max(eff * (1.0 - eff), 0.0) / self.n_considered)

    def mixed_flavour_fraction(self) -> float:
        """Fraction of Pythia's hard processes that came from quark pairs of different flavour."""
        return self.n_flavour_vetoed / self.n_seen if self.n_seen else math.nan

    def as_metadata(self) -> dict[str, Any]:
        """Counts for the event-file metadata (no timings: identical runs write identical metadata)."""
        eff, err = self.efficiency()
        return {"n_seen": self.n_seen, "n_flavour_vetoed": self.n_flavour_vetoed,
                "n_filter_vetoed": self.n_filter_vetoed, "n_considered": self.n_considered,
                "n_accepted": self.n_accepted, "efficiency": eff, "efficiency_err": err,
                "mixed_flavour_pairs": dict(self.mixed_flavour_pairs)}


def recoil_pt(event: Any) -> float:
    """pT (GeV) of the vector sum of the final-state invisible particles (``INVISIBLE``) of a Pythia record."""
    px = py = 0.0
    for i in range(event.size()):
        particle = event[i]
        if particle.isFinal() and abs(particle.id()) in INVISIBLE:
            px += particle.px()
            py += particle.py()
    return math.hypot(px, py)


class PartonLevelVeto(pythia8mc.UserHooks):  # type: ignore[misc]
    """Pythia UserHook applying a parton-level filter (``spec.level == "parton"``) after the shower.

    Counts every event offered after the shower (``n_seen``) and the vetoed ones; Pythia then starts a new hard
    process, so ``n_accepted / n_considered`` is the filter efficiency as for the process-level hook.
    """

    def __init__(self, spec: FilterSpec) -> None:
        pythia8mc.UserHooks.__init__(self)
        if spec.level != "parton" or spec.recoil_pt_min is None:
            raise ConfigError(f"generation filter {spec.name!r}: PartonLevelVeto needs a parton-level filter")
        self.spec = spec
        self.threshold = float(spec.recoil_pt_min)
        self.counts = FilterCounts()

    def canVetoPartonLevel(self) -> bool:  # noqa: N802 (Pythia's name)
        return True

    def doVetoPartonLevel(self, event: Any) -> bool:  # noqa: N802 (Pythia's name)
        start = time.perf_counter()
        self.counts.n_seen += 1
        vetoed = recoil_pt(event) <= self.threshold
        if vetoed:
            self.counts.n_filter_vetoed += 1
        self.counts.hook_seconds += time.perf_counter() - start
        return vetoed


class ProcessLevelVeto(pythia8mc.UserHooks):  # type: ignore[misc]
    """Pythia UserHook applying the slepton-pair flavour veto and/or a truth filter at process level.

    ``recorder`` (optional) is called with the process record of every accepted hard process (it must not
    change it); it draws no random numbers, so a run with a recorder generates the same events as one without.
    """

    def __init__(self, spec: FilterSpec | None, flavour_veto: bool = False,
                 recorder: Callable[[Any], None] | None = None) -> None:
        pythia8mc.UserHooks.__init__(self)
        if spec is not None and spec.level != "process":
            raise ConfigError(f"generation filter {spec.name!r}: ProcessLevelVeto needs a process-level filter")
        self.spec = spec
        self.flavour_veto = flavour_veto
        self.recorder = recorder
        self.counts = FilterCounts()

    def canVetoProcessLevel(self) -> bool:  # noqa: N802 (Pythia's name)
        return True

    def doVetoProcessLevel(self, process: Any) -> bool:  # noqa: N802 (Pythia's name)
        start = time.perf_counter()
        try:
            vetoed = self._veto(process)
            if not vetoed and self.recorder is not None:
                self.recorder(process)
            return vetoed
        finally:
            self.counts.hook_seconds += time.perf_counter() - start

    def _veto(self, process: Any) -> bool:
        counts = self.counts
        counts.n_seen += 1
        if self.flavour_veto:
            id1, id2 = (process[i].id() for i in INCOMING)
            if abs(id1) != abs(id2):
                counts.n_flavour_vetoed += 1
                key = f"{min(abs(id1), abs(id2))},{max(abs(id1), abs(id2))}"
                counts.mixed_flavour_pairs[key] = counts.mixed_flavour_pairs.get(key, 0) + 1
                return True
        if self.spec is None:
            return False
        muons: list[tuple[float, float, float]] = []
        mx = my = 0.0
        eta_max = self.spec.muon_abs_eta_max
        flavours = self.spec.lepton_flavours
        for i in range(process.size()):
            particle = process[i]
            if not particle.isFinal():
                continue
            pid = abs(particle.id())
            if pid in flavours and abs(particle.eta()) < eta_max:
                muons.append((particle.pT(), particle.px(), particle.py()))
            elif pid in NEUTRINOS or pid == MUON:  # a muon outside the acceptance is invisible to the detector
                mx += particle.px()
                my += particle.py()
        if passes(self.spec, muons, (mx, my)):
            return False
        counts.n_filter_vetoed += 1
        return True


def make_hook(spec: FilterSpec | None, flavour_veto: bool,
              recorder: Callable[[Any], None] | None = None) -> ProcessLevelVeto | PartonLevelVeto | None:
    """The hook for a run, or None when there is nothing to veto or record (plain Pythia).

    A parton-level filter gets its own hook; it cannot be combined with the flavour veto or a recorder (one
    UserHooks object per run, and a recorded hard process could still be vetoed after the shower).
    """
    if spec is not None and spec.level == "parton":
        if flavour_veto or recorder is not None:
            raise ConfigError(f"generation filter {spec.name!r}: a parton-level filter cannot be combined with the "
                              "slepton flavour veto or a process-record recorder")
        return PartonLevelVeto(spec)
    if spec is None and not flavour_veto and recorder is None:
        return None
    return ProcessLevelVeto(spec, flavour_veto, recorder)


def log_counts(what: str, counts: FilterCounts, spec: FilterSpec | None) -> None:
    """One log line with the filter efficiency and the flavour-veto fraction."""
    eff, err = counts.efficiency()
    logger.info("%s: hook saw %d hard processes; flavour veto %d (%.1f %%); filter %s efficiency %.5g +- %.2g "
                "(%d accepted); hook time %.2f s", what, counts.n_seen, counts.n_flavour_vetoed,
                100 * counts.mixed_flavour_fraction() if counts.n_seen else 0.0,
                spec.name if spec else "none", eff, err, counts.n_accepted, counts.hook_seconds)
