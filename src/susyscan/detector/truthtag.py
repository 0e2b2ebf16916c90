"""Tau truth tagging: the random "exactly one tau tag" decision replaced by its probability (opt-in).

Most stau backgrounds pass an "exactly one tau" selection only through a jet mistagged as a tau (1-2 % per jet
in the card), so the random tag of :func:`susyscan.detector.jets.tau_tag` throws away ~98 % of their events. The
ATLAS "truth tagging" remedy (as used for b-tagging in e.g. VH(bb)) keeps every event with a taggable jet: with
per-jet tag probabilities p_j (:func:`susyscan.detector.jets.tau_tag_inputs`: efficiency for jets matched to a
hadronic truth tau, fake rate otherwise, by prong class; 0 for jets that are not candidates), the probability of
exactly one tag is

    P1 = sum_j p_j prod_{k != j} (1 - p_k),

one jet j is chosen as the tau with probability p_j prod_{k != j} (1 - p_k) / P1, and the event weight is
multiplied by P1 (branch ``tau_tag_weight``; events with P1 = 0 have weight factor 0 and no tau). The expectation
of every observable of "exactly one tau" events is then that of the random tagging, while every event with a
candidate jet contributes. Assumptions: tag decisions are independent between jets given the card's per-jet
probabilities (the card's rates are functions of the jet alone), and the selection requires exactly one tau among
all candidates the detector could tag (checked by :mod:`susyscan.analysis.tautruth` and the start-up checks).

Plain numpy: P1 is a Poisson-binomial probability at k = 1, a few lines; no maintained library offers it
columnar over jagged events.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.jets import FlatJets, tau_tag_inputs
from susyscan.detector.kinematics import event_offsets
from susyscan.eventio.schema import TAU_TAG_WEIGHT, TAU_TRUTH_TAG_METADATA_KEY

logger = logging.getLogger(__name__)


def truth_tag_metadata(card: DetectorCard) -> dict[str, Any]:
    """The metadata entry written with truth-tagged event files (``TAU_TRUTH_TAG_METADATA_KEY`` of
    ``eventio.schema``; absent: random tags): the factor branch (``TAU_TAG_WEIGHT``, float64), the
    method, and the acceptance of the candidate jets (the analysis taus must accept all of them)."""
    return {TAU_TRUTH_TAG_METADATA_KEY: {
        "weight_branch": TAU_TAG_WEIGHT,
        "candidate_pt_min": float(card.jets.pt_min),
        "candidate_abs_eta_max": float(card.tautagging.eta_max),
        "method": ("exactly one tau: jet j chosen with probability p_j prod_{k!=j}(1-p_k) / P1, event weight "
                   "times P1 = sum_j p_j prod_{k!=j}(1-p_k); p from the card's tau efficiency / fake rate"),
    }}


def single_tag_terms(probability: np.ndarray, event: np.ndarray, n_events: int) -> np.ndarray:
    """Per jet p_j prod_{k != j, same event} (1 - p_k) (jets flat, ``event`` non-decreasing); summed per event
    this is P1. Jets with p = 1 are handled exactly (two or more in an event make every term 0)."""
    p = np.asarray(probability, dtype=np.float64)
    event = np.asarray(event, dtype=np.int64)
    if len(p) and (np.any(p < 0.0) or np.any(p > 1.0) or not np.all(np.isfinite(p))):
        raise ValueError(f"tau tag probabilities outside [0, 1]: min {p.min()}, max {p.max()}")
    certain = p >= 1.0
    n_certain = np.bincount(event, weights=certain, minlength=n_events)
    log_1mp = np.where(certain, 0.0, np.log1p(-np.where(certain, 0.0, p)))  # ln(1 - p_j), 0 for certain jets
    log_q = np.bincount(event, weights=log_1mp, minlength=n_events)
    others_uncertain = np.exp(log_q[event] - log_1mp)
    # prod over k != j of (1 - p_k): 0 when another jet of the event is certain
    others_certain = n_certain[event] - certain
    return np.where(others_certain > 0, 0.0, p * others_uncertain)


def truth_tag(probability: np.ndarray, event: np.ndarray, n_events: int,
              uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Choose at most one tau per event; returns (chosen mask per jet, P1 per event).

    ``probability`` is the per-jet tag probability (0 for non-candidates), ``event`` the jets' event index
    (non-decreasing), ``uniform`` one U(0, 1) number per event. Jet j of an event with P1 > 0 is chosen with
    probability :func:`single_tag_terms`\\ [j] / P1; events with P1 = 0 choose none.
    """
    event = np.asarray(event, dtype=np.int64)
    if len(event) and np.any(np.diff(event) < 0):
        raise ValueError("truth_tag: jets must be sorted by event")
    if len(uniform) < n_events:
        raise ValueError(f"truth_tag: {len(uniform)} uniform numbers for {n_events} events")
    terms = single_tag_terms(probability, event, n_events)
    p1 = np.bincount(event, weights=terms, minlength=n_events)
    chosen = np.zeros(len(terms), dtype=bool)
    offsets = event_offsets(event, n_events)
    cumulative = np.concatenate([[0.0], np.cumsum(terms)])
    with_candidate = np.flatnonzero(p1 > 0.0)
    if len(with_candidate):
        before = cumulative[offsets[with_candidate]]
        target = before + np.asarray(uniform[:n_events])[with_candidate] * p1[with_candidate]
        # first jet j whose cumulative sum exceeds the target: its own term is > 0 (ties skip zero terms)
        pick = np.searchsorted(cumulative[1:], target, side="right")
        last_positive = _last_positive(terms, offsets, with_candidate)
        pick = np.clip(pick, offsets[with_candidate], last_positive)  # rounding at the event's end
        pick = np.where(terms[pick] > 0.0, pick, last_positive)
        chosen[pick] = True
    return chosen, p1


def truth_tag_taus(
    jets: FlatJets, hadronic_taus: dict[str, np.ndarray], tracks: dict[str, np.ndarray], n_events: int,
    card: DetectorCard, flavour: np.ndarray | None, uniform: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The truth-tagged counterpart of :func:`susyscan.detector.jets.tau_tag`: (chosen jet mask, tau charge per
    jet, ``tau_tag_weight`` = P1 per event), from the same candidates and probabilities; ``uniform``: one U(0, 1)
    per event."""
    candidate, eff, charge = tau_tag_inputs(jets, hadronic_taus, tracks, n_events, card, flavour)
    chosen, p1 = truth_tag(np.where(candidate, eff, 0.0), jets.event, n_events, uniform)
    logger.info("tau truth tagging: %d of %d events with a candidate jet, mean P1 %.4g", int((p1 > 0).sum()),
                n_events, float(p1.mean()) if n_events else 0.0)
    return chosen, charge, p1


def _last_positive(terms: np.ndarray, offsets: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Flat index of the last jet with a positive term in each of ``events`` (each has one)."""
    positive = np.flatnonzero(terms > 0.0)
    # the last positive index below each event's end offset
    ends = offsets[events + 1]
    return positive[np.searchsorted(positive, ends, side="left") - 1]
