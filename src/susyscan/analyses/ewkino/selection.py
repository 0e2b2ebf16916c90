"""Event variables of the ewkino selection and its weighted cutflow (columnar).

The cuts themselves (lepton veto, monojet-like preselection, kinematic baseline) are expressions in the analysis YAML
(``cuts``), evaluated by the shared :mod:`susyscan.expressions`; this module computes the variables they read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np

from susyscan.angles import delta_phi
from susyscan.analysis.select import check_metadata, cutflow_record, masses_from_metadata
from susyscan.errors import EventFileError
from susyscan.analyses.ewkino.config import EwkinoConfig

logger = logging.getLogger(__name__)

REQUIRED_BRANCHES = ("weight", "met", "met_phi", "jet_pt", "jet_eta", "jet_phi",
                     "electron_pt", "electron_eta", "muon_pt", "muon_eta")
N_DPHI_JETS = 4
"""min dphi(jet, MET) runs over the leading (up to) four selected jets."""


@dataclass(frozen=True)
class CutMask:
    """One cut on its own (not cumulative)."""

    name: str
    label: str
    for_comparison_only: bool
    mask: np.ndarray


def check_branches(events: ak.Array, where: str, required: tuple[str, ...] = REQUIRED_BRANCHES) -> None:
    """Raise EventFileError naming the branches missing from ``events``."""
    missing = [b for b in required if b not in events.fields]
    if missing:
        raise EventFileError(f"{where}: event array lacks branch(es) {missing}")


def _accepted(events: ak.Array, prefix: str, pt_min: float, abs_eta_max: float) -> ak.Array:
    return (events[f"{prefix}_pt"] > pt_min) & (abs(events[f"{prefix}_eta"]) < abs_eta_max)


def selected_jets(events: ak.Array, cfg: EwkinoConfig) -> ak.Array:
    """Jets passing the jet acceptance, sorted by decreasing pT (records pt, eta, phi)."""
    jets = ak.zip({"pt": events["jet_pt"], "eta": events["jet_eta"], "phi": events["jet_phi"]})
    jets = jets[_accepted(events, "jet", cfg.jet.pt_min, cfg.jet.abs_eta_max)]
    return jets[ak.argsort(jets.pt, axis=1, ascending=False)]


def _leading(values: ak.Array, index: int, fill: float) -> np.ndarray:
    padded = ak.pad_none(values, index + 1, axis=1)[:, index]
    return ak.to_numpy(ak.fill_none(padded, fill)).astype(np.float64)


def event_variables(events: ak.Array, cfg: EwkinoConfig) -> dict[str, np.ndarray]:
    """Per-event variables used by the cuts (flat float64/int arrays)."""
    jets = selected_jets(events, cfg)
    met = ak.to_numpy(events["met"]).astype(np.float64)
    met_phi = ak.to_numpy(events["met_phi"]).astype(np.float64)
    ht = ak.to_numpy(ak.sum(jets.pt, axis=1)).astype(np.float64)
    dphi = abs(delta_phi(jets.phi[:, :N_DPHI_JETS], met_phi))
    min_dphi = ak.to_numpy(ak.fill_none(ak.min(dphi, axis=1), np.pi)).astype(np.float64)
    return {
        "n_electrons": ak.to_numpy(ak.sum(_accepted(events, "electron", cfg.electron.pt_min, cfg.electron.abs_eta_max), axis=1)),
        "n_muons": ak.to_numpy(ak.sum(_accepted(events, "muon", cfg.muon.pt_min, cfg.muon.abs_eta_max), axis=1)),
        "n_jets": ak.to_numpy(ak.num(jets, axis=1)),
        "jet1_pt": _leading(jets.pt, 0, 0.0),
        "jet1_eta": _leading(jets.eta, 0, 0.0),
        "met": met,
        "met_phi": met_phi,
        "ht": ht,
        "meff": ht + met,
        "min_dphi_jet_met": min_dphi,
    }


def cut_masks(variables: dict[str, np.ndarray], cfg: EwkinoConfig) -> list[CutMask]:
    """The YAML's ordered cuts evaluated on ``variables`` by the shared expression evaluator (preselection cuts and
    the ``for_comparison_only`` baseline cuts, in YAML order)."""
    expressions = cfg.expressions
    n_events = len(variables["met"])
    masks = []
    for cut in cfg.cuts:
        mask = np.broadcast_to(np.asarray(expressions[cut.name](variables), dtype=bool), (n_events,))
        masks.append(CutMask(cut.name, cut.label, cut.for_comparison_only, np.array(mask)))
    return masks


def preselection_mask(cuts: list[CutMask], n_events: int) -> np.ndarray:
    """AND of the preselection cuts."""
    mask = np.ones(n_events, dtype=bool)
    for cut in cuts:
        if not cut.for_comparison_only:
            mask &= cut.mask
    return mask


def baseline_mask(cuts: list[CutMask], n_events: int) -> np.ndarray:
    """AND of all cuts: preselection and kinematic baseline (the cut-and-count region)."""
    mask = np.ones(n_events, dtype=bool)
    for cut in cuts:
        mask &= cut.mask
    return mask


def _count(mask: np.ndarray, weights: np.ndarray) -> dict[str, Any]:
    selected = weights[mask]
    return {"n_raw": int(mask.sum()), "sumw": float(selected.sum()), "sumw2": float(np.square(selected).sum())}


def cutflow_rows(cuts: list[CutMask], weights: np.ndarray) -> list[dict[str, Any]]:
    """An 'initial' row plus one cumulative row per cut: name, label, for_comparison_only, n_raw, sumw, sumw2."""
    running = np.ones(len(weights), dtype=bool)
    rows = [{"name": "initial", "label": "Initial", "for_comparison_only": False, **_count(running, weights)}]
    for cut in cuts:
        running = running & cut.mask
        rows.append({"name": cut.name, "label": cut.label, "for_comparison_only": cut.for_comparison_only,
                     **_count(running, weights)})
    return rows


def signal_masses(metadata: dict[str, Any], cfg: EwkinoConfig) -> tuple[int, float, float]:
    """(is_signal, m_parent, m_lsp) with the ewkino analysis' mass keys."""
    return masses_from_metadata(metadata, cfg.parent_key, cfg.lsp_key)


def select_events(events: ak.Array, metadata: dict[str, Any], cfg: EwkinoConfig) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Apply the cuts to one chunk.

    Returns (preselection mask, baseline mask, cutflow record). The record has the smuon layout:
    ``{"analysis", "sample", "process", "chunk", "is_signal", "masses", "n_events", "sum_weights",
    "sum_weights2", "xsec_pb", "cuts": [{"name", "label", "for_comparison_only", "n_raw", "sumw", "sumw2"}],
    "warnings": [...]}``.
    """
    where = f"sample {metadata.get('sample')} chunk {metadata.get('chunk')}"
    check_metadata(metadata, where)
    check_branches(events, where)
    warnings: list[str] = []

    def warn(message: str) -> None:
        logger.warning("%s: %s", where, message)
        warnings.append(message)

    n_events = len(events)
    weights = ak.to_numpy(events["weight"]).astype(np.float64)
    if n_events == 0:
        warn("chunk holds zero events")
    n_negative = int((weights < 0).sum())
    if n_negative:
        warn(f"{n_negative} events with negative weight (allowed; they enter sums with their sign)")
    cuts = cut_masks(event_variables(events, cfg), cfg)
    rows = cutflow_rows(cuts, weights)
    for previous, row in zip(rows[:-1], rows[1:], strict=True):
        if row["n_raw"] == 0 and previous["n_raw"] > 0:
            warn(f"no events left after cut {row['name']!r}")
    presel = preselection_mask(cuts, n_events)
    if n_events and not presel.any():
        warn("empty selection: no event passes the preselection")
    is_signal, _, _ = signal_masses(metadata, cfg)
    record = cutflow_record(cfg.name, metadata, is_signal, n_events, rows, warnings)
    return presel, baseline_mask(cuts, n_events), record
