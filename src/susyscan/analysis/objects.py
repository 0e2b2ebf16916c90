"""Signal-object definitions: kinematic acceptance and relative isolation, columnar."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import awkward as ak
import numpy as np

from susyscan.errors import EventFileError

if TYPE_CHECKING:
    from susyscan.analysis.config import AnalysisConfig

logger = logging.getLogger(__name__)

# object kind -> (branch prefix, extra per-object fields besides pt/eta/phi)
_COLLECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "electron": ("electron", ("charge",)),
    "muon": ("muon", ("charge",)),
    "tau": ("tau", ("charge",)),
    "photon": ("photon", ()),
}


def collection(events: ak.Array, prefix: str, extra: tuple[str, ...] = (), sample: str = "?") -> ak.Array:
    """Zip the ``{prefix}_pt/_eta/_phi`` (+ extra) branches into one jagged record array."""
    names = ("pt", "eta", "phi", *extra)
    missing = [f"{prefix}_{n}" for n in names if f"{prefix}_{n}" not in events.fields]
    if missing:
        raise EventFileError(f"sample {sample}: event array lacks branch(es) {missing}")
    return ak.zip({n: events[f"{prefix}_{n}"] for n in names})


def _acceptance(objs: ak.Array, pt_min: float, abs_eta_max: float) -> ak.Array:
    return (objs.pt > pt_min) & (np.abs(objs.eta) < abs_eta_max)


def select_objects(events: ak.Array, cfg: AnalysisConfig, sample: str = "?") -> dict[str, ak.Array]:
    """Signal electrons, muons, taus, photons and jets (before overlap removal).

    Leptons/photons need pT > pt_min, |eta| < abs_eta_max and, where configured,
    ``{prefix}_iso`` (relative isolation) < rel_iso_max. Jets come from ``cfg.jet_collection`` (with their
    ``mass`` and ``btag`` where the event record has them).
    """
    selected: dict[str, ak.Array] = {}
    for kind, (prefix, extra) in _COLLECTIONS.items():
        cuts = cfg.objects[kind]
        use_iso = cuts.rel_iso_max is not None
        objs = collection(events, prefix, extra + (("iso",) if use_iso else ()), sample)
        mask = _acceptance(objs, cuts.pt_min, cuts.abs_eta_max)
        if use_iso:
            mask = mask & (objs.iso < cuts.rel_iso_max)
        selected[kind] = objs[mask]
    jet_cuts = cfg.objects["jet"]
    jet_extra = tuple(f for f in ("mass", "btag") if f"{cfg.jet_collection}_{f}" in events.fields)
    jets = collection(events, cfg.jet_collection, jet_extra, sample)
    selected["jet"] = jets[_acceptance(jets, jet_cuts.pt_min, jet_cuts.abs_eta_max)]
    return selected
