"""The stau analysis' features: the seed's input table (seed 002, backup "Input Variables") as far as our detector
provides them, computed once when the feature table is written (``AnalysisSpec.derive``).

Inputs are event variables of :mod:`susyscan.analysis.leptau` and the shared jet/MET ones. Definitions where the
seed gives only a name (docs/analysis_stau.md lists them):

- ``met_tst``: the track soft term of the MET (detector branch); ``dphi_*_tst`` use its direction;
- ``dphi_*`` are |dphi| in [0, pi]; ``deta_*`` are |deta|; the jet is the leading overlap-removed jet;
- ``sum_cos`` = cos(phi_lep - phi_met) + cos(phi_tau - phi_met); ``met_centrality`` = (A + B) / sqrt(A^2 + B^2)
  with A = sin(phi_met - phi_tau) / sin(phi_lep - phi_tau), B = sin(phi_lep - phi_met) / sin(phi_lep - phi_tau)
  (ATLAS H -> tau tau MET phi centrality); ``cos_theta_star`` = |tanh(deta(lep, tau) / 2)|;
- ``tau_lep_balance`` = (pT_tau - pT_lep) / (pT_tau + pT_lep); ``met_balance`` = (MET - pT_lep - pT_tau) /
  (MET + pT_lep + pT_tau);
- ``mt2_<m>``: mT2(lep, tau; MET) with invisible mass m GeV on both legs (the ``mt2`` package);
- ``meff_inc40`` = MET + pT_lep + pT_tau + HT of jets with pT > 40 GeV;
- ``rtau1``, ``rtau2`` ("reco taus"): the two tau momenta of the collinear approximation (each neutrino system
  along its visible tau: MET = a p_lep + b p_tau solved in the transverse plane, a and b clipped at 0 where the
  MET lies outside the two visible directions), ordered by pT. Their directions are the visible ones, so
  ``dphi_rtau1_rtau2`` and ``dr_rtau1_rtau2`` equal the lep-tau ones; ``m_rtaus`` is the collinear mass,
  ``cos_theta_star_rtaus`` the cosine of the rtau1 direction in the di-tau rest frame relative to the di-tau
  flight direction.

Missing objects give ``SENTINEL``; a quantity of a missing jet is ``SENTINEL`` too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from susyscan.analysis.features import SENTINEL
from susyscan.analysis.kinematics import invariant_mass_massless, mct_massless, mt2_massless_visible
from susyscan.angles import delta_phi, delta_r
from susyscan.errors import FeatureError

logger = logging.getLogger(__name__)

#: Invisible-mass hypotheses of the mT2 features (GeV), as in the seed.
MT2_MASSES: tuple[int, ...] = (0, 10, 20, 30, 40, 50, 60)

#: Event variables written as model inputs (``SPEC.features``).
EVENT_FEATURES: tuple[str, ...] = (
    "met", "met_tst", "met_significance", "tau1_pt", "tau1_eta", "tau1_nprong", "tau1_mass",
    "lep1_pt", "lep1_eta", "lep1_flavour", "lep1_charge", "n_jets40", "n_bjets",
    "jet1_pt", "jet1_eta", "jet1_mass", "ht40",
)
#: Features computed here (``SPEC.derived``), in order.
DERIVED: tuple[str, ...] = (
    "dphi_met_tst", "dphi_met_lep", "dphi_met_tau", "dphi_met_jet", "dphi_tst_lep", "dphi_tst_tau", "dphi_tst_jet",
    "dphi_lep_tau", "dphi_lep_jet", "dphi_tau_jet", "deta_lep_tau", "deta_lep_jet", "deta_tau_jet", "dr_lep_tau", "dr_lep_jet", "dr_tau_jet",
    "sum_cos", "met_centrality", "cos_theta_star", "tau_lep_balance", "met_balance",
    "mt_tau_met", "mt_lep_met", "mt_sum", "mct_tau_lep", "m_tau_lep", "meff_inc40",
    *(f"mt2_{m}" for m in MT2_MASSES),
    "rtau1_pt", "rtau2_pt", "dphi_met_rtau1", "dphi_met_rtau2", "dphi_tst_rtau1", "dphi_tst_rtau2", "dphi_rtau1_rtau2", "dphi_rtau1_jet",
    "dphi_rtau2_jet", "dr_rtau1_rtau2", "dr_rtau1_jet", "dr_rtau2_jet", "rtaus_balance", "m_rtaus", "mct_rtaus",
    "cos_theta_star_rtaus",
)
#: Features that need a jet: left out of the 0-jet network's inputs (seed table: "0 jet" column).
JET_FEATURES: frozenset[str] = frozenset({
    "jet1_pt", "jet1_eta", "jet1_mass", "ht40", "n_jets40", "dphi_met_jet", "dphi_tst_jet", "dphi_lep_jet", "dphi_tau_jet",
    "deta_lep_jet", "deta_tau_jet", "dr_lep_jet", "dr_tau_jet", "dphi_rtau1_jet", "dphi_rtau2_jet", "dr_rtau1_jet",
    "dr_rtau2_jet",
})
FEATURES_1J: tuple[str, ...] = (*EVENT_FEATURES, *DERIVED)
FEATURES_0J: tuple[str, ...] = tuple(name for name in FEATURES_1J if name not in JET_FEATURES)

_INPUTS = ("met", "met_phi", "met_tst", "met_tst_phi", "lep1_pt", "lep1_eta", "lep1_phi", "tau1_pt", "tau1_eta", "tau1_phi",
           "jet1_pt", "jet1_eta", "jet1_phi", "ht40")


def _present(values: np.ndarray) -> np.ndarray:
    return values > SENTINEL + 1.0


def collinear_fractions(lep_px: np.ndarray, lep_py: np.ndarray, tau_px: np.ndarray, tau_py: np.ndarray,
                        met_px: np.ndarray, met_py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) >= 0 with MET = a p_lep + b p_tau in the transverse plane (collinear approximation); parallel legs
    (no solution) give (0, 0), a negative solution is clipped at 0."""
    det = lep_px * tau_py - lep_py * tau_px
    ok = np.abs(det) > 1e-9
    safe = np.where(ok, det, 1.0)
    a = np.where(ok, (met_px * tau_py - met_py * tau_px) / safe, 0.0)
    b = np.where(ok, (lep_px * met_py - lep_py * met_px) / safe, 0.0)
    return np.clip(a, 0.0, None), np.clip(b, 0.0, None)


def _four_vector(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(n, 4) massless four-vectors (E, px, py, pz)."""
    return np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=1)


def helicity_cosine(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """cos of the angle between p1 in the (p1 + p2) rest frame and the (p1 + p2) flight direction."""
    total = p1 + p2
    e, p = total[:, 0], total[:, 1:]
    pmag = np.linalg.norm(p, axis=1)
    mass = np.sqrt(np.clip(e * e - pmag * pmag, 1e-12, None))
    beta = p / np.where(e > 0, e, 1.0)[:, None]
    b2 = np.sum(beta * beta, axis=1)
    gamma = e / mass
    bp = np.sum(beta * p1[:, 1:], axis=1)
    coef = np.where(b2 > 0, (gamma - 1.0) * bp / np.where(b2 > 0, b2, 1.0), 0.0) - gamma * p1[:, 0]
    p_star = p1[:, 1:] + coef[:, None] * beta
    norm = np.linalg.norm(p_star, axis=1) * pmag
    return np.where(norm > 0, np.sum(p_star * p, axis=1) / np.where(norm > 0, norm, 1.0), SENTINEL)


def derive(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The DERIVED features from the event variables of the preselected events."""
    missing = [c for c in _INPUTS if c not in columns]
    if missing:
        raise FeatureError(f"stau features need event variable(s) {missing}")
    col = {c: np.asarray(columns[c], dtype=np.float64) for c in _INPUTS}
    n = len(col["met"])
    pair = _present(col["lep1_pt"]) & _present(col["tau1_pt"])
    jet = _present(col["jet1_pt"])

    def value(name: str, mask: np.ndarray) -> np.ndarray:
        return np.where(mask, col[name], 0.0)

    met, met_phi = col["met"], col["met_phi"]
    lpt, leta, lphi = value("lep1_pt", pair), value("lep1_eta", pair), value("lep1_phi", pair)
    tpt, teta, tphi = value("tau1_pt", pair), value("tau1_eta", pair), value("tau1_phi", pair)
    jeta, jphi = value("jet1_eta", jet), value("jet1_phi", jet)
    both_jet = pair & jet

    def on(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.where(mask, values, SENTINEL)

    tst = _present(col["met_tst"])
    tst_phi = np.where(tst, col["met_tst_phi"], 0.0)
    out: dict[str, np.ndarray] = {
        "dphi_met_tst": on(tst, np.abs(delta_phi(met_phi, tst_phi))),
        "dphi_tst_lep": on(tst & pair, np.abs(delta_phi(tst_phi, lphi))),
        "dphi_tst_tau": on(tst & pair, np.abs(delta_phi(tst_phi, tphi))),
        "dphi_tst_jet": on(tst & jet, np.abs(delta_phi(tst_phi, jphi))),
        "dphi_met_lep": on(pair, np.abs(delta_phi(met_phi, lphi))),
        "dphi_met_tau": on(pair, np.abs(delta_phi(met_phi, tphi))),
        "dphi_met_jet": on(jet, np.abs(delta_phi(met_phi, jphi))),
        "dphi_lep_tau": on(pair, np.abs(delta_phi(lphi, tphi))),
        "dphi_lep_jet": on(both_jet, np.abs(delta_phi(lphi, jphi))),
        "dphi_tau_jet": on(both_jet, np.abs(delta_phi(tphi, jphi))),
        "deta_lep_tau": on(pair, np.abs(leta - teta)),
        "deta_lep_jet": on(both_jet, np.abs(leta - jeta)),
        "deta_tau_jet": on(both_jet, np.abs(teta - jeta)),
        "dr_lep_tau": on(pair, delta_r(leta, lphi, teta, tphi)),
        "dr_lep_jet": on(both_jet, delta_r(leta, lphi, jeta, jphi)),
        "dr_tau_jet": on(both_jet, delta_r(teta, tphi, jeta, jphi)),
        "sum_cos": on(pair, np.cos(lphi - met_phi) + np.cos(tphi - met_phi)),
    }
    den = np.sin(lphi - tphi)
    ok = pair & (np.abs(den) > 1e-9)
    safe = np.where(ok, den, 1.0)
    a_c, b_c = np.sin(met_phi - tphi) / safe, np.sin(lphi - met_phi) / safe
    norm = np.sqrt(a_c * a_c + b_c * b_c)
    out["met_centrality"] = on(ok & (norm > 0), (a_c + b_c) / np.where(norm > 0, norm, 1.0))
    out["cos_theta_star"] = on(pair, np.abs(np.tanh((leta - teta) / 2.0)))
    vis = lpt + tpt
    out["tau_lep_balance"] = on(pair, (tpt - lpt) / np.where(vis > 0, vis, 1.0))
    out["met_balance"] = on(pair, (met - vis) / np.where(met + vis > 0, met + vis, 1.0))
    mt_lep = np.sqrt(np.clip(2.0 * lpt * met * (1.0 - np.cos(lphi - met_phi)), 0.0, None))
    mt_tau = np.sqrt(np.clip(2.0 * tpt * met * (1.0 - np.cos(tphi - met_phi)), 0.0, None))
    out["mt_tau_met"] = on(pair, mt_tau)
    out["mt_lep_met"] = on(pair, mt_lep)
    out["mt_sum"] = on(pair, mt_lep + mt_tau)
    out["mct_tau_lep"] = on(pair, mct_massless(tpt, tphi, lpt, lphi))
    out["m_tau_lep"] = on(pair, invariant_mass_massless(tpt, teta, tphi, lpt, leta, lphi))
    ht40 = np.where(_present(col["ht40"]), col["ht40"], 0.0)
    out["meff_inc40"] = on(pair, met + vis + ht40)
    for mass in MT2_MASSES:
        values = np.full(n, SENTINEL)
        if pair.any():
            values[pair] = mt2_massless_visible(lpt[pair], lphi[pair], tpt[pair], tphi[pair], met[pair],
                                                met_phi[pair], float(mass))
        out[f"mt2_{mass}"] = values

    a, b = collinear_fractions(lpt * np.cos(lphi), lpt * np.sin(lphi), tpt * np.cos(tphi), tpt * np.sin(tphi),
                               met * np.cos(met_phi), met * np.sin(met_phi))
    r_lep, r_tau = (1.0 + a) * lpt, (1.0 + b) * tpt
    lep_first = r_lep >= r_tau
    r1_pt, r2_pt = np.where(lep_first, r_lep, r_tau), np.where(lep_first, r_tau, r_lep)
    r1_eta, r2_eta = np.where(lep_first, leta, teta), np.where(lep_first, teta, leta)
    r1_phi, r2_phi = np.where(lep_first, lphi, tphi), np.where(lep_first, tphi, lphi)
    out |= {
        "rtau1_pt": on(pair, r1_pt),
        "rtau2_pt": on(pair, r2_pt),
        "dphi_met_rtau1": on(pair, np.abs(delta_phi(met_phi, r1_phi))),
        "dphi_met_rtau2": on(pair, np.abs(delta_phi(met_phi, r2_phi))),
        "dphi_tst_rtau1": on(tst & pair, np.abs(delta_phi(tst_phi, r1_phi))),
        "dphi_tst_rtau2": on(tst & pair, np.abs(delta_phi(tst_phi, r2_phi))),
        "dphi_rtau1_rtau2": on(pair, np.abs(delta_phi(r1_phi, r2_phi))),
        "dphi_rtau1_jet": on(both_jet, np.abs(delta_phi(r1_phi, jphi))),
        "dphi_rtau2_jet": on(both_jet, np.abs(delta_phi(r2_phi, jphi))),
        "dr_rtau1_rtau2": on(pair, delta_r(r1_eta, r1_phi, r2_eta, r2_phi)),
        "dr_rtau1_jet": on(both_jet, delta_r(r1_eta, r1_phi, jeta, jphi)),
        "dr_rtau2_jet": on(both_jet, delta_r(r2_eta, r2_phi, jeta, jphi)),
        "rtaus_balance": on(pair, (r1_pt - r2_pt) / np.where(r1_pt + r2_pt > 0, r1_pt + r2_pt, 1.0)),
        "m_rtaus": on(pair, invariant_mass_massless(r1_pt, r1_eta, r1_phi, r2_pt, r2_eta, r2_phi)),
        "mct_rtaus": on(pair, mct_massless(r1_pt, r1_phi, r2_pt, r2_phi)),
    }
    p1, p2 = _four_vector(r1_pt, r1_eta, r1_phi), _four_vector(r2_pt, r2_eta, r2_phi)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["cos_theta_star_rtaus"] = on(pair, helicity_cosine(p1, p2))
    return {name: out[name] for name in DERIVED}
