"""Objects and event variables of the two-lepton recast: signal e/mu, jets, b-jets, overlap removal,
dilepton flavour, m_ll, mT2 and the MET significance."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import awkward as ak
import numpy as np

from susyscan.analysis.features import SENTINEL
from susyscan.analysis.kinematics import invariant_mass_massless, mt2_massless_visible
from susyscan.analysis.objects import collection
from susyscan.analysis.overlap import isolated_from
from susyscan.analysis.variables import leading
from susyscan.recast.metsig import met_significance

if TYPE_CHECKING:
    from susyscan.recast.config import LeptonCuts, RecastConfig

logger = logging.getLogger(__name__)

RECAST_VARIABLES: list[str] = [
    "n_leptons", "n_electrons", "n_muons",
    "lep_charge_product",   # q(l1) q(l2); 0 with fewer than two leptons
    "is_sf", "is_df",       # two leading leptons same / different flavour (0/1; both 0 without two leptons)
    "lep1_pt", "lep2_pt",   # SENTINEL when missing
    "mll",                  # mass of the two leading leptons (SENTINEL without two)
    "n_jets", "n_bjets", "n_nonb_jets",
    "met", "met_significance", "mt2",
]
"""Every name a recast cut or channel expression may use."""


def _leptons(events: ak.Array, prefix: str, cuts: LeptonCuts, flavour: int, sample: str) -> ak.Array:
    objs = collection(events, prefix, ("charge", "iso"), sample)
    mask = (objs.pt > cuts.pt_min) & (np.abs(objs.eta) < cuts.abs_eta_max)
    if cuts.rel_iso_max is not None:
        mask = mask & (objs.iso < cuts.rel_iso_max)
    objs = objs[mask]
    return ak.with_field(objs, ak.values_astype(ak.zeros_like(objs.pt), np.int32) + flavour, "flavour")


def recast_objects(events: ak.Array, cfg: RecastConfig, sample: str = "?") -> dict[str, ak.Array]:
    """Signal leptons (pT-ordered, electrons flavour 11, muons 13) and jets after overlap removal:
    jets within jet_electron_dr of an electron are removed, then leptons within lepton_jet_dr of a remaining jet."""
    electrons = _leptons(events, "electron", cfg.electron, 11, sample)
    muons = _leptons(events, "muon", cfg.muon, 13, sample)
    jets = collection(events, cfg.jet_collection, ("btag",), sample)
    jets = jets[(jets.pt > cfg.jet_pt_min) & (np.abs(jets.eta) < cfg.jet_abs_eta_max)]
    jets = jets[isolated_from(jets, electrons, cfg.jet_electron_dr)]
    electrons = electrons[isolated_from(electrons, jets, cfg.lepton_jet_dr)]
    muons = muons[isolated_from(muons, jets, cfg.lepton_jet_dr)]
    leptons = ak.concatenate([electrons, muons], axis=1)
    leptons = leptons[ak.argsort(leptons.pt, axis=1, ascending=False)]
    return {"electron": electrons, "muon": muons, "lepton": leptons, "jet": jets}


def recast_variables(events: ak.Array, cfg: RecastConfig, sample: str = "?") -> dict[str, np.ndarray]:
    """All RECAST_VARIABLES as float64 arrays of length n_events."""
    objs = recast_objects(events, cfg, sample)
    leptons, jets = objs["lepton"], objs["jet"]
    met = ak.to_numpy(events["met"]).astype(np.float64)
    met_phi = ak.to_numpy(events["met_phi"]).astype(np.float64)
    out: dict[str, np.ndarray] = {
        "n_leptons": ak.to_numpy(ak.num(leptons, axis=1)).astype(np.float64),
        "n_electrons": ak.to_numpy(ak.num(objs["electron"], axis=1)).astype(np.float64),
        "n_muons": ak.to_numpy(ak.num(objs["muon"], axis=1)).astype(np.float64),
    }
    two = out["n_leptons"] >= 2
    pt, eta, phi = (leading(leptons[f], 2) for f in ("pt", "eta", "phi"))
    charge, flavour = leading(leptons.charge, 2), leading(leptons.flavour, 2)
    out["lep1_pt"], out["lep2_pt"] = pt[:, 0], pt[:, 1]
    out["lep_charge_product"] = np.where(two, charge[:, 0] * charge[:, 1], 0.0)
    out["is_sf"] = (two & (flavour[:, 0] == flavour[:, 1])).astype(np.float64)
    out["is_df"] = (two & (flavour[:, 0] != flavour[:, 1])).astype(np.float64)
    zero = np.zeros_like(met)
    p1, e1, f1 = (np.where(two, a[:, 0], zero) for a in (pt, eta, phi))
    p2, e2, f2 = (np.where(two, a[:, 1], zero) for a in (pt, eta, phi))
    out["mll"] = np.where(two, invariant_mass_massless(p1, e1, f1, p2, e2, f2), SENTINEL)
    mt2 = np.full(len(met), SENTINEL)
    if np.any(two):
        mt2[two] = mt2_massless_visible(p1[two], f1[two], p2[two], f2[two], met[two], met_phi[two], 0.0)
    out["mt2"] = mt2
    is_b = (jets.btag > 0) & (np.abs(jets.eta) < cfg.bjet_abs_eta_max)
    out["n_jets"] = ak.to_numpy(ak.num(jets, axis=1)).astype(np.float64)
    out["n_bjets"] = ak.to_numpy(ak.sum(is_b, axis=1)).astype(np.float64)
    out["n_nonb_jets"] = out["n_jets"] - out["n_bjets"]
    out["met"] = met
    spec = cfg.met_significance
    out["met_significance"] = met_significance(met, leptons.pt, jets.pt, spec.lepton_rel, spec.jet_rel,
                                               spec.soft_term_gev)
    return out
