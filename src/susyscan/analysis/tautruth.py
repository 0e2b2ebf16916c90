"""The analysis side of tau truth tagging (``detector.tau_truth_tagging``, :mod:`susyscan.detector.truthtag`).

A truth-tagged event file has at most one tau per event and the per-event factor branch ``tau_tag_weight`` (P1,
the probability of exactly one tag among the detector's candidate jets). That reproduces the random tagging
only for events selected with **exactly one** tau among all the candidates, so:

* the selection must have exactly one preselection cut (not ``for_comparison_only``) whose expression is
  ``n_taus == 1``, and no other cut or cut-and-count region may read ``n_taus`` (a cut on 0 or >= 2 taus has no
  meaning with truth tags); :func:`check_selection` raises ConfigError naming the offending cut;
* the analysis tau objects must accept every candidate the detector could tag (pT threshold at most the
  detector's jet threshold, |eta| range at least the tagging range, both recorded in the file metadata;
  :func:`check_tau_acceptance`), and overlap removal must not remove taus (the shared one never does);
* the factor enters the event weight exactly once, from the ``n_taus == 1`` cut on (``select.analyse_events``):
  the cutflow rows before it keep the generator weights (their yields do not depend on tau tagging), the rows
  from it on and every preselected event (feature tables, cut-and-count regions) carry weight x P1. The raw MC
  count of those rows is the number of events with a candidate (P1 > 0) passing the other cuts. Feature tables
  of truth-tagged files carry P1 of each preselected event in the column ``tau_tag_weight``, so that
  :func:`untagged_abs_weights` can recover the weight the event would carry if tagged with probability 1 (the
  unit of the zero-MC background, :mod:`susyscan.stats.inputs`).
"""

from __future__ import annotations

import logging
from typing import Any

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.analysis.config import AnalysisConfig, ObjectCuts
from susyscan.analysis.expressions import variable_names
from susyscan.errors import ConfigError, EventFileError, FeatureError
from susyscan.eventio.schema import TAU_TAG_WEIGHT, TAU_TRUTH_TAG_METADATA_KEY

logger = logging.getLogger(__name__)

TAU_COUNT = "n_taus"
EXACTLY_ONE = "n_taus==1"


def check_selection(cfg: AnalysisConfig, where: str) -> int:
    """Index (in ``cfg.cuts``) of the preselection cut ``n_taus == 1``; ConfigError naming the cut or region that
    makes truth-tagged taus invalid (another use of ``n_taus``, or no such cut)."""
    index: int | None = None
    for i, cut in enumerate(cfg.cuts):
        if TAU_COUNT not in variable_names(cut.expr, cut.name):
            continue
        if cut.expr.replace(" ", "") == EXACTLY_ONE and not cut.for_comparison_only and index is None:
            index = i
            continue
        raise ConfigError(f"{where}: cut {cut.name!r} ({cut.expr!r}{', for_comparison_only' if cut.for_comparison_only else ''}) "
                          f"cannot be used with tau truth tagging (detector.tau_truth_tagging): every event has 0 or "
                          f"1 truth-tagged tau, so only one preselection cut 'n_taus == 1' is valid")
    for region in cfg.baselines:
        if TAU_COUNT in variable_names(region.expr, region.column):
            raise ConfigError(f"{where}: cut-and-count region {region.column!r} ({region.expr!r}) reads {TAU_COUNT!r}, "
                              f"which tau truth tagging (detector.tau_truth_tagging) fixes to 1")
    if index is None:
        raise ConfigError(f"{where}: tau truth tagging (detector.tau_truth_tagging) needs a preselection cut "
                          f"'n_taus == 1' (exactly one tau); the cuts are {[c.name for c in cfg.cuts]}")
    return index


def check_tau_acceptance(taus: ObjectCuts, candidate_pt_min: float, candidate_abs_eta_max: float, where: str) -> None:
    """ConfigError when the analysis tau objects ``taus`` would drop a candidate jet the detector can tag (the
    truth-tag choice among all candidates then differs from "exactly one analysis tau")."""
    if taus.pt_min > candidate_pt_min or taus.abs_eta_max < candidate_abs_eta_max:
        raise ConfigError(
            f"{where}: analysis tau objects (pt_min {taus.pt_min:g}, abs_eta_max {taus.abs_eta_max:g}) are tighter "
            f"than the detector's tau candidates (jet pT > {candidate_pt_min:g}, |eta| < {candidate_abs_eta_max:g}): "
            f"tau truth tagging (detector.tau_truth_tagging) needs every candidate to be an analysis tau")


def truth_tag_factor(events: ak.Array, metadata: dict[str, Any], where: str) -> np.ndarray | None:
    """The ``tau_tag_weight`` of a truth-tagged event file, None for a randomly tagged one (EventFileError when
    the branch and the metadata key disagree, or on factors outside [0, 1])."""
    has_branch = TAU_TAG_WEIGHT in ak.fields(events)
    has_key = bool(metadata.get(TAU_TRUTH_TAG_METADATA_KEY))
    if has_branch != has_key:
        raise EventFileError(f"{where}: branch {TAU_TAG_WEIGHT!r} {'present' if has_branch else 'absent'} but "
                             f"metadata key {TAU_TRUTH_TAG_METADATA_KEY!r} {'present' if has_key else 'absent'}")
    if not has_branch:
        return None
    factor = ak.to_numpy(events[TAU_TAG_WEIGHT]).astype(np.float64)
    bad = ~(np.isfinite(factor) & (factor >= 0.0) & (factor <= 1.0))
    if bad.any():
        raise EventFileError(f"{where}: {int(bad.sum())} events with {TAU_TAG_WEIGHT} outside [0, 1]")
    return factor


def check_file(cfg: AnalysisConfig, metadata: dict[str, Any], where: str) -> int:
    """Both checks for a truth-tagged file read by analysis ``cfg``; the index of its ``n_taus == 1`` cut."""
    index = check_selection(cfg, f"{where} (analysis {cfg.name!r})")
    info = metadata[TAU_TRUTH_TAG_METADATA_KEY]
    try:
        pt_min, eta_max = float(info["candidate_pt_min"]), float(info["candidate_abs_eta_max"])
    except (KeyError, TypeError) as exc:
        raise EventFileError(f"{where}: metadata {TAU_TRUTH_TAG_METADATA_KEY!r} lacks {exc}") from None
    check_tau_acceptance(cfg.objects["tau"], pt_min, eta_max, f"{where} (analysis {cfg.name!r})")
    return index


def untagged_abs_weights(weights: np.ndarray, frame: pd.DataFrame, where: str) -> np.ndarray:
    """``|weights|`` of the rows of ``frame`` with the tau truth-tag factor taken out: divided by the row's P1
    (column ``tau_tag_weight``, written for truth-tagged files) where present and positive; rows without it
    (randomly tagged files, NaN after concatenation with them) keep ``|weight|``. A value that is present but not a
    finite number (a corrupt table: text, inf) is an error naming ``where`` and the column, not a random-tag row;
    so is a row with P1 = 0 but a non-zero weight, which cannot come from the selection
    (:mod:`susyscan.analysis.select` multiplies the weight by P1)."""
    magnitude = np.abs(np.asarray(weights, dtype=np.float64))
    if TAU_TAG_WEIGHT not in frame.columns:
        return magnitude
    raw = frame[TAU_TAG_WEIGHT]
    factor = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    tagged = ~raw.isna().to_numpy()
    corrupt = tagged & ~np.isfinite(factor)
    if corrupt.any():
        raise FeatureError(f"{where}: {int(corrupt.sum())} rows with field {TAU_TAG_WEIGHT!r} not a finite number "
                           f"(first {raw[corrupt].iloc[0]!r})")
    bad = tagged & ((factor < 0.0) | (factor > 1.0) | ((factor == 0.0) & (magnitude > 0.0)))
    if bad.any():
        raise FeatureError(f"{where}: {int(bad.sum())} rows with field {TAU_TAG_WEIGHT!r} outside (0, 1] "
                           f"(first {factor[bad][0]!r}) and a non-zero weight")
    divide = tagged & (factor > 0.0)
    return np.where(divide, magnitude / np.where(divide, factor, 1.0), magnitude)
