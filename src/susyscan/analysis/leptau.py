"""Event variables of lepton + hadronic-tau final states (one light lepton, one tau), shared by every analysis.

Analysis-neutral additions to ``susyscan.analysis.variables.EVENT_VARIABLES`` (docs/architecture.md: "an analysis
needing a variable that EVENT_VARIABLES lacks adds it to susyscan.analysis.variables"); the stau analysis cuts on
them and derives its features from them. Conventions:

- the *lepton* is the leading selected electron or muon (after overlap removal), ``lep1_flavour`` 11 or 13;
- the *tau* is the leading selected hadronic tau; its momentum is that of the tau-tagged anti-kt jet (the visible
  decay products, as in the detector card); ``tau1_nprong`` counts the charged particle-flow candidates
  (pT > the event file's PF threshold, 1 GeV by default, the tau tagger's ``track_pt_min``) within dR < 0.2 of its
  axis (the tagger's ``track_dr``); ``tau1_mass`` is the mass of the jet the tau was tagged on (dR < 0.01);
- ``met_tst``, ``met_tst_phi``: the track soft term written by the detector (``SENTINEL`` for event files
  without it, e.g. ingested Delphes files);
- ``met_significance``: object-based, S = MET / sigma with sigma^2 = sum_l (0.03 pT_l)^2 + sum_{j, tau}
  (0.08 pT_j)^2 + 8.9^2 GeV^2 (``susyscan.recast.metsig``, the approximation of the public ATLAS recasts);
- missing objects give ``SENTINEL`` (-999); pair variables need both the lepton and the tau.
"""

from __future__ import annotations

import logging

import awkward as ak
import numpy as np

from susyscan.analysis.features import SENTINEL
from susyscan.analysis.kinematics import invariant_mass_massless, mt2_massless_visible
from susyscan.angles import delta_phi, delta_r

logger = logging.getLogger(__name__)

#: Cone of the prong count (the tau tagger's ``track_dr`` of the ATLAS card) and of the tau-jet match.
PRONG_DR = 0.2
JET_MATCH_DR = 0.01
#: Jet pT threshold of ``n_jets40``, ``ht40`` and of the stau network categories (seed 002).
JET40 = 40.0

LEPTAU_VARIABLES: list[str] = [
    "lep1_pt", "lep1_eta", "lep1_phi", "lep1_charge", "lep1_flavour",
    "tau1_pt", "tau1_eta", "tau1_phi", "tau1_charge", "tau1_nprong", "tau1_mass",
    "jet1_mass", "n_jets40", "ht40", "n_bjets", "met_significance",
    "met_tst", "met_tst_phi",   # track soft term of the MET (event-file branches; SENTINEL in files without them)
    "lep_tau_charge_product",   # q(lep) * q(tau); 0 without a lepton and a tau
    "dphi_lep_tau", "dr_lep_tau", "m_lep_tau",
    "mt_lep_met", "mt_tau_met", "mt_sum_lep_tau",
    "mt2_lep_tau",              # mT2(lep, tau; MET), massless invisible particles
]
"""Names added to the event variables (each a float64 array per event)."""


def transverse_mass(pt: np.ndarray, phi: np.ndarray, met: np.ndarray, met_phi: np.ndarray) -> np.ndarray:
    """mT of a massless object and the MET: sqrt(2 pT MET (1 - cos dphi))."""
    return np.sqrt(np.clip(2.0 * pt * met * (1.0 - np.cos(phi - met_phi)), 0.0, None))


def _first(values: ak.Array, default: float = SENTINEL) -> np.ndarray:
    return ak.to_numpy(ak.fill_none(ak.firsts(values, axis=1), default)).astype(np.float64)


def leading_lepton(electrons: ak.Array, muons: ak.Array) -> dict[str, np.ndarray]:
    """pt, eta, phi, charge, flavour (11/13) of the leading electron or muon; SENTINEL where there is none."""
    def tagged(objs: ak.Array, flavour: int) -> ak.Array:
        return ak.zip({"pt": objs.pt, "eta": objs.eta, "phi": objs.phi, "charge": objs.charge,
                       "flavour": ak.values_astype(ak.ones_like(objs.pt) * flavour, np.int32)})

    both = ak.concatenate([tagged(electrons, 11), tagged(muons, 13)], axis=1)
    lead = both[ak.argsort(both.pt, axis=1, ascending=False)]
    return {f: _first(lead[f]) for f in ("pt", "eta", "phi", "charge", "flavour")}


def count_prongs(tau_eta: np.ndarray, tau_phi: np.ndarray, events: ak.Array | None) -> np.ndarray:
    """Charged PF candidates within PRONG_DR of each event's tau axis (SENTINEL without a tau or PF branches)."""
    has_tau = tau_eta > SENTINEL + 1.0
    needed = ("pfcand_eta", "pfcand_phi", "pfcand_charge")
    if events is None or any(b not in events.fields for b in needed):
        return np.full(len(tau_eta), SENTINEL)
    charged = events["pfcand_charge"] != 0
    eta = events["pfcand_eta"][charged]
    phi = events["pfcand_phi"][charged]
    inside = delta_r(eta, phi, ak.Array(np.where(has_tau, tau_eta, 0.0)), ak.Array(np.where(has_tau, tau_phi, 0.0)))
    counts = ak.to_numpy(ak.sum(inside < PRONG_DR, axis=1)).astype(np.float64)
    return np.where(has_tau, counts, SENTINEL)


def matched_jet_mass(tau_eta: np.ndarray, tau_phi: np.ndarray, events: ak.Array | None) -> np.ndarray:
    """Mass of the (R = 0.4) jet the tau was tagged on; SENTINEL without a tau or a matching jet."""
    has_tau = tau_eta > SENTINEL + 1.0
    needed = ("jet_eta", "jet_phi", "jet_mass")
    if events is None or any(b not in events.fields for b in needed):
        return np.full(len(tau_eta), SENTINEL)
    dr = delta_r(events["jet_eta"], events["jet_phi"], ak.Array(np.where(has_tau, tau_eta, 0.0)),
                 ak.Array(np.where(has_tau, tau_phi, 0.0)))
    close = dr < JET_MATCH_DR
    mass = ak.to_numpy(ak.fill_none(ak.firsts(events["jet_mass"][close], axis=1), SENTINEL)).astype(np.float64)
    return np.where(has_tau, mass, SENTINEL)


def leptau_variables(objects: dict[str, ak.Array], met: np.ndarray, met_phi: np.ndarray,
                     events: ak.Array | None = None) -> dict[str, np.ndarray]:
    """The LEPTAU_VARIABLES of each event from the selected (overlap-removed) objects, MET and the event record
    (PF candidates and jets, for the prong count and the tau mass; without them those two are SENTINEL)."""
    from susyscan.recast.metsig import met_significance

    out: dict[str, np.ndarray] = {}
    lep = leading_lepton(objects["electron"], objects["muon"])
    for field, values in lep.items():
        out[f"lep1_{field}"] = values
    taus, jets = objects["tau"], objects["jet"]
    for field in ("pt", "eta", "phi", "charge"):
        out[f"tau1_{field}"] = _first(taus[field])
    out["tau1_nprong"] = count_prongs(out["tau1_eta"], out["tau1_phi"], events)
    out["tau1_mass"] = matched_jet_mass(out["tau1_eta"], out["tau1_phi"], events)
    out["jet1_mass"] = _first(jets["mass"]) if "mass" in jets.fields else np.full(len(met), SENTINEL)
    out["n_jets40"] = ak.to_numpy(ak.sum(jets.pt > JET40, axis=1)).astype(np.float64)
    out["ht40"] = ak.to_numpy(ak.sum(jets.pt[jets.pt > JET40], axis=1)).astype(np.float64)
    out["n_bjets"] = (ak.to_numpy(ak.sum(jets["btag"] > 0, axis=1)).astype(np.float64) if "btag" in jets.fields
                      else np.zeros(len(met)))
    leptons_pt = ak.concatenate([objects["electron"].pt, objects["muon"].pt], axis=1)
    hadronic_pt = ak.concatenate([jets.pt, taus.pt], axis=1)
    out["met_significance"] = met_significance(met, leptons_pt, hadronic_pt)
    for name in ("met_tst", "met_tst_phi"):
        present = events is not None and name in events.fields
        out[name] = (ak.to_numpy(events[name]).astype(np.float64) if present and events is not None
                     else np.full(len(met), SENTINEL))

    pair = (out["lep1_pt"] > SENTINEL + 1.0) & (out["tau1_pt"] > SENTINEL + 1.0)
    zero = np.zeros(len(met))
    lpt, leta, lphi = (np.where(pair, out[f"lep1_{f}"], zero) for f in ("pt", "eta", "phi"))
    tpt, teta, tphi = (np.where(pair, out[f"tau1_{f}"], zero) for f in ("pt", "eta", "phi"))
    out["lep_tau_charge_product"] = np.where(pair, out["lep1_charge"] * out["tau1_charge"], 0.0)
    out["dphi_lep_tau"] = np.where(pair, np.abs(delta_phi(lphi, tphi)), SENTINEL)
    out["dr_lep_tau"] = np.where(pair, delta_r(leta, lphi, teta, tphi), SENTINEL)
    out["m_lep_tau"] = np.where(pair, invariant_mass_massless(lpt, leta, lphi, tpt, teta, tphi), SENTINEL)
    has_lep, has_tau = out["lep1_pt"] > SENTINEL + 1.0, out["tau1_pt"] > SENTINEL + 1.0
    mt_lep = transverse_mass(np.where(has_lep, out["lep1_pt"], 0.0), np.where(has_lep, out["lep1_phi"], 0.0), met, met_phi)
    mt_tau = transverse_mass(np.where(has_tau, out["tau1_pt"], 0.0), np.where(has_tau, out["tau1_phi"], 0.0), met, met_phi)
    out["mt_lep_met"] = np.where(has_lep, mt_lep, SENTINEL)
    out["mt_tau_met"] = np.where(has_tau, mt_tau, SENTINEL)
    out["mt_sum_lep_tau"] = np.where(pair, mt_lep + mt_tau, SENTINEL)
    mt2 = np.full(len(met), SENTINEL)
    if pair.any():
        mt2[pair] = mt2_massless_visible(lpt[pair], lphi[pair], tpt[pair], tphi[pair], met[pair], met_phi[pair], 0.0)
    out["mt2_lep_tau"] = mt2
    return out
