"""One (sample, chunk): generate with Pythia, simulate the detector, write the event file."""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

import susyscan
from susyscan.errors import ConfigError, CrossSectionRangeError
from susyscan.generation.filters import FilterSpec
from susyscan.generation.processes import ProcessSpec, get_process
from susyscan.generation.pythia_run import GenerationResult, generate
from susyscan.generation.seeds import chunk_seed
from susyscan.generation.xsec import background_xsec, lookup

logger = logging.getLogger(__name__)

REFERENCE_SQRT_S_GEV = 13000.0  # energy of the reference cross-section tables
GENERATOR = f"pythia8mc {importlib.metadata.version('pythia8mc')}"


def normalisation(spec: ProcessSpec, masses: dict[str, float], xsec_lo_pb: float, sqrt_s_gev: float) -> tuple[float, str]:
    """Normalisation cross section (pb) and its source: NLO table (signals), background table, or LO.

    Tables are 13 TeV; at another energy the LO value is kept and a warning logged.
    """
    if sqrt_s_gev != REFERENCE_SQRT_S_GEV:
        logger.warning("sqrt_s = %g GeV: reference tables are 13 TeV, keeping the LO cross section for %s",
                       sqrt_s_gev, spec.name)
        return xsec_lo_pb, f"pythia8 LO at {sqrt_s_gev:g} GeV (reference tables are 13 TeV)"
    if spec.kind == "background":
        return background_xsec(spec.name, xsec_lo_pb)
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


def reconstruct(events: ak.Array, detector_card: str | Path | None, card_overrides: dict[str, Any] | None,
                seed: int, detector_options: dict[str, float] | None = None) -> ak.Array:
    """Detector simulation of the particle-level events (truth used for tagging), plus weight and truth
    branches when the simulation leaves them out. `detector_options`: large_jet_radius, pfcand_pt_min."""
    from susyscan.detector import load_card, simulate  # imported late: separate stage

    card = load_card(detector_card, card_overrides)
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
    detector_options: dict[str, float] | None = None,
    filter_spec: FilterSpec | None = None,
) -> dict[str, Any]:
    """Generate, simulate and write one chunk of `sample_spec` (keys: name, process, masses?).

    `seed` is the global seed; the chunk's Pythia seed is chunk_seed(seed, name, chunk).
    With a generator filter, the normalisation is the unfiltered process's cross section times the
    chunk's filter efficiency (n_accepted / n_considered, recorded in the metadata with the filter).
    Returns the metadata written with the events.
    """
    from susyscan.eventio import write_events  # imported late: separate stage

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
    result: GenerationResult = generate(
        process, n_events, run_seed, masses=masses or None, sqrt_s_gev=sqrt_s_gev,
        pthat_min_gev=pthat_min_gev, slha_path=slha_out, filter_spec=filter_spec,
    )
    eff, eff_err = result.filter_efficiency()
    if not eff > 0:
        raise ConfigError(f"sample {name} chunk {chunk}: generator filter "
                          f"{filter_spec.name if filter_spec else '-'} accepted no event")
    xsec_unfiltered_pb, source = normalisation(spec, masses, result.lo_unfiltered_pb(), sqrt_s_gev)
    xsec_pb = xsec_unfiltered_pb * eff
    if filter_spec is not None:
        source = f"{source} x generator filter '{filter_spec.name}' efficiency {eff:.5g} +- {eff_err:.2g}"
    reco = reconstruct(result.events, detector_card, card_overrides, run_seed, detector_options)
    weights = ak.to_numpy(result.events["weight"])
    metadata: dict[str, Any] = {
        "sample": name,
        "process": process,
        "chunk": int(chunk),
        "seed": int(run_seed),
        "global_seed": int(seed),
        "n_events": int(len(weights)),
        "sum_weights": float(weights.sum()),
        "sum_weights2": float((weights**2).sum()),
        "xsec_pb": float(xsec_pb),
        "xsec_source": source,
        "xsec_lo_pb": float(result.xsec_lo_pb),
        "xsec_lo_err_pb": float(result.xsec_lo_err_pb),
        "sqrt_s_gev": float(sqrt_s_gev),
        "generator": GENERATOR,
        "detector_card": str(detector_card) if detector_card is not None else "default",
        "config_hash": config_hash,
        "susyscan_version": susyscan.__version__,
        "pthat_min_gev": float(pthat_min_gev) if spec.uses_pthat_min else None,
        "xsec_unfiltered_pb": float(xsec_unfiltered_pb),
        "generator_filter": None if filter_spec is None else filter_spec.as_metadata(),
        "filter_efficiency": float(eff),
        "filter_efficiency_err": float(eff_err),
        "hook_counts": None if result.filter_counts is None else result.filter_counts.as_metadata(),
    }
    if result.xsec_lo_corrected_pb is not None:
        metadata["xsec_lo_corrected_pb"] = float(result.xsec_lo_corrected_pb)
        metadata["xsec_lo_note"] = ("xsec_lo_pb is Pythia's sigmaGen of accepted (same-flavour) events; "
                                    "xsec_lo_corrected_pb fixes the colour average (docs/pythia_slepton_bug.md)")
    if spec.kind == "signal":
        metadata["masses"] = masses
    write_events(out_path, reco, metadata)
    logger.info("wrote %s: %d events, xsec %.5g pb (%s), LO %.5g pb", out_path, len(weights), xsec_pb, source,
                result.xsec_lo_pb)
    return metadata
