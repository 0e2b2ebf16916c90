"""The stau features on one hand-made event, against independent computations (vector for four-momenta, a brute
force minimisation for mT2, a linear solve for the collinear approximation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import vector

from susyscan.analyses.stau import DERIVED, MT2_MASSES
from susyscan.analyses.stau.features import derive

LEP = {"pt": 40.0, "eta": 0.3, "phi": 0.2}
TAU = {"pt": 30.0, "eta": -0.8, "phi": 2.1}
JET = {"pt": 60.0, "eta": 1.4, "phi": -2.6}
MET, MET_PHI, HT40 = 50.0, -1.3, 60.0
TST, TST_PHI = 6.0, 2.9


def _columns(jet: bool = True) -> dict[str, np.ndarray]:
    cols = {f"lep1_{k}": np.array([v]) for k, v in LEP.items()}
    cols |= {f"tau1_{k}": np.array([v]) for k, v in TAU.items()}
    cols |= {f"jet1_{k}": np.array([v if jet else -999.0]) for k, v in JET.items()}
    cols |= {"met": np.array([MET]), "met_phi": np.array([MET_PHI]), "ht40": np.array([HT40 if jet else 0.0]),
             "met_tst": np.array([TST]), "met_tst_phi": np.array([TST_PHI])}
    return cols


def _v(obj: dict[str, float]) -> vector.MomentumObject4D:
    return vector.obj(pt=obj["pt"], eta=obj["eta"], phi=obj["phi"], mass=0.0)


def _mt(pt: float, phi: float, qx: float, qy: float, m_inv: float) -> float:
    """Transverse mass of a massless visible object and an invisible one of mass m_inv and momentum (qx, qy)."""
    et_vis, et_inv = pt, math.sqrt(m_inv**2 + qx * qx + qy * qy)
    dot = pt * math.cos(phi) * qx + pt * math.sin(phi) * qy
    return math.sqrt(max(m_inv**2 + 2.0 * (et_vis * et_inv - dot), 0.0))


def _mt2_brute(m_inv: float) -> float:
    """min over splittings of the MET of max(mT(lep, q1), mT(tau, MET - q1)), on a grid then refined."""
    mx, my = MET * math.cos(MET_PHI), MET * math.sin(MET_PHI)
    best, centre, width = math.inf, (mx / 2, my / 2), 150.0
    for _ in range(6):
        grid = np.linspace(-width, width, 121)
        for qx in centre[0] + grid:
            for qy in centre[1] + grid:
                value = max(_mt(LEP["pt"], LEP["phi"], qx, qy, m_inv),
                            _mt(TAU["pt"], TAU["phi"], mx - qx, my - qy, m_inv))
                if value < best:
                    best, arg = value, (qx, qy)
        centre, width = arg, width / 10
    return best


def test_angles_masses_and_balances() -> None:
    out = derive(_columns())
    assert list(out) == list(DERIVED)
    lep, tau, jet = _v(LEP), _v(TAU), _v(JET)
    met = vector.obj(pt=MET, phi=MET_PHI)
    assert out["dphi_met_lep"][0] == pytest.approx(abs(lep.deltaphi(met)))
    tst = vector.obj(pt=TST, phi=TST_PHI)
    assert out["dphi_met_tst"][0] == pytest.approx(abs(met.deltaphi(tst)))
    assert out["dphi_tst_jet"][0] == pytest.approx(abs(tst.deltaphi(jet)))
    assert out["dphi_tst_tau"][0] == pytest.approx(abs(tst.deltaphi(tau)))
    assert out["dphi_tau_jet"][0] == pytest.approx(abs(tau.deltaphi(jet)))
    assert out["deta_lep_jet"][0] == pytest.approx(abs(LEP["eta"] - JET["eta"]))
    assert out["dr_lep_tau"][0] == pytest.approx(lep.deltaR(tau))
    assert out["dr_tau_jet"][0] == pytest.approx(tau.deltaR(jet))
    assert out["m_tau_lep"][0] == pytest.approx((lep + tau).mass)
    mt_lep = math.sqrt(2 * LEP["pt"] * MET * (1 - math.cos(LEP["phi"] - MET_PHI)))
    mt_tau = math.sqrt(2 * TAU["pt"] * MET * (1 - math.cos(TAU["phi"] - MET_PHI)))
    assert out["mt_sum"][0] == pytest.approx(mt_lep + mt_tau)
    # mCT^2 = (ET1 + ET2)^2 - (pT1 - pT2)^2 for massless objects
    mct2 = (LEP["pt"] + TAU["pt"]) ** 2 - (lep.to_xy() - tau.to_xy()).rho ** 2
    assert out["mct_tau_lep"][0] == pytest.approx(math.sqrt(mct2))
    assert out["meff_inc40"][0] == pytest.approx(MET + LEP["pt"] + TAU["pt"] + HT40)
    assert out["tau_lep_balance"][0] == pytest.approx((30 - 40) / 70)
    assert out["met_balance"][0] == pytest.approx((50 - 70) / 120)
    assert out["sum_cos"][0] == pytest.approx(math.cos(LEP["phi"] - MET_PHI) + math.cos(TAU["phi"] - MET_PHI))
    assert out["cos_theta_star"][0] == pytest.approx(abs(math.tanh((LEP["eta"] - TAU["eta"]) / 2)))


def test_mt2_at_each_invisible_mass_against_brute_force() -> None:
    out = derive(_columns())
    for mass in MT2_MASSES:
        assert out[f"mt2_{mass}"][0] == pytest.approx(_mt2_brute(float(mass)), abs=0.05), mass


def test_collinear_reco_taus() -> None:
    out = derive(_columns())
    lep, tau = _v(LEP), _v(TAU)
    matrix = np.array([[lep.px, tau.px], [lep.py, tau.py]])
    a, b = np.clip(np.linalg.solve(matrix, [MET * math.cos(MET_PHI), MET * math.sin(MET_PHI)]), 0, None)
    r_lep, r_tau = lep * (1 + a), tau * (1 + b)
    r1, r2 = (r_lep, r_tau) if r_lep.pt >= r_tau.pt else (r_tau, r_lep)
    assert out["rtau1_pt"][0] == pytest.approx(r1.pt) and out["rtau2_pt"][0] == pytest.approx(r2.pt)
    assert out["m_rtaus"][0] == pytest.approx((r1 + r2).mass)
    assert out["rtaus_balance"][0] == pytest.approx((r1.pt - r2.pt) / (r1.pt + r2.pt))
    assert out["dphi_met_rtau1"][0] == pytest.approx(abs(r1.deltaphi(vector.obj(pt=MET, phi=MET_PHI))))
    # cos theta*: rtau1 in the di-tau rest frame against the di-tau flight direction
    system = r1 + r2
    boosted = r1.boost_p4(-system)  # into the rest frame of the system (vector: boost by the negative)
    expected = (boosted.to_xyz().dot(system.to_xyz())) / (boosted.to_xyz().mag * system.to_xyz().mag)
    assert out["cos_theta_star_rtaus"][0] == pytest.approx(expected, abs=1e-9)


def test_missing_jet_gives_sentinels_only_for_jet_features() -> None:
    out = derive(_columns(jet=False))
    for name in ("dphi_met_jet", "dr_lep_jet", "deta_tau_jet", "dphi_rtau2_jet", "dr_rtau1_jet", "dphi_tst_jet"):
        assert out[name][0] == -999.0, name
    assert out["meff_inc40"][0] == pytest.approx(MET + 70.0)
    assert out["m_tau_lep"][0] > 0
