"""One (sample, chunk): generate with Pythia, simulate the detector, write the event file."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np

import susyscan
from susyscan.errors import ConfigError, CrossSectionRangeError
from susyscan.generation.filters import FilterSpec
from susyscan.generation.processes import REFERENCE_SQRT_S_GEV, ProcessSpec, get_process, kfactor_processes
from susyscan.generation.pythia_run import (
    KFACTOR_LO_EVENTS,
    KFACTOR_LO_SEED,
    GenerationResult,
    KFactor,
    generate,
    kfactor_table_values,
    table_kfactor,
)
from susyscan.generation.seeds import chunk_seed
from susyscan.generation.xsec import background_xsec, lookup

if TYPE_CHECKING:
    from susyscan.detector.card import DetectorCard

logger = logging.getLogger(__name__)

GENERATOR = f"pythia8mc {importlib.metadata.version('pythia8mc')}"
#: the remedy that every error about a K-factor file names
_RERUN = "rerun kfactor_reference"


def write_kfactors(process: str, masses: dict[str, float], sqrt_s_gev: float, path: str | Path) -> dict[str, KFactor]:
    """Compute the K-factors of one mass point of ``process`` (:func:`kfactor_processes`, the LO reference run of
    ``pythia_run.table_kfactor``) and write them as JSON (``{"process", "masses", "sqrt_s_gev", "generator",
    "kfactors": {process: KFactor.as_dict()}}``): the workflow's per-point file that every chunk of the point reads."""
    from susyscan.atomic import write_json_atomic

    point = {k: float(v) for k, v in masses.items()}
    kfactors = {name: table_kfactor(name, point, sqrt_s_gev) for name in kfactor_processes(process, sqrt_s_gev)}
    write_json_atomic({"process": process, "masses": point, "sqrt_s_gev": float(sqrt_s_gev), "generator": GENERATOR,
                       "kfactors": {name: kf.as_dict() for name, kf in kfactors.items()}}, path, sort_keys=True)
    logger.info("wrote %s: %s", path, ", ".join(f"{n} K = {kf.k:.4g} +- {kf.k_err:.2g}" for n, kf in kfactors.items())
                or f"no K-factor for {process} at {sqrt_s_gev:g} GeV")
    return kfactors


def _same(found: Any, wanted: Any) -> bool:
    """Equal, floats (also inside mass dicts) to 1e-9 relative: the JSON round trip is exact, an interpolation in
    another numpy build may differ in the last digit; a changed table or registry entry differs far more."""
    if isinstance(found, dict) and isinstance(wanted, dict):
        return found.keys() == wanted.keys() and all(_same(found[k], wanted[k]) for k in wanted)
    if isinstance(found, float) and isinstance(wanted, float):
        return math.isclose(found, wanted, rel_tol=1e-9)
    return bool(found == wanted)


def read_kfactors(path: str | Path, process: str, masses: dict[str, float], sqrt_s_gev: float) -> dict[str, KFactor]:
    """The K-factors of :func:`write_kfactors` for this sample's point. Checked against what can be recomputed
    without the LO run: process, point, energy, table name, the reference spectrum (``kfactor_masses``), the NLO
    table value and uncertainty at the point, LO reference setting (events, seed), set of K-factor processes and the
    generator version; a mismatch is a ConfigError naming the file, the process and the field (rerun
    kfactor_reference)."""
    source = f"K-factor file {path}"
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: unreadable ({exc}); {_RERUN}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("kfactors"), dict):
        raise ConfigError(f"{source}: no 'kfactors' object; {_RERUN}")
    if data.get("generator") != GENERATOR:
        raise ConfigError(f"{source}: field generator {data.get('generator')!r} (expected {GENERATOR!r}); {_RERUN}")
    point = {k: float(v) for k, v in masses.items()}
    kfactors = {name: KFactor.from_dict(record, f"{source} [{name}]") for name, record in data["kfactors"].items()}
    expected = kfactor_processes(process, sqrt_s_gev)
    if sorted(kfactors) != sorted(expected):
        raise ConfigError(f"{source}: K-factors of {sorted(kfactors)}, sample of {process} at {sqrt_s_gev:g} GeV "
                          f"needs {sorted(expected)}; {_RERUN}")
    for name, kf in kfactors.items():
        reference, nlo, nlo_unc = kfactor_table_values(name, point)
        found = kf.as_dict()
        wanted = {"process": name, "masses": point, "sqrt_s_gev": float(sqrt_s_gev),
                  "table": get_process(name).kfactor_table, "reference_masses": reference, "nlo_pb": nlo,
                  "nlo_unc_pb": nlo_unc, "n_events": KFACTOR_LO_EVENTS, "seed": KFACTOR_LO_SEED}
        wrong = {k: (found[k], wanted[k]) for k in wanted if not _same(found[k], wanted[k])}
        if wrong:
            fields = ", ".join(f"field {k} {a!r} (expected {b!r})" for k, (a, b) in wrong.items())
            raise ConfigError(f"{source} [{name}]: {fields}; {_RERUN}")
    return kfactors


def normalisation(spec: ProcessSpec, masses: dict[str, float], xsec_lo_pb: float, sqrt_s_gev: float,
                  kfactors: Mapping[str, KFactor] | None = None) -> tuple[float, str]:
    """Normalisation cross section (pb) and its source: NLO table (signals), background table, or LO.

    Tables are 13 TeV; at another energy the LO value is kept and a warning logged. A process with a table
    K-factor takes it from ``kfactors`` (:func:`read_kfactors`), else runs its LO reference here (logged).
    """
    if sqrt_s_gev != REFERENCE_SQRT_S_GEV:
        logger.warning("sqrt_s = %g GeV: reference tables are 13 TeV, keeping the LO cross section for %s",
                       sqrt_s_gev, spec.name)
        return xsec_lo_pb, f"pythia8 LO at {sqrt_s_gev:g} GeV (reference tables are 13 TeV)"
    if spec.kind == "background":
        return background_xsec(spec.name, xsec_lo_pb)
    if spec.kfactor_table is not None:
        kf = (kfactors or {}).get(spec.name)
        if kf is None:
            logger.info("%s at %s: no per-point K-factor file given, computing its K-factor in this process",
                        spec.name, masses)
            kf = table_kfactor(spec.name, masses, sqrt_s_gev)
        return kf.k * xsec_lo_pb, (f"pythia8 LO x K = {kf.k:.4g} +- {kf.k_err:.2g} ({spec.kfactor_table} at "
                                   f"{spec.xsec_table_mass}={masses[spec.xsec_table_mass or '']:g} GeV over the "
                                   f"Pythia LO {kf.lo_pb:.4g} pb of its subprocess with {dict(spec.kfactor_masses)})")
    if spec.xsec_table is None:
        return xsec_lo_pb, f"pythia8 LO (no NLO table for {spec.description})"
    if spec.xsec_table_mass is None:
        raise ConfigError(f"process {spec.name}: NLO table {spec.xsec_table} without a mass key (xsec_table_mass)")
    mass = float(masses[spec.xsec_table_mass])
    xsec, unc = lookup(spec.xsec_table, mass)
    factor = spec.xsec_table_factor
    scaled = "" if factor == 1.0 else f" x {factor:g}"
    return factor * xsec, f"{spec.xsec_table}{scaled} at {spec.xsec_table_mass}={mass:g} GeV (unc {factor * unc:.3g} pb)"


TRUTH_BRANCH_FIELDS = ("pid", "pt", "eta", "phi", "mass", "status")


def truth_branches(truth: ak.Array) -> dict[str, ak.Array]:
    """truth_pid/_pt/_eta/_phi/_mass/_status branches from the particle-level truth record."""
    pt = np.hypot(truth["px"], truth["py"])
    p = np.sqrt(pt**2 + truth["pz"] ** 2)
    eta = np.arcsinh(ak.where(pt > 0, truth["pz"] / ak.where(pt > 0, pt, 1.0), np.sign(truth["pz"]) * 1e4))
    return {
        "truth_pid": ak.values_astype(truth["pid"], np.int32),
        "truth_pt": ak.values_astype(pt, np.float32),
        "truth_eta": ak.values_astype(ak.where(p > 0, eta, 0.0), np.float32),
        "truth_phi": ak.values_astype(np.arctan2(truth["py"], truth["px"]), np.float32),
        "truth_mass": ak.values_astype(truth["mass"], np.float32),
        "truth_status": ak.values_astype(truth["status"], np.int32),
    }


def reconstruct(events: ak.Array, card: DetectorCard, seed: int,
                detector_options: dict[str, Any] | None = None) -> ak.Array:
    """Detector simulation of the particle-level events with the loaded ``card`` (truth used for tagging), plus
    weight and truth branches when the simulation leaves them out. `detector_options`: large_jet_radius,
    pfcand_pt_min, tau_truth_tagging (optional)."""
    from susyscan.detector import simulate  # imported late: separate stage

    rng = np.random.default_rng([seed, 1])
    reco = simulate(events, card, rng, **(detector_options or {}))
    present = set(ak.fields(reco))
    if "weight" not in present:
        reco = ak.with_field(reco, events["weight"], "weight")
    if not {f"truth_{k}" for k in TRUTH_BRANCH_FIELDS} <= present:  # simulate() normally writes them already
        for name, values in truth_branches(events["truth"]).items():
            if name not in present:
                reco = ak.with_field(reco, values, name)
    return reco


def _truth_tag_metadata(reco: ak.Array, card: DetectorCard) -> dict[str, Any]:
    """The metadata entry of tau truth tagging when ``simulate()`` truth-tagged the taus (its factor branch is
    there; ``detector_options['tau_truth_tagging']``), else nothing (randomly tagged files keep their metadata)."""
    from susyscan.detector.truthtag import TAU_TAG_WEIGHT, truth_tag_metadata

    if TAU_TAG_WEIGHT not in ak.fields(reco):
        return {}
    return truth_tag_metadata(card)


def _xsec_metadata(*, xsec_pb: float, source: str, lo_pb: float, lo_err_pb: float, pthat_min_gev: float | None,
                   unfiltered_pb: float, efficiency: float, efficiency_err: float,
                   hook_counts: dict[str, Any] | None) -> dict[str, Any]:
    """The normalisation entries of every chunk's metadata (plain and composite chunks)."""
    return {
        "xsec_pb": float(xsec_pb),
        "xsec_source": source,
        "xsec_lo_pb": float(lo_pb),
        "xsec_lo_err_pb": float(lo_err_pb),
        "pthat_min_gev": None if pthat_min_gev is None else float(pthat_min_gev),
        "xsec_unfiltered_pb": float(unfiltered_pb),
        "filter_efficiency": float(efficiency),
        "filter_efficiency_err": float(efficiency_err),
        "hook_counts": hook_counts,
    }


def _write_chunk(out_path: str | Path, reco: ak.Array, card: DetectorCard, metadata: dict[str, Any]) -> dict[str, Any]:
    """Add the truth-tagging entry (when the taus were truth-tagged) and write the event file; returns the metadata
    written."""
    from susyscan.eventio import write_events  # imported late: separate stage

    metadata.update(_truth_tag_metadata(reco, card))
    write_events(out_path, reco, metadata)
    return metadata


def generate_chunk(
    sample_spec: dict[str, Any],
    chunk: int,
    n_events: int,
    seed: int,
    out_path: str | Path,
    detector_card: str | Path | None,
    sqrt_s_gev: float = 13000.0,
    pthat_min_gev: float = 100.0,
    card_overrides: dict[str, Any] | None = None,
    config_hash: str = "",
    slha_out: str | Path | None = None,
    detector_options: dict[str, Any] | None = None,
    filter_spec: FilterSpec | None = None,
    kfactor_path: str | Path | None = None,
) -> dict[str, Any]:
    """Generate, simulate and write one chunk of `sample_spec` (keys: name, process, masses?).

    `seed` is the global seed; the chunk's Pythia seed is chunk_seed(seed, name, chunk).
    With a generator filter, the normalisation is the unfiltered process's cross section times the
    chunk's filter efficiency (n_accepted / n_considered, recorded in the metadata with the filter).
    `slha_out`: where the point's SLHA spectrum is written (signals; a composite's components share it).
    `kfactor_path`: the point's K-factor file (:func:`write_kfactors`); without it, a process normalised with a
    table K-factor runs its LO reference in this process (logged).
    Returns the metadata written with the events.
    """
    from susyscan.detector import load_card  # imported late: separate stage

    try:
        name, process = sample_spec["name"], sample_spec["process"]
    except KeyError as exc:
        raise ConfigError(f"sample spec {sample_spec} lacks field {exc}") from exc
    spec = get_process(process)
    masses = {k: float(v) for k, v in (sample_spec.get("masses") or {}).items()}
    run_seed = chunk_seed(seed, name, chunk)
    if spec.xsec_table is not None and spec.xsec_table_mass is not None and sqrt_s_gev == REFERENCE_SQRT_S_GEV:
        if spec.xsec_table_mass not in masses:
            raise ConfigError(f"sample {name}: masses {masses} lack {spec.xsec_table_mass}")
        try:  # fail before generating when the point is outside the NLO table
            lookup(spec.xsec_table, masses[spec.xsec_table_mass])
        except CrossSectionRangeError as exc:
            raise CrossSectionRangeError(f"sample {name}: {exc}") from exc
    kfactors = None if kfactor_path is None else read_kfactors(kfactor_path, process, masses, sqrt_s_gev)
    card = load_card(detector_card, card_overrides)
    if spec.components:
        return _generate_composite_chunk(spec, name, chunk, n_events, seed, run_seed, masses, out_path, card,
                                         detector_card, sqrt_s_gev, pthat_min_gev, config_hash, slha_out,
                                         detector_options, filter_spec, kfactors)
    result: GenerationResult = generate(
        process, n_events, run_seed, masses=masses or None, sqrt_s_gev=sqrt_s_gev,
        pthat_min_gev=pthat_min_gev, slha_path=slha_out, filter_spec=filter_spec,
    )
    part = _normalised(spec, name, chunk, result, masses, sqrt_s_gev, filter_spec, kfactors)
    reco = reconstruct(result.events, card, run_seed, detector_options)
    weights = ak.to_numpy(result.events["weight"])
    metadata = _chunk_metadata(name, process, chunk, run_seed, seed, weights, sqrt_s_gev, detector_card,
                               config_hash, filter_spec)
    metadata.update(_xsec_metadata(
        xsec_pb=part["xsec_pb"], source=part["xsec_source"], lo_pb=result.xsec_lo_pb,
        lo_err_pb=result.xsec_lo_err_pb, pthat_min_gev=pthat_min_gev if spec.uses_pthat_min else None,
        unfiltered_pb=part["xsec_unfiltered_pb"], efficiency=part["filter_efficiency"],
        efficiency_err=part["filter_efficiency_err"],
        hook_counts=None if result.filter_counts is None else result.filter_counts.as_metadata()))
    if result.xsec_lo_corrected_pb is not None:
        metadata["xsec_lo_corrected_pb"] = float(result.xsec_lo_corrected_pb)
        metadata["xsec_lo_note"] = ("xsec_lo_pb is Pythia's sigmaGen of accepted (same-flavour) events; "
                                    "xsec_lo_corrected_pb fixes the colour average (docs/pythia_slepton_bug.md)")
    if spec.kind == "signal":
        metadata["masses"] = masses
    _write_chunk(out_path, reco, card, metadata)
    logger.info("wrote %s: %d events, xsec %.5g pb (%s), LO %.5g pb", out_path, len(weights), part["xsec_pb"],
                part["xsec_source"], result.xsec_lo_pb)
    return metadata


def _chunk_metadata(name: str, process: str, chunk: int, run_seed: int, seed: int, weights: np.ndarray,
                    sqrt_s_gev: float, detector_card: str | Path | None, config_hash: str,
                    filter_spec: FilterSpec | None) -> dict[str, Any]:
    """The metadata keys that every generated chunk has, whatever its normalisation."""
    return {
        "sample": name,
        "process": process,
        "chunk": int(chunk),
        "seed": int(run_seed),
        "global_seed": int(seed),
        "n_events": int(len(weights)),
        "sum_weights": float(weights.sum()),
        "sum_weights2": float((weights**2).sum()),
        "sqrt_s_gev": float(sqrt_s_gev),
        "generator": GENERATOR,
        "detector_card": str(detector_card) if detector_card is not None else "default",
        "config_hash": config_hash,
        "susyscan_version": susyscan.__version__,
        "generator_filter": None if filter_spec is None else filter_spec.as_metadata(),
    }


def _normalised(spec: ProcessSpec, name: str, chunk: int, result: GenerationResult, masses: dict[str, float],
                sqrt_s_gev: float, filter_spec: FilterSpec | None,
                kfactors: Mapping[str, KFactor] | None) -> dict[str, Any]:
    """Normalisation of one Pythia run: unfiltered cross section (table, background reference or LO) and its
    product with the run's filter efficiency, with their sources (a filter that accepted nothing is an error)."""
    eff, eff_err = result.filter_efficiency()
    if not eff > 0:
        raise ConfigError(f"sample {name} chunk {chunk} (process {spec.name}): generator filter "
                          f"{filter_spec.name if filter_spec else '-'} accepted no event")
    xsec_unfiltered_pb, source = normalisation(spec, masses, result.lo_unfiltered_pb(), sqrt_s_gev, kfactors)
    if filter_spec is not None:
        source = f"{source} x generator filter '{filter_spec.name}' efficiency {eff:.5g} +- {eff_err:.2g}"
    return {"xsec_pb": xsec_unfiltered_pb * eff, "xsec_unfiltered_pb": xsec_unfiltered_pb, "xsec_source": source,
            "filter_efficiency": eff, "filter_efficiency_err": eff_err}


def component_events(n_events: int, shares: list[float]) -> list[int]:
    """Events of each component of a composite process: ``share * n_events`` rounded, the rest to the last one."""
    counts = [int(round(share * n_events)) for share in shares[:-1]]
    counts.append(n_events - sum(counts))
    return counts


def _generate_composite_chunk(spec: ProcessSpec, name: str, chunk: int, n_events: int, seed: int, run_seed: int,
                              masses: dict[str, float], out_path: str | Path, card: DetectorCard,
                              detector_card: str | Path | None, sqrt_s_gev: float, pthat_min_gev: float,
                              config_hash: str, slha_out: str | Path | None, detector_options: dict[str, Any] | None,
                              filter_spec: FilterSpec | None, kfactors: Mapping[str, KFactor] | None) -> dict[str, Any]:
    """One chunk of a composite process: one Pythia run per component (seed ``chunk_seed(seed, name/component,
    chunk)``), each normalised by its own ProcessSpec and filter efficiency; event weights rescaled so that each
    component's weights sum to its share of the total cross section (times n_events / xsec_pb, i.e. mean weight ~1),
    and the component index written per event (``process_component``). The components share the slha model and
    mass keys (``processes.check_composites``), so each writes the same spectrum to ``slha_out``."""
    counts = component_events(n_events, [share for _, share in spec.components])
    if min(counts) < 1:
        raise ConfigError(f"sample {name} chunk {chunk}: {n_events} events leave a component of {spec.name} "
                          f"({list(spec.components)}) without events")
    parts: list[ak.Array] = []
    labels: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    raw_weights: list[np.ndarray] = []
    for index, ((process, share), n_part) in enumerate(zip(spec.components, counts)):
        part_spec = get_process(process)
        part_seed = chunk_seed(seed, f"{name}/{process}", chunk)
        result = generate(process, n_part, part_seed, masses=masses or None, sqrt_s_gev=sqrt_s_gev,
                          pthat_min_gev=pthat_min_gev, slha_path=slha_out, filter_spec=filter_spec)
        record = _normalised(part_spec, name, chunk, result, masses, sqrt_s_gev, filter_spec, kfactors)
        record.update({"process": process, "share": share, "n_events": int(len(result.events)), "seed": int(part_seed),
                       "n_tried": result.n_tried, "xsec_lo_pb": float(result.xsec_lo_pb),
                       "xsec_lo_err_pb": float(result.xsec_lo_err_pb),
                       "hook_counts": None if result.filter_counts is None else result.filter_counts.as_metadata()})
        records.append(record)
        parts.append(result.events)
        raw_weights.append(ak.to_numpy(result.events["weight"]).astype(np.float64))
        labels.append(np.full(len(result.events), index, dtype=np.int32))
    xsec_pb = sum(r["xsec_pb"] for r in records)
    xsec_unfiltered_pb = sum(r["xsec_unfiltered_pb"] for r in records)
    n_total = sum(len(w) for w in raw_weights)
    scaled = [w * (r["xsec_pb"] / w.sum()) * (n_total / xsec_pb) for w, r in zip(raw_weights, records)]
    weights = np.concatenate(scaled)
    events = ak.with_field(ak.concatenate(parts), weights, "weight")
    reco = reconstruct(events, card, run_seed, detector_options)
    reco = ak.with_field(reco, np.concatenate(labels), "process_component")
    eff_err = math.sqrt(sum((r["xsec_unfiltered_pb"] * r["filter_efficiency_err"]) ** 2 for r in records)) / xsec_unfiltered_pb
    source = " + ".join(f"{r['process']} {r['xsec_pb']:.5g} pb ({r['xsec_source']})" for r in records)
    metadata = _chunk_metadata(name, spec.name, chunk, run_seed, seed, weights, sqrt_s_gev, detector_card,
                               config_hash, filter_spec)
    metadata.update(_xsec_metadata(
        xsec_pb=xsec_pb, source=f"sum of components: {source}", lo_pb=sum(r["xsec_lo_pb"] for r in records),
        lo_err_pb=math.sqrt(sum(r["xsec_lo_err_pb"] ** 2 for r in records)), pthat_min_gev=None,
        unfiltered_pb=xsec_unfiltered_pb, efficiency=xsec_pb / xsec_unfiltered_pb, efficiency_err=eff_err,
        hook_counts=None))
    metadata.update({"components": records, "masses": masses})
    _write_chunk(out_path, reco, card, metadata)
    logger.info("wrote %s: %d events of composite %s, xsec %.5g pb (%s)", out_path, len(weights), spec.name,
                xsec_pb, metadata["xsec_source"])
    return metadata
