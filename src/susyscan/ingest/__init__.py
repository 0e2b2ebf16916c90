"""Event ingestion behind one entry point: LHE (+Pythia shower), HepMC, Delphes ROOT.

``read_events_any(path, kind=None, **opts) -> (events, info)``: ``info["level"]`` says whether
``events`` is particle-level (LHE, HepMC: to be passed to :func:`susyscan.detector.simulate`) or
already reconstructed (Delphes: the event-file schema of docs/architecture.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from susyscan.errors import ConfigError, EventFileError
from susyscan.seeds import chunk_seed  # the one per-chunk seed (generation and ingestion alike)

logger = logging.getLogger(__name__)

KINDS = ("lhe", "hepmc", "delphes")
PARTICLE_LEVEL, RECONSTRUCTED = "particle", "reconstructed"


def detect_kind(path: str | Path) -> str:
    """File kind from the extension (``.lhe[.gz]``, ``.hepmc[2|3][.gz]``, ``.root``)."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".lhe") or name.endswith(".lhef"):
        return "lhe"
    if name.endswith((".hepmc", ".hepmc3", ".hepmc2")):
        return "hepmc"
    if name.endswith(".root"):
        return "delphes"
    raise EventFileError(f"event file {path}: unknown extension; expected .lhe, .lhe.gz, .hepmc, .hepmc3, "
                         f".hepmc.gz or .root (Delphes), or pass kind= one of {KINDS}")


def read_events_any(path: str | Path, kind: str | None = None, **opts: Any) -> tuple[ak.Array, dict[str, Any]]:
    """Read any supported event file; ``opts`` go to the reader (e.g. ``n_events``, ``seed`` for LHE,
    ``max_events`` for HepMC, ``pfcand_pt_min`` for Delphes)."""
    kind = detect_kind(path) if kind is None else kind.lower()
    if kind == "lhe":
        from susyscan.ingest.lhe import shower_lhe  # Pythia: imported only when needed

        events, info = shower_lhe(path, **opts)
        level = PARTICLE_LEVEL
    elif kind == "hepmc":
        from susyscan.ingest.hepmc import read_hepmc

        events, info = read_hepmc(path, **opts)
        level = PARTICLE_LEVEL
    elif kind == "delphes":
        from susyscan.ingest.delphes import read_delphes

        events, info = read_delphes(path, **opts)
        level = RECONSTRUCTED
    else:
        raise EventFileError(f"event file {path}: unknown kind {kind!r} (expected one of {KINDS})")
    info = dict(info, kind=kind, level=level, source=str(path))
    return events, info


def _metadata(metadata: dict[str, Any], info: dict[str, Any], detector_card: str,
              xsec_pb: float | None, xsec_source: str | None, seed: int) -> dict[str, Any]:
    """Contract metadata: user values first, then what the file says; cross section from config or file."""
    import susyscan

    meta: dict[str, Any] = {
        "sample": None, "process": None, "chunk": 0, "seed": seed, "config_hash": "",
        "sqrt_s_gev": info.get("sqrt_s_gev"), "generator": info.get("generator", info["kind"]),
        "susyscan_version": getattr(susyscan, "__version__", "unknown"),
    }
    meta.update({k: v for k, v in metadata.items() if v is not None})
    if info.get("sqrt_s_gev") is not None:  # the file's energy is the truth; the config's was checked against it
        meta["sqrt_s_gev"] = float(info["sqrt_s_gev"])
        meta["sqrt_s_source"] = f"{info['kind']} file"
    else:
        meta["sqrt_s_source"] = "config (the file does not state it)"
    for key in ("scheme", "detected_scheme", "scheme_parameters", "header_xsec_pb", "header_xsec_err_pb",
                "xsec_ratio_to_header", "xsec_err_pb", "n_file", "n_requested", "n_read", "n_accepted", "acceptance",
                "negative_fraction", "n_effective", "weight_names", "alt_weights", "scale_envelope", "hook_counts",
                "header"):
        if key in info:
            meta.setdefault("lhe", {})[key] = info[key]
    if "scale_envelope" in info:
        meta["scale_envelope"] = info["scale_envelope"]
        meta["alt_weights"] = info.get("alt_weights", [])
    # per-event alternative weights: event-file branches altw_*, described here (docs/nlo_ingestion.md)
    meta["alt_weight_columns"] = list(info.get("alt_weight_columns") or [])
    meta["detector_card"] = detector_card
    meta["xsec_lo_pb"] = info.get("xsec_pb")
    meta["source_file"] = info["source"]
    if xsec_pb is not None:
        meta["xsec_pb"], meta["xsec_source"] = float(xsec_pb), xsec_source or "config"
    elif info.get("xsec_pb") is not None:
        source = f"{info['kind']} file"
        if info.get("scheme") is not None:
            source = (f"LHE file showered by Pythia 8 ({info['scheme']}): sigmaGen of the chunk's events, negative "
                      f"weights included; header sum of XSECUP {info['header_xsec_pb']:.6g} pb")
        meta["xsec_pb"], meta["xsec_source"] = float(info["xsec_pb"]), source
        if info.get("scheme") is not None and info.get("xsec_err_pb"):
            meta["xsec_err_pb"] = float(info["xsec_err_pb"])  # the chunks' estimates scatter by this much
    else:
        raise ConfigError(f"sample {meta['sample']!r}: no cross section in {info['source']}; set xsec_pb in the config")
    if meta["sample"] is None:
        raise ConfigError(f"event file {info['source']}: metadata needs a 'sample' name")
    return meta


#: Schemes whose showered cross section must reproduce the header's (no matching/merging veto).
UNVETOED_SCHEMES = ("none", "mcatnlo", "powheg")


def check_lhe_normalisation(info: dict[str, Any], sample: Any) -> None:
    """EventFileError when an unmatched/unmerged LHE file's weights do not reproduce its own cross section.

    Without vetoes, Pythia's sigmaGen (mean signed weight) estimates the header's sum of XSECUP. A ratio r with
    |r - 1| above max(0.2, 5 x the statistical error sqrt(sum w^2)/|sum w| of the showered events' weights) means
    weights in another convention (e.g. a POWHEG-BOX file combined from k parallel runs, whose weights must be
    divided by k: r = k, from 2 up) or a header that does not describe the events (r well below 1), either of which
    would normalise the sample wrongly. The 20 % floor allows for a header XSECUP that differs from the events'
    mean weight; measured on the project's LHE test files: r = 1.000 (MadGraph W b j, MC@NLO; Pythia 6 ttbar),
    1.015 (POWHEG-BOX Z), 515 (POWHEG-BOX hvq, weights of combined runs). (Until 2026-12-04 the floor was 1, which
    let every r in (0, 2] through, two combined runs included.) Giving ``xsec_pb`` in the samples table uses only
    the relative weights.
    """
    if info.get("scheme") not in UNVETOED_SCHEMES or not info.get("header_xsec_pb"):
        return
    ratio = info["xsec_pb"] / info["header_xsec_pb"]
    sumw, sumw2 = info.get("sum_weights", 0.0), info.get("sum_weights2", 0.0)
    rel_stat = (sumw2**0.5 / abs(sumw)) if sumw else float("inf")
    if abs(ratio - 1.0) > max(0.2, 5.0 * rel_stat):
        raise EventFileError(
            f"sample {sample!r}: LHE file {info['source']}: the event weights give {info['xsec_pb']:.6g} pb, the "
            f"header's <init> says {info['header_xsec_pb']:.6g} pb (ratio {ratio:.3g}, statistical error "
            f"{rel_stat:.2g}); the weights follow another normalisation convention: set xsec_pb for this sample "
            "in the samples table")


def _with_alt_weights(reco: ak.Array, events: ak.Array, info: dict[str, Any], where: str) -> ak.Array:
    """The reconstructed events with one ``altw_*`` field per alternative weight of ``info["alt_weight_columns"]``
    (the detector simulation keeps the events one to one, so row i of the weight matrix is reco event i)."""
    columns = info.get("alt_weight_columns") or []
    if not columns:
        return reco
    from susyscan.ingest.weights import alt_weight_arrays

    matrix = ak.to_numpy(events["alt_weights"]) if "alt_weights" in events.fields else None
    if matrix is not None and len(matrix) != len(reco):
        raise EventFileError(f"{where}: {len(matrix)} weight rows for {len(reco)} reconstructed events")
    for name, values in alt_weight_arrays(matrix, columns, where).items():
        reco = ak.with_field(reco, values, name)
    return reco


def chunk_range(n_events: int, n_chunks: int, chunk: int) -> tuple[int, int]:
    """(first event, number of events) of ``chunk`` when ``n_events`` are split into ``n_chunks``
    (the first ``n_events % n_chunks`` chunks get one more event)."""
    if not 0 <= chunk < n_chunks:
        raise ConfigError(f"chunk {chunk} outside 0..{n_chunks - 1}")
    base, extra = divmod(n_events, n_chunks)
    return chunk * base + min(chunk, extra), base + (1 if chunk < extra else 0)


def _reader_options(kind: str, first_event: int, n_events: int | None) -> dict[str, Any]:
    """Map an event range onto each reader's own options (LHE: exactly these LHE events are read)."""
    if kind == "lhe":
        return {"n_events": n_events, "first_event": first_event}
    return {"first_event": first_event, "max_events": n_events}


def ingest_file(
    input_path: str | Path,
    output_path: str | Path,
    metadata: dict[str, Any],
    kind: str | None = None,
    card_path: str | Path | None = None,
    card_overrides: dict[str, Any] | None = None,
    seed: int = 12345,
    large_jet_radius: float = 1.0,
    pfcand_pt_min: float = 1.0,
    xsec_pb: float | None = None,
    xsec_source: str | None = None,
    first_event: int = 0,
    n_events: int | None = None,
    reader_opts: dict[str, Any] | None = None,
    require_particle_level: bool = False,
    ingest_options: dict[str, Any] | None = None,
    config_sqrt_s_gev: float | None = None,
    tau_truth_tagging: bool = False,
) -> dict[str, Any]:
    """Any user event file -> reconstructed event file of the contract; returns the written metadata.

    Reads events ``first_event`` .. ``first_event + n_events`` (all when None). Particle-level inputs
    (LHE, HepMC) go through :func:`susyscan.detector.simulate` with ``numpy.random.default_rng(seed)``;
    Delphes files map directly. ``xsec_pb`` (from the user's config) wins over the file's cross
    section, which is kept as ``xsec_lo_pb``. LHE files: ``ingest_options`` are the sample's shower options
    (:class:`susyscan.ingest.lhe_setup.IngestOptions`: scheme, merging scales, Pythia settings, declared
    ``sqrt_s_gev``) and ``config_sqrt_s_gev`` the configured energy the file must match unless declared.
    ``tau_truth_tagging`` (config ``detector.tau_truth_tagging``): particle-level inputs get the taus of
    :mod:`susyscan.detector.truthtag` (factor branch and metadata as generated chunks); a Delphes file cannot
    (Delphes has tagged its taus with its own card) and is a ConfigError naming the sample and the key, as at
    start-up (:func:`susyscan.ingest.startup.check_ingested_samples`).
    """
    from susyscan.eventio import write_events

    detected = detect_kind(input_path) if kind is None else kind
    sample = metadata.get("sample")
    if tau_truth_tagging and detected == "delphes":
        raise ConfigError(delphes_truth_tagging_message(str(sample), input_path))
    opts = _reader_options(detected, first_event, n_events) | dict(reader_opts or {})
    if detected == "delphes":
        opts.setdefault("pfcand_pt_min", pfcand_pt_min)
    if detected == "lhe":
        opts.setdefault("seed", seed)
        opts.setdefault("options", ingest_options)
        opts.setdefault("expected_sqrt_s_gev", config_sqrt_s_gev)
    try:
        events, info = read_events_any(input_path, detected, **opts)
    except EventFileError as exc:
        raise EventFileError(f"sample {sample!r}: {exc}") from exc
    except ConfigError as exc:
        raise ConfigError(f"sample {sample!r}: {exc}") from exc
    if xsec_pb is None:
        check_lhe_normalisation(info, sample)
    if info["level"] == PARTICLE_LEVEL:
        from susyscan.detector import load_card, simulate

        card = load_card(card_path, card_overrides)
        reco = simulate(events, card, np.random.default_rng(seed), large_jet_radius=large_jet_radius,
                        pfcand_pt_min=pfcand_pt_min, tau_truth_tagging=tau_truth_tagging)
        detector_card = card.path
        if tau_truth_tagging:
            from susyscan.detector.truthtag import truth_tag_metadata

            metadata = metadata | truth_tag_metadata(card)
        reco = _with_alt_weights(reco, events, info, f"sample {sample!r}: {input_path}")
    elif require_particle_level:
        raise EventFileError(f"event file {input_path}: is {info['kind']} (already reconstructed), expected LHE or HepMC")
    else:
        reco, detector_card = events, "delphes (external)"
    meta = _metadata(metadata, info, detector_card, xsec_pb, xsec_source, seed)
    meta["first_event"] = first_event
    return write_events(output_path, reco, meta)


def delphes_truth_tagging_message(sample: str, path: str | Path) -> str:
    """Why a Delphes sample cannot be ingested with tau truth tagging (start-up and per chunk alike)."""
    return (f"sample '{sample}': config key 'detector.tau_truth_tagging' is on, but {path} is a Delphes file whose "
            f"taus Delphes has already tagged at random with its own card's rates; there are no per-jet tag "
            f"probabilities of our card to truth-tag with. Ingest it as particle-level events (HepMC or LHE) or "
            f"run without tau truth tagging")


def _get(container: Any, key: str, default: Any = None) -> Any:
    """Named access on snakemake's Namedlist/params (attribute or mapping)."""
    if hasattr(container, "get"):
        try:
            return container.get(key, default)
        except TypeError:
            pass
    return getattr(container, key, default)


def ingest_from_snakemake(smk: Any, require_particle_level: bool) -> dict[str, Any]:
    """Adapter for the Snakemake scripts (see scripts/ingest_events.py for the named inputs/params)."""
    params = smk.params
    source = _get(smk.input, "events") or _get(smk.input, "source")
    if source is None:
        raise ConfigError("ingest rule: input 'events' (or 'source') is required")
    sample = _get(params, "sample")
    spec: dict[str, Any] = dict(sample) if isinstance(sample, dict) else {"name": sample}
    name = str(spec.get("name"))
    wildcards = getattr(smk, "wildcards", None)
    chunk = _get(params, "chunk")
    if chunk is None and wildcards is not None:
        chunk = _get(wildcards, "chunk")
    chunk = int(chunk or 0)
    first_event, n_events = 0, _get(params, "n_events")
    if spec.get("n_events") and spec.get("n_chunks"):
        first_event, n_events = chunk_range(int(spec["n_events"]), int(spec["n_chunks"]), chunk)
    detector = dict(_get(params, "detector") or {})
    card = _get(smk.input, "card") or detector.get("card")
    base_seed = int(_get(params, "seed", 12345))
    metadata = {"sample": name, "process": spec.get("process", _get(params, "process", name)), "chunk": chunk,
                "config_hash": _get(params, "config_hash", ""), "sqrt_s_gev": _get(params, "sqrt_s_gev"),
                "masses": spec.get("masses") or _get(params, "masses"), "generator": _get(params, "generator"),
                "is_signal": spec.get("is_signal")}
    return ingest_file(
        source, smk.output.events, metadata,
        kind=_get(params, "kind"),
        card_path=card,
        card_overrides=_get(params, "card_overrides") or detector.get("overrides"),
        seed=chunk_seed(base_seed, name, chunk),
        large_jet_radius=float(_get(params, "large_jet_radius", detector.get("large_jet_radius", 1.0))),
        pfcand_pt_min=float(_get(params, "pfcand_pt_min", detector.get("pfcand_pt_min", 1.0))),
        xsec_pb=_get(params, "xsec_pb", spec.get("xsec_pb")),
        xsec_source=_get(params, "xsec_source"),
        first_event=first_event,
        n_events=int(n_events) if n_events is not None else None,
        reader_opts=_get(params, "reader_opts"),
        require_particle_level=require_particle_level,
        ingest_options=_get(params, "ingest_options"),
        config_sqrt_s_gev=_get(params, "sqrt_s_gev"),
        tau_truth_tagging=bool(detector.get("tau_truth_tagging", False)),
    )


__all__ = ["KINDS", "chunk_range", "chunk_seed", "delphes_truth_tagging_message", "detect_kind", "ingest_file", "ingest_from_snakemake", "read_events_any"]
