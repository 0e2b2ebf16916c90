"""Run Pythia 8 (pythia8mc) for one (process, seed, masses) and return particle-level events."""

from __future__ import annotations

import functools
import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import awkward as ak
import pythia8mc
from tqdm import tqdm

from susyscan.errors import ConfigError
from susyscan.generation.extract import ChargeTable, to_particle_level
from susyscan.generation.filters import FilterCounts, FilterSpec, log_counts, make_hook
from susyscan.generation.processes import ProcessSpec, get_process, pythia_settings
from susyscan.generation.slha import write_slha

if TYPE_CHECKING:
    from susyscan.generation.top_w import TopWSigma

logger = logging.getLogger(__name__)

MB_TO_PB = 1.0e9
BATCH_SIZE = 200  # events per nextBatch call: 50 cost 16 % over bare next(), 200 cost 5 % (zz, 600 events)


@dataclass
class GenerationResult:
    """Particle-level events plus the generator's LO cross section (pb) and run facts."""

    events: ak.Array
    xsec_lo_pb: float
    xsec_lo_err_pb: float
    n_tried: int
    seconds: float
    settings: list[str] = field(default_factory=list)
    filter_spec: FilterSpec | None = None
    filter_counts: FilterCounts | None = None
    lo_factor: float = 1.0  # ProcessSpec.lo_factor: sigmaGen -> correct LO of the accepted events
    init_cpu_seconds: float = 0.0  # CPU seconds (process_time) of Pythia's init, part of `seconds`
    extract_cpu_seconds: float = 0.0  # CPU seconds of the event-record conversion (to_particle_level)

    def filter_efficiency(self) -> tuple[float, float]:
        """Efficiency of the generator filter (1, 0 without a filter) and its binomial error."""
        if self.filter_spec is None or self.filter_counts is None:
            return 1.0, 0.0
        return self.filter_counts.efficiency()

    def lo_unfiltered_pb(self) -> float:
        """LO cross section (pb) of the physical, unfiltered process: sigmaGen counts only accepted events, so
        it is divided by the filter efficiency, and multiplied by ``lo_factor`` (slepton pairs:
        Pythia's 1/9 colour average, docs/pythia_slepton_bug.md)."""
        return self.lo_factor * self.xsec_lo_pb / self.filter_efficiency()[0]

    @property
    def xsec_lo_corrected_pb(self) -> float | None:
        """The corrected LO of a process whose Pythia LO needs a factor (slepton pairs); None otherwise."""
        return self.lo_unfiltered_pb() if self.lo_factor != 1.0 else None


def make_pythia(settings: list[str], what: str, hooks: pythia8mc.UserHooks | None = None,
                sigma: TopWSigma | None = None) -> pythia8mc.Pythia:
    """A quiet, initialised Pythia instance (with `hooks` attached, and the external process `sigma` configured
    from the settings and added); ConfigError naming `what` if init fails.

    The caller keeps a reference to `hooks` and `sigma` for as long as Pythia runs (Pythia holds pointers to them).
    """
    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        if not pythia.readString(line):
            raise ConfigError(f"Pythia rejected setting {line!r} for {what}")
    if hooks is not None:
        pythia.setUserHooksPtr(hooks)
    if sigma is not None:
        sigma.configure(pythia.settings.parm)
        pythia.setSigmaPtr(sigma)
    ok = pythia.init()
    logger.info("Pythia init for %s: %s", what, "ok" if ok else "FAILED")
    if not ok:
        raise ConfigError(f"Pythia initialisation failed for {what} (settings: {settings})")
    return pythia


def user_sigma(spec: ProcessSpec) -> TopWSigma | None:
    """A new instance of the external Pythia process of ``spec`` (``ProcessSpec.user_sigma``), None for Pythia's
    own processes."""
    if spec.user_sigma is None:
        return None
    from susyscan.generation.top_w import USER_SIGMAS

    if spec.user_sigma not in USER_SIGMAS:
        raise ConfigError(f"process {spec.name!r}: unknown external Pythia process {spec.user_sigma!r} "
                          f"(known: {sorted(USER_SIGMAS)})")
    return USER_SIGMAS[spec.user_sigma]()


def run_batches(pythia: pythia8mc.Pythia, n_events: int, desc: str, batch_size: int = BATCH_SIZE,
                timing: dict[str, float] | None = None) -> ak.Array:
    """Generate `n_events` in batches (Pythia.nextBatch) and convert them; tqdm progress on stderr.

    `timing`, if given, receives the CPU seconds of the conversion under ``"extract"``.
    """
    charges = ChargeTable(pythia.particleData)
    parts: list[ak.Array] = []
    done = 0
    extract = 0.0
    with tqdm(total=n_events, desc=desc, unit="evt", mininterval=2.0) as bar:
        while done < n_events:
            size = min(batch_size, n_events - done)
            batch = pythia.nextBatch(size, "skip")
            if len(batch) == 0:
                break
            start = time.process_time()
            parts.append(to_particle_level(batch, charges))
            extract += time.process_time() - start
            done += len(batch)
            bar.update(len(batch))
    if not parts:
        raise ConfigError(f"Pythia produced no events for {desc}")
    start = time.process_time()
    events = ak.concatenate(parts) if len(parts) > 1 else parts[0]
    if timing is not None:
        timing["extract"] = extract + time.process_time() - start
    return events


def lo_cross_section(pythia: pythia8mc.Pythia) -> tuple[float, float]:
    """Pythia's sigmaGen and sigmaErr (mb) converted to pb."""
    info = pythia.infoPython()
    return info.sigmaGen() * MB_TO_PB, info.sigmaErr() * MB_TO_PB


def generate(
    process: str,
    n_events: int,
    seed: int,
    masses: dict[str, float] | None = None,
    sqrt_s_gev: float = 13000.0,
    pthat_min_gev: float = 100.0,
    slha_path: str | Path | None = None,
    extra_settings: tuple[str, ...] = (),
    slha_options: dict[str, float] | None = None,
    filter_spec: FilterSpec | None = None,
    recorder: Callable[[Any], None] | None = None,
) -> GenerationResult:
    """Generate `n_events` of a registered process; signals need `masses` (an SLHA file is written).

    `filter_spec` vetoes hard processes that fail a truth filter (susyscan.generation.filters); slepton-pair
    processes always get the flavour veto. `recorder` sees the process record of every accepted hard process
    (susyscan.surrogate reads its truth features there); it does not change the events.  Returns the particle-level array (docs/architecture.md),
    sigmaGen / sigmaErr in pb (accepted events only) and the hook's counts.
    """
    spec = get_process(process)
    masses = dict(masses or {})
    with tempfile.TemporaryDirectory(prefix="susyscan_slha_") as tmp:
        if spec.slha_model is not None:
            missing = [k for k in spec.mass_keys if k not in masses]
            if missing:
                raise ConfigError(f"process {process!r} needs masses {list(spec.mass_keys)}, missing {missing}")
            if slha_path is None:
                slha_path = Path(tmp) / f"{process}.slha"
            write_slha(spec.slha_model, {k: masses[k] for k in spec.mass_keys}, slha_path, **(slha_options or {}))
        settings = pythia_settings(
            spec, seed, sqrt_s_gev, str(slha_path) if slha_path else None, pthat_min_gev, extra_settings
        )
        what = f"process {process} seed {seed} masses {masses or '-'}"
        hook = make_hook(filter_spec, spec.slepton_pair_fix, recorder)
        sigma = user_sigma(spec)
        start = time.perf_counter()
        cpu_start = time.process_time()
        pythia = make_pythia(settings, what, hook, sigma)
        init_cpu = time.process_time() - cpu_start
        timing: dict[str, float] = {}
        events = run_batches(pythia, n_events, desc=process, timing=timing)
        seconds = time.perf_counter() - start
    xsec, err = lo_cross_section(pythia)
    n_tried = int(pythia.infoPython().nTried())
    logger.info(
        "%s: %d events in %.1f s (%.2f ms/event), sigmaGen = %.5g +- %.2g pb (LO)",
        what, len(events), seconds, 1e3 * seconds / max(len(events), 1), xsec, err,
    )
    counts = hook.counts if hook is not None else None
    if counts is not None:
        log_counts(what, counts, filter_spec)
    return GenerationResult(events=events, xsec_lo_pb=xsec, xsec_lo_err_pb=err, n_tried=n_tried,
                            seconds=seconds, settings=settings, filter_spec=filter_spec, filter_counts=counts,
                            lo_factor=spec.lo_factor, init_cpu_seconds=init_cpu,
                            extract_cpu_seconds=timing.get("extract", 0.0))


def lo_xsec_only(
    process: str,
    masses: dict[str, float] | None = None,
    seed: int = 1,
    n_events: int = 3000,
    sqrt_s_gev: float = 13000.0,
    pthat_min_gev: float = 100.0,
) -> tuple[float, float]:
    """LO cross section (pb, error) from `n_events` hard-process-only events (no shower).

    For slepton pairs this is the corrected LO (flavour veto, colour factor; docs/pythia_slepton_bug.md);
    `pythia_lo_xsec` gives Pythia's own value.
    """
    xsec, err, _ = pythia_lo_xsec(process, masses, seed, n_events, sqrt_s_gev, pthat_min_gev, flavour_veto=None)
    factor = get_process(process).lo_factor
    return factor * xsec, factor * err


def pythia_lo_xsec(
    process: str,
    masses: dict[str, float] | None = None,
    seed: int = 1,
    n_events: int = 3000,
    sqrt_s_gev: float = 13000.0,
    pthat_min_gev: float = 100.0,
    flavour_veto: bool | None = False,
) -> tuple[float, float, FilterCounts | None]:
    """Pythia's sigmaGen and error (pb) from hard-process-only events, with or without the slepton flavour veto
    (None: the process's default), and the hook's counts (None without a hook)."""
    spec = get_process(process)
    hard_only = ("PartonLevel:all = off", "HadronLevel:all = off")
    with tempfile.TemporaryDirectory(prefix="susyscan_slha_") as tmp:
        slha_path = None
        if spec.slha_model is not None:
            slha_path = write_slha(spec.slha_model, {k: (masses or {})[k] for k in spec.mass_keys},
                                   Path(tmp) / f"{process}.slha")
        settings = pythia_settings(spec, seed, sqrt_s_gev, str(slha_path) if slha_path else None,
                                   pthat_min_gev, hard_only)
        veto = spec.slepton_pair_fix if flavour_veto is None else flavour_veto
        hook = make_hook(None, veto)
        sigma = user_sigma(spec)
        pythia = make_pythia(settings, f"LO cross section of {process} {masses or ''}", hook, sigma)
        for _ in range(n_events):
            pythia.next()
    xsec, err = lo_cross_section(pythia)
    return xsec, err, hook.counts if hook is not None else None


KFACTOR_LO_EVENTS = 4000  # hard processes of the LO reference run: statistical error ~1 %
KFACTOR_LO_SEED = 1  # Pythia seed of the LO reference run (the same for every chunk and mass point)


def _pairs(values: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((str(k), float(v)) for k, v in values.items()))


@dataclass(frozen=True)
class KFactor:
    """K = NLO table / Pythia LO of the tabulated subprocess of ``process`` at one mass point: the table value and
    its uncertainty, the LO reference run's sigmaGen and MC error (``n_events`` hard processes, seed ``seed``) in
    the table's spectrum (``reference_masses``: the point's ``masses`` with the process's ``kfactor_masses``
    overriding)."""

    process: str
    masses: tuple[tuple[str, float], ...]
    sqrt_s_gev: float
    table: str
    reference_masses: tuple[tuple[str, float], ...]
    nlo_pb: float
    nlo_unc_pb: float
    lo_pb: float
    lo_err_pb: float
    n_events: int
    seed: int

    @property
    def k(self) -> float:
        return self.nlo_pb / self.lo_pb

    @property
    def k_err(self) -> float:
        """Error of K from the table uncertainty and the LO statistics (added in quadrature, relative)."""
        return self.k * math.hypot(self.nlo_unc_pb / self.nlo_pb, self.lo_err_pb / self.lo_pb)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (masses as objects; K and its error written alongside for readers)."""
        return {"process": self.process, "masses": dict(self.masses), "sqrt_s_gev": self.sqrt_s_gev,
                "table": self.table, "reference_masses": dict(self.reference_masses), "nlo_pb": self.nlo_pb,
                "nlo_unc_pb": self.nlo_unc_pb, "lo_pb": self.lo_pb, "lo_err_pb": self.lo_err_pb,
                "n_events": self.n_events, "seed": self.seed, "k": self.k, "k_err": self.k_err}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> KFactor:
        """Inverse of :meth:`as_dict`; a missing or malformed field is a ConfigError naming ``source``."""
        try:
            return cls(process=str(data["process"]), masses=_pairs(data["masses"]),
                       sqrt_s_gev=float(data["sqrt_s_gev"]), table=str(data["table"]),
                       reference_masses=_pairs(data["reference_masses"]), nlo_pb=float(data["nlo_pb"]),
                       nlo_unc_pb=float(data["nlo_unc_pb"]), lo_pb=float(data["lo_pb"]),
                       lo_err_pb=float(data["lo_err_pb"]), n_events=int(data["n_events"]), seed=int(data["seed"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: malformed K-factor record ({type(exc).__name__}: {exc})") from exc


def kfactor_table_values(process: str, masses: dict[str, float]) -> tuple[dict[str, float], float, float]:
    """The cheap part of a K-factor (no generator run): the reference spectrum (the point's ``masses`` with the
    process's ``kfactor_masses`` overriding), the NLO table value at the point and its uncertainty (pb). Used by
    :func:`table_kfactor` and, to check a K-factor file against today's table and registry, ``chunk.read_kfactors``."""
    from susyscan.generation.xsec import lookup

    spec = get_process(process)
    if spec.kfactor_table is None or spec.xsec_table_mass is None or not spec.kfactor_settings:
        raise ConfigError(f"process {process!r} declares no K-factor table (kfactor_table, kfactor_settings, "
                          "xsec_table_mass)")
    point = {k: float(v) for k, v in masses.items()}
    nlo, nlo_unc = lookup(spec.kfactor_table, point[spec.xsec_table_mass])
    return {**point, **dict(spec.kfactor_masses)}, float(nlo), float(nlo_unc)


@functools.lru_cache(maxsize=64)
def _table_kfactor(process: str, masses: tuple[tuple[str, float], ...], sqrt_s_gev: float) -> KFactor:
    spec = get_process(process)
    point = dict(masses)
    reference, nlo, nlo_unc = kfactor_table_values(process, point)
    assert spec.kfactor_table is not None  # kfactor_table_values raised otherwise
    sub = replace(spec, settings=spec.kfactor_settings, kfactor_table=None)
    hard_only = ("PartonLevel:all = off", "HadronLevel:all = off")
    logger.info("K-factor of %s at %s: LO reference run of %d hard processes", process, point, KFACTOR_LO_EVENTS)
    with tempfile.TemporaryDirectory(prefix="susyscan_slha_") as tmp:
        slha = write_slha(sub.slha_model or "", {k: reference[k] for k in sub.mass_keys}, Path(tmp) / "kfactor.slha")
        pythia = make_pythia(pythia_settings(sub, KFACTOR_LO_SEED, sqrt_s_gev, str(slha), extra_settings=hard_only),
                             f"LO reference of the K-factor of {process} at {reference}")
        for _ in range(KFACTOR_LO_EVENTS):
            pythia.next()
    lo, lo_err = lo_cross_section(pythia)
    return KFactor(process=process, masses=masses, sqrt_s_gev=sqrt_s_gev, table=spec.kfactor_table,
                   reference_masses=_pairs(reference), nlo_pb=nlo, nlo_unc_pb=nlo_unc, lo_pb=float(lo),
                   lo_err_pb=float(lo_err), n_events=KFACTOR_LO_EVENTS, seed=KFACTOR_LO_SEED)


def table_kfactor(process: str, masses: dict[str, float], sqrt_s_gev: float = 13000.0) -> KFactor:
    """K = NLO table / Pythia LO of the tabulated subprocess of ``process`` (its ``kfactor_*`` fields), the LO
    computed from ``KFACTOR_LO_EVENTS`` hard-process-only events (seed ``KFACTOR_LO_SEED``) in the table's spectrum
    (the point's masses with ``kfactor_masses`` overriding). Cached per (process, masses) within one process; the
    workflow computes it once per mass point (rule ``kfactor_reference``, ``chunk.write_kfactors``)."""
    return _table_kfactor(process, _pairs(masses), float(sqrt_s_gev))
