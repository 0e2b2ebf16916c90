"""Stage 'select_features': event file -> feature CSV + per-chunk cutflow JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.analysis.baselines import baseline_flags
from susyscan.analysis.config import AnalysisConfig, load_analysis_config
from susyscan.analysis.cuts import comparison_mask, cut_masks, cutflow_counts, preselection_mask
from susyscan.analysis.features import FEATURES
from susyscan.analysis.io import read_event_file, write_csv_gz_atomic, write_json_atomic
from susyscan.analysis.objects import select_objects
from susyscan.analysis.overlap import remove_overlaps
from susyscan.analysis.tautruth import check_file, truth_tag_factor
from susyscan.analysis.variables import event_variables
from susyscan.errors import ConfigError, EventFileError, FeatureError
from susyscan.eventio.schema import TAU_TAG_WEIGHT

if TYPE_CHECKING:
    from susyscan.analyses.spec import AnalysisSpec

logger = logging.getLogger(__name__)

REQUIRED_METADATA = ("sample", "process", "chunk", "sum_weights", "sum_weights2", "xsec_pb")


def check_metadata(metadata: dict[str, Any], where: str) -> None:
    """Raise EventFileError if a metadata field the analysis needs is missing."""
    missing = [k for k in REQUIRED_METADATA if metadata.get(k) is None]
    if missing:
        raise EventFileError(f"{where}: metadata lacks field(s) {missing}")


def masses_from_metadata(metadata: dict[str, Any], parent_key: str, lsp_key: str) -> tuple[int, float, float]:
    """(is_signal, m_parent, m_lsp) from an event file's metadata; backgrounds (no ``masses``) give (0, -1, -1)."""
    masses = metadata.get("masses") or {}
    if not masses:
        return 0, -1.0, -1.0
    try:
        return 1, float(masses[parent_key]), float(masses[lsp_key])
    except KeyError as exc:
        raise EventFileError(
            f"sample {metadata.get('sample')}: metadata 'masses' lacks {exc.args[0]!r} (has {sorted(masses)})"
        ) from exc


def signal_masses(metadata: dict[str, Any], cfg: AnalysisConfig) -> tuple[int, float, float]:
    """(is_signal, m_parent, m_lsp) with the analysis' mass keys."""
    return masses_from_metadata(metadata, cfg.parent_mass_key, cfg.lsp_mass_key)


def cutflow_record(analysis: str, metadata: dict[str, Any], is_signal: int, n_events: int, cuts: list[dict],
                   warnings: list[str], **extra: Any) -> dict[str, Any]:
    """The chunk cutflow JSON shared by every analysis: sample bookkeeping, the cut rows, extras, warnings."""
    return {
        "analysis": analysis,
        "sample": str(metadata["sample"]),
        "process": str(metadata["process"]),
        "chunk": metadata["chunk"],
        "is_signal": is_signal,
        "masses": metadata.get("masses") or {},
        "n_events": n_events,
        "sum_weights": float(metadata["sum_weights"]),
        "sum_weights2": float(metadata["sum_weights2"]),
        "xsec_pb": float(metadata["xsec_pb"]),
        "xsec_err_pb": metadata.get("xsec_err_pb"),  # statistical error of a per-chunk estimate (ingested LHE)
        "cuts": cuts,
        **extra,
        "warnings": warnings,
    }


def check_finite(df: pd.DataFrame, columns: list[str], where: str) -> None:
    """Raise FeatureError naming every feature column holding NaN or inf."""
    values = df[columns].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        counts = {columns[j]: int(n) for j, n in enumerate(bad.sum(axis=0)) if n}
        raise FeatureError(f"{where}: non-finite (NaN/inf) values in feature column(s) {counts}")


COMPUTED_VARIABLES = ("mll", "mct", "mt2", "mt2_lep_tau")
"""Variables computed numerically here; a non-finite value is warned (event then fails cuts on it).
Non-finite values in any other variable come from the event file and are an error."""


def check_variables(variables: dict[str, np.ndarray], where: str, warn: Callable[[str], None]) -> None:
    """Error on non-finite input variables, warning on non-finite computed ones (mll, mCT, mT2)."""
    for name, values in variables.items():
        n_bad = int((~np.isfinite(values)).sum())
        if not n_bad:
            continue
        if name in COMPUTED_VARIABLES:
            warn(f"{n_bad} events with non-finite {name!r}; they fail every cut using it")
        else:
            raise FeatureError(f"{where}: {n_bad} events with NaN/inf in variable {name!r} (from the event file)")


def analysis_features(spec: AnalysisSpec | None) -> tuple[list[str], list[str]]:
    """(event features, derived features) written by :func:`analyse_events`; without a spec the 27 FEATURES."""
    if spec is None:
        return list(FEATURES), []
    from susyscan.analysis.variables import EVENT_VARIABLES

    unknown = sorted(set(spec.features) - set(EVENT_VARIABLES))
    if unknown:
        raise ConfigError(f"analysis {spec.name!r}: features {unknown} are not event variables "
                          f"(known: {sorted(EVENT_VARIABLES)})")
    return list(spec.features), list(spec.derived)


def uses_leptau(cfg: AnalysisConfig, spec: AnalysisSpec | None) -> bool:
    """Whether the lepton + tau variables (``susyscan.analysis.leptau``) are needed: a cut or region uses one, a
    feature is one, or the spec asks for them (``extra["leptau"]``: its ``derive`` reads them)."""
    from susyscan.analysis.expressions import variable_names
    from susyscan.analysis.leptau import LEPTAU_VARIABLES

    names: set[str] = set()
    for cut in cfg.cuts:
        names |= variable_names(cut.expr, cut.name)
    for region in cfg.baselines:
        names |= variable_names(region.expr, region.column)
    if spec is not None:
        names |= set(spec.features)
        if spec.extra.get("leptau"):
            return True
    return bool(names & set(LEPTAU_VARIABLES))


def analyse_events(events: ak.Array, metadata: dict[str, Any], cfg: AnalysisConfig,
                   spec: AnalysisSpec | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run object selection, overlap removal, cuts, features and baselines on one chunk.

    Returns the feature DataFrame (preselected events) and the cutflow record (JSON-ready). The columns are the
    analysis' features, its derived features (computed here, once, by ``spec.derive``), the bookkeeping columns
    and the cut-and-count flags.
    """
    features, derived = analysis_features(spec)
    where = f"sample {metadata.get('sample')} chunk {metadata.get('chunk')}"
    check_metadata(metadata, where)
    sample = str(metadata["sample"])
    n_events = len(events)
    warnings: list[str] = []

    def warn(message: str) -> None:
        logger.warning("%s: %s", where, message)
        warnings.append(message)

    if "weight" not in events.fields:
        raise EventFileError(f"{where}: event array lacks branch 'weight'")
    weights = ak.to_numpy(events["weight"]).astype(np.float64)
    n_nonfinite = int((~np.isfinite(weights)).sum())
    if n_nonfinite:
        raise EventFileError(f"{where}: {n_nonfinite} events with NaN/inf generator 'weight'")
    if n_events == 0:
        warn("chunk holds zero events")
    n_negative = int((weights < 0).sum())
    if n_negative:
        warn(f"{n_negative} events with negative weight (allowed; they enter sums with their sign)")
    tau_factor = truth_tag_factor(events, metadata, where)  # tau truth tagging (susyscan.analysis.tautruth)
    tau_cut = check_file(cfg, metadata, where) if tau_factor is not None else -1

    objects = remove_overlaps(select_objects(events, cfg, sample), cfg.overlap)
    variables = event_variables(
        objects,
        ak.to_numpy(events["met"]).astype(np.float64),
        ak.to_numpy(events["met_phi"]).astype(np.float64),
        cfg.mt2_invisible_mass,
        events=events,
        leptau=uses_leptau(cfg, spec),
    )
    check_variables(variables, where, warn)
    masks = cut_masks(cfg.cuts, variables)
    if tau_factor is None:
        rows = cutflow_counts(cfg.cuts, masks, weights)
    else:  # the factor enters once, from the n_taus == 1 cut on: those rows count weight x P1
        tagged = weights * tau_factor
        rows = cutflow_counts(cfg.cuts, masks, weights, weights_from=(tau_cut, tagged))
        weights = tagged
    previous = rows[0]
    for row in rows[1:]:
        if row.n_raw == 0 and previous.n_raw > 0:
            warn(f"no events left after cut {row.name!r}")
        previous = row
    selected = preselection_mask(cfg.cuts, masks, n_events)
    if n_events and not selected.any():
        warn("empty selection: no event passes the preselection; feature file has a header only")

    frame = pd.DataFrame({name: variables[name][selected] for name in features})
    if derived:
        assert spec is not None
        try:
            values = spec.derived_columns({name: column[selected] for name, column in variables.items()})
        except FeatureError as exc:
            raise FeatureError(f"{where}: {exc}") from exc
        for name in derived:
            frame[name] = values[name]
    check_finite(frame, features + derived, where)
    is_signal, m_parent, m_lsp = signal_masses(metadata, cfg)
    frame["gen_weight"] = weights[selected]
    frame["sample"] = sample
    frame["process"] = str(metadata["process"])
    frame["is_signal"] = is_signal
    frame["m_parent"] = m_parent
    frame["m_lsp"] = m_lsp
    frame["chunk"] = int(metadata["chunk"])  # (chunk, event) is the event's stable id (k-fold assignment)
    frame["event"] = np.flatnonzero(selected)
    if tau_factor is not None:  # P1, already in gen_weight; kept for the zero-MC background unit (stats.inputs)
        frame[TAU_TAG_WEIGHT] = tau_factor[selected]
    columns = spec.extra.get("columns") if spec is not None else None
    if columns is not None:  # analysis bookkeeping columns (e.g. the stau process class and jet category)
        for name, values in columns({k: v[selected] for k, v in variables.items()}, metadata).items():
            frame[name] = values
    flags = baseline_flags(cfg, variables, comparison_mask(cfg.cuts, masks, n_events))
    for region, flag in flags.items():
        frame[region] = flag[selected]

    baselines = {region: {"n_raw": int(f[selected].sum()), "sumw": float(weights[selected][f[selected] == 1].sum())}
                 for region, f in flags.items()}
    cutflow = cutflow_record(cfg.name, metadata, is_signal, n_events, [row.__dict__ for row in rows], warnings,
                             baselines=baselines)
    return frame, cutflow


def select_features(
    events_path: str | Path, analysis_config: str | Path | AnalysisConfig,
    features_out: str | Path, cutflow_out: str | Path, cut_overrides: dict[str, str] | None = None,
    spec: AnalysisSpec | None = None,
) -> dict[str, Any]:
    """Read one event file, write its feature CSV (.csv.gz) and cutflow JSON; return the cutflow.

    ``cut_overrides`` (cut name -> expression) replaces named preselection cuts of the YAML. ``spec`` (default:
    the spec of the analysis YAML, ``susyscan.analyses.load_spec``) sets the features; an analysis with its own
    ``select`` function runs that instead of the YAML cuts.
    """
    if spec is None and not isinstance(analysis_config, AnalysisConfig):
        from susyscan.analyses import load_spec

        spec = load_spec(analysis_config)
    events, metadata = read_event_file(events_path)
    logger.info("selecting %d events from %s", len(events), events_path)
    if spec is not None and spec.select is not None:
        if isinstance(analysis_config, AnalysisConfig) or cut_overrides:
            raise ConfigError(f"analysis {spec.name!r} selects in code: give its YAML path, no cut_overrides")
        frame, cutflow = spec.select(events, metadata, str(analysis_config))
    else:
        if isinstance(analysis_config, AnalysisConfig):
            cfg = analysis_config
        else:
            cfg = load_analysis_config(analysis_config, cut_overrides)
        frame, cutflow = analyse_events(events, metadata, cfg, spec)
    cutflow["events_file"] = str(events_path)
    write_csv_gz_atomic(frame, features_out)
    write_json_atomic(cutflow, cutflow_out)
    logger.info("%s: %d of %d events pass the preselection", events_path, len(frame), len(events))
    return cutflow
