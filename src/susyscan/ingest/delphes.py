"""Delphes ROOT output -> reconstructed events of the contract (skips susyscan's detector simulation).

Real Delphes files hold a TTree ``Delphes`` whose TClonesArray branches are split, so uproot lists
e.g. ``Muon`` with sub-branches ``Muon/Muon.PT`` (short name ``Muon.PT``) and a counter ``Muon_size``.
Files written by uproot (as in the tests) have flat jagged branches ``Muon.PT`` with counter
``Muon_size``. Both are handled by resolving the short name ``Collection.Field``
(``Collection_Field`` is accepted as a fallback).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot

from susyscan.detector.kinematics import sorted_collection
from susyscan.errors import EventFileError
from susyscan.eventio.reader import check_not_truncated, list_keys

logger = logging.getLogger(__name__)

DELPHES_TREE = "Delphes"
REQUIRED = (
    "Electron.PT", "Electron.Eta", "Electron.Phi", "Electron.Charge",
    "Muon.PT", "Muon.Eta", "Muon.Phi", "Muon.Charge",
    "Photon.PT", "Photon.Eta", "Photon.Phi",
    "Jet.PT", "Jet.Eta", "Jet.Phi", "Jet.Mass", "Jet.BTag", "Jet.TauTag",
    "MissingET.MET", "MissingET.Phi", "Event.Weight",
)


def branch_map(keys: list[str]) -> dict[str, str]:
    """Short name (``Muon.PT``; ``Muon_PT`` also mapped to ``Muon.PT``) -> full uproot key."""
    mapping: dict[str, str] = {}
    for key in keys:
        short = key.split("/")[-1]
        mapping.setdefault(short, key)
        if "." not in short and "_" in short and not short.endswith("_size"):
            coll, _, field = short.partition("_")
            mapping.setdefault(f"{coll}.{field}", key)
    return mapping


class _DelphesTree:
    """Branch access by short name with errors naming the file and the branch."""

    def __init__(self, tree: Any, path: Path, entry_start: int = 0, entry_stop: int | None = None) -> None:
        self.tree = tree
        self.path = path
        self.names = branch_map(list(tree.keys(recursive=True)))
        self.entry_start = min(max(entry_start, 0), int(tree.num_entries))
        self.entry_stop = int(tree.num_entries) if entry_stop is None else min(entry_stop, int(tree.num_entries))
        self.entry_stop = max(self.entry_stop, self.entry_start)

    def has(self, short: str) -> bool:
        return short in self.names

    def get(self, short: str) -> ak.Array:
        if short not in self.names:
            raise EventFileError(f"Delphes file {self.path}: missing branch {short!r}")
        try:
            return self.tree[self.names[short]].array(entry_start=self.entry_start, entry_stop=self.entry_stop, library="ak")
        except Exception as exc:
            raise EventFileError(f"Delphes file {self.path}: cannot read branch {short!r} (corrupt?): {exc}") from exc


def _flat_collection(t: _DelphesTree, prefix: str, fields: dict[str, ak.Array], n: int) -> dict[str, ak.Array]:
    """Sort a jagged collection by decreasing pT and return its contract branches."""
    counts = ak.to_numpy(ak.num(fields["pt"], axis=1))
    event = np.repeat(np.arange(n), counts)
    flat = {name: ak.to_numpy(ak.flatten(values, axis=1)) for name, values in fields.items()}
    return sorted_collection(prefix, flat, event, n)


def _first(values: ak.Array, default: float) -> np.ndarray:
    """First element per event of a one-entry-per-event jagged branch (``default`` if empty)."""
    return ak.to_numpy(ak.fill_none(ak.firsts(values, axis=1), default)).astype(np.float64)


def _objects(t: _DelphesTree, coll: str, prefix: str, n: int, charge: bool, iso: bool) -> dict[str, ak.Array]:
    fields = {"pt": ak.values_astype(t.get(f"{coll}.PT"), np.float32),
              "eta": ak.values_astype(t.get(f"{coll}.Eta"), np.float32),
              "phi": ak.values_astype(t.get(f"{coll}.Phi"), np.float32)}
    if charge:
        fields["charge"] = ak.values_astype(t.get(f"{coll}.Charge"), np.int32)
    if iso:
        if t.has(f"{coll}.IsolationVar"):
            fields["iso"] = ak.values_astype(t.get(f"{coll}.IsolationVar"), np.float32)
        else:
            logger.warning("Delphes file %s: no %s.IsolationVar, iso set to 0 (Delphes applied its own isolation)", t.path, coll)
            fields["iso"] = ak.values_astype(ak.zeros_like(fields["pt"]), np.float32)
    return _flat_collection(t, prefix, fields, n)


def _jets(t: _DelphesTree, coll: str, prefix: str, n: int) -> dict[str, ak.Array]:
    fields = {"pt": t.get(f"{coll}.PT"), "eta": t.get(f"{coll}.Eta"), "phi": t.get(f"{coll}.Phi"),
              "mass": t.get(f"{coll}.Mass")}
    fields = {k: ak.values_astype(v, np.float32) for k, v in fields.items()}
    fields["btag"] = ak.values_astype(t.get(f"{coll}.BTag") & 1, np.int32) if t.has(f"{coll}.BTag") else \
        ak.values_astype(ak.zeros_like(fields["pt"]), np.int32)
    return _flat_collection(t, prefix, fields, n)


def _taus(t: _DelphesTree, n: int) -> dict[str, ak.Array]:
    tagged = (t.get("Jet.TauTag") & 1) == 1
    charge = t.get("Jet.Charge") if t.has("Jet.Charge") else ak.zeros_like(t.get("Jet.PT"))
    fields = {"pt": t.get("Jet.PT")[tagged], "eta": t.get("Jet.Eta")[tagged], "phi": t.get("Jet.Phi")[tagged],
              "charge": charge[tagged]}
    fields = {k: ak.values_astype(v, np.int32 if k == "charge" else np.float32) for k, v in fields.items()}
    return _flat_collection(t, "tau", fields, n)


def _pfcands(t: _DelphesTree, n: int, pt_min: float) -> dict[str, ak.Array]:
    parts: list[dict[str, ak.Array]] = []
    if t.has("EFlowTrack.PT"):
        pid = np.abs(t.get("EFlowTrack.PID"))
        parts.append({"pt": t.get("EFlowTrack.PT"), "eta": t.get("EFlowTrack.Eta"), "phi": t.get("EFlowTrack.Phi"),
                      "charge": t.get("EFlowTrack.Charge"),
                      "pid": ak.where(pid == 11, 11, ak.where(pid == 13, 13, 211))})
    for coll, pid_class in (("EFlowPhoton", 22), ("EFlowNeutralHadron", 130)):
        if t.has(f"{coll}.ET"):
            et = t.get(f"{coll}.ET")
            parts.append({"pt": et, "eta": t.get(f"{coll}.Eta"), "phi": t.get(f"{coll}.Phi"),
                          "charge": ak.zeros_like(et), "pid": ak.full_like(et, pid_class)})
    if not parts:
        logger.warning("Delphes file %s: no EFlowTrack/EFlowPhoton/EFlowNeutralHadron branches, pfcand collection empty", t.path)
        empty = ak.Array([[]] * n)
        parts.append({"pt": empty, "eta": empty, "phi": empty, "charge": empty, "pid": empty})
    dtypes = {"pt": np.float32, "eta": np.float32, "phi": np.float32, "charge": np.int32, "pid": np.int32}
    fields = {k: ak.values_astype(ak.concatenate([p[k] for p in parts], axis=1), dtypes[k]) for k in dtypes}
    keep = fields["pt"] > pt_min
    return _flat_collection(t, "pfcand", {k: v[keep] for k, v in fields.items()}, n)


def _truth(t: _DelphesTree, n: int) -> dict[str, ak.Array]:
    names = {"pid": "Particle.PID", "status": "Particle.Status", "pt": "Particle.PT", "eta": "Particle.Eta",
             "phi": "Particle.Phi", "mass": "Particle.Mass"}
    if not all(t.has(b) for b in names.values()):
        logger.info("Delphes file %s: no Particle branch, truth collection empty", t.path)
        empty = ak.Array([[]] * n)
        raw = {k: empty for k in names}
    else:
        raw = {k: t.get(b) for k, b in names.items()}
        status = np.abs(raw["status"])
        hard = (status >= 21) & (status <= 29)
        raw = {k: v[hard] for k, v in raw.items()}
    dtypes = {"pid": np.int32, "pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "status": np.int32}
    return _flat_collection(t, "truth", {k: ak.values_astype(raw[k], d) for k, d in dtypes.items()}, n)


def read_delphes(
    path: str | Path, pfcand_pt_min: float = 1.0, first_event: int = 0, max_events: int | None = None
) -> tuple[ak.Array, dict[str, Any]]:
    """Read (entries ``first_event`` .. ``first_event + max_events`` of) a Delphes ROOT file into the
    reconstructed-event schema; returns ``(events, info)``."""
    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"Delphes file {path}: not found")
    try:
        handle = uproot.open(path)
    except Exception as exc:
        raise EventFileError(f"Delphes file {path}: cannot open as ROOT (corrupt or truncated?): {exc}") from exc
    check_not_truncated(handle, path)
    with handle:
        keys = list_keys(handle, f"Delphes file {path}")
        if DELPHES_TREE not in keys:
            raise EventFileError(f"Delphes file {path}: no TTree {DELPHES_TREE!r} (keys: {keys})")
        try:
            stop = None if max_events is None else first_event + max_events
            t = _DelphesTree(handle[DELPHES_TREE], path, first_event, stop)
        except Exception as exc:
            raise EventFileError(f"Delphes file {path}: cannot read TTree {DELPHES_TREE!r}: {exc}") from exc
        missing = [b for b in REQUIRED if not t.has(b)]
        if missing:
            raise EventFileError(f"Delphes file {path}: missing required branch(es) {missing}")
        n = t.entry_stop - t.entry_start
        branches: dict[str, Any] = {"weight": _first(t.get("Event.Weight"), 1.0)}
        branches |= _objects(t, "Electron", "electron", n, charge=True, iso=True)
        branches |= _objects(t, "Muon", "muon", n, charge=True, iso=True)
        branches |= _objects(t, "Photon", "photon", n, charge=False, iso=True)
        branches |= _taus(t, n)
        branches |= _jets(t, "Jet", "jet", n)
        if t.has("FatJet.PT"):
            branches |= _jets(t, "FatJet", "largejet", n)
        else:
            logger.warning("Delphes file %s: no FatJet branch, largejet collection left empty", path)
            empty = ak.Array([[]] * n)
            branches |= _flat_collection(t, "largejet", {
                "pt": ak.values_astype(empty, np.float32), "eta": ak.values_astype(empty, np.float32),
                "phi": ak.values_astype(empty, np.float32), "mass": ak.values_astype(empty, np.float32),
                "btag": ak.values_astype(empty, np.int32)}, n)
        branches["met"] = _first(t.get("MissingET.MET"), 0.0).astype(np.float32)
        branches["met_phi"] = _first(t.get("MissingET.Phi"), 0.0).astype(np.float32)
        branches |= _pfcands(t, n, pfcand_pt_min)
        branches |= _truth(t, n)
    events = ak.zip(branches, depth_limit=1)
    info = {"n_events": n, "xsec_pb": None, "xsec_err_pb": None, "generator": "Delphes"}
    logger.info("read %d reconstructed events from Delphes file %s", n, path)
    return events, info
