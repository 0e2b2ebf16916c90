"""Synthetic reconstructed events shaped like the event-file contract (tests and benchmarks)."""

from __future__ import annotations

import logging
from typing import Any

import awkward as ak
import numpy as np

logger = logging.getLogger(__name__)

# collection prefix -> per-object fields (besides pt, eta, phi) and their defaults
_FIELDS: dict[str, dict[str, Any]] = {
    "electron": {"charge": -1, "iso": 0.0},
    "muon": {"charge": -1, "iso": 0.0},
    "tau": {"charge": -1},
    "photon": {"iso": 0.0},
    "jet": {"mass": 10.0, "btag": 0},
    "largejet": {"mass": 30.0, "btag": 0},
}
_INT_FIELDS = {"charge", "btag"}


def build_events(records: list[dict[str, Any]]) -> ak.Array:
    """Events from per-event dicts: keys ``electron``/``muon``/``tau``/``photon``/``jet``/``largejet``
    (lists of dicts with pt, eta, phi and optional extra fields), ``met``, ``met_phi``, ``weight``.
    Objects are sorted by decreasing pT, as in the contract."""
    columns: dict[str, Any] = {}
    for prefix, extras in _FIELDS.items():
        per_event = [sorted(r.get(prefix, []), key=lambda o: -o["pt"]) for r in records]
        counts = np.array([len(objs) for objs in per_event], dtype=np.int64)
        for field in ("pt", "eta", "phi", *extras):
            default = extras.get(field, 0.0)
            dtype = np.int32 if field in _INT_FIELDS else np.float32
            flat = np.array([o.get(field, default) for objs in per_event for o in objs], dtype=dtype)
            columns[f"{prefix}_{field}"] = ak.unflatten(flat, counts)
    columns["met"] = np.array([r.get("met", 0.0) for r in records], dtype=np.float32)
    columns["met_phi"] = np.array([r.get("met_phi", 0.0) for r in records], dtype=np.float32)
    columns["weight"] = np.array([r.get("weight", 1.0) for r in records], dtype=np.float64)
    return ak.Array(columns)


def _jagged(rng: np.random.Generator, counts: np.ndarray, pt_scale: float, pt_min: float,
            eta_max: float) -> dict[str, ak.Array]:
    total = int(counts.sum())
    pt = pt_min + rng.exponential(pt_scale, total)
    # sort by decreasing pT inside each event
    offsets = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((-pt, offsets))
    pt = pt[order]
    return {
        "pt": ak.unflatten(pt.astype(np.float32), counts),
        "eta": ak.unflatten(rng.uniform(-eta_max, eta_max, total).astype(np.float32), counts),
        "phi": ak.unflatten(rng.uniform(-np.pi, np.pi, total).astype(np.float32), counts),
        "charge": ak.unflatten(rng.choice(np.array([-1, 1], dtype=np.int32), total), counts),
        "iso": ak.unflatten(rng.uniform(0.0, 0.3, total).astype(np.float32), counts),
        "mass": ak.unflatten(rng.uniform(5.0, 80.0, total).astype(np.float32), counts),
        "btag": ak.unflatten(rng.integers(0, 2, total).astype(np.int32), counts),
    }


def random_events(n_events: int, seed: int = 12345) -> ak.Array:
    """Dimuon-rich random events with every branch the analysis reads (deterministic in seed)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    spec = {  # prefix: (max multiplicity probabilities, pt scale, pt min, eta max)
        "electron": ([0.8, 0.15, 0.05], 30.0, 7.0, 2.7),
        "muon": ([0.05, 0.15, 0.7, 0.1], 50.0, 7.0, 2.7),
        "tau": ([0.9, 0.1], 30.0, 15.0, 2.7),
        "photon": ([0.8, 0.2], 30.0, 10.0, 2.7),
        "jet": ([0.3, 0.3, 0.2, 0.2], 40.0, 15.0, 3.0),
        "largejet": ([0.4, 0.3, 0.2, 0.1], 50.0, 15.0, 3.0),
    }
    for prefix, (probs, scale, pt_min, eta_max) in spec.items():
        counts = rng.choice(len(probs), size=n_events, p=probs)
        fields = _jagged(rng, counts, scale, pt_min, eta_max)
        for field in ("pt", "eta", "phi", *_FIELDS[prefix]):
            columns[f"{prefix}_{field}"] = fields[field]
    columns["met"] = rng.exponential(120.0, n_events).astype(np.float32)
    columns["met_phi"] = rng.uniform(-np.pi, np.pi, n_events).astype(np.float32)
    columns["weight"] = np.ones(n_events)
    return ak.Array(columns)


def synthetic_metadata(sample: str = "test_sample", process: str = "ttbar_mu", chunk: int = 0,
                       n_events: int = 0, sum_weights: float | None = None,
                       masses: dict[str, float] | None = None, xsec_pb: float = 1.0) -> dict[str, Any]:
    """Metadata dict with the contract's fields."""
    sumw = float(n_events) if sum_weights is None else sum_weights
    return {
        "sample": sample, "process": process, "chunk": chunk, "seed": 1, "n_events": n_events,
        "sum_weights": sumw, "sum_weights2": sumw, "xsec_pb": xsec_pb, "xsec_source": "test",
        "xsec_lo_pb": None, "sqrt_s_gev": 13000.0, "generator": "synthetic", "detector_card": "none",
        "config_hash": "0", "susyscan_version": "0", **({"masses": masses} if masses else {}),
    }


def dimuon_record(**overrides: Any) -> dict[str, Any]:
    """One event (for ``build_events``) passing the whole smuon preselection with the shipped
    config: two opposite-charge isolated muons (200, 150 GeV), MET = 300 GeV opposite to them."""
    record: dict[str, Any] = {
        "muon": [
            {"pt": 200.0, "eta": 0.1, "phi": 0.0, "charge": 1, "iso": 0.01},
            {"pt": 150.0, "eta": -0.3, "phi": 1.0, "charge": -1, "iso": 0.02},
        ],
        "met": 300.0,
        "met_phi": 3.6,
        "weight": 1.0,
    }
    record.update(overrides)
    return record
