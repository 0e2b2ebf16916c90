"""mll, mCT and mT2 against independent references (4-vector algebra, brute force, endpoint)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from susyscan.analysis.kinematics import delta_phi, invariant_mass_massless, mct_massless, mt2_massless_visible


def _p4(pt: float, eta: float, phi: float) -> np.ndarray:
    return np.array([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)])


def test_delta_phi_wraps() -> None:
    assert np.allclose(delta_phi(np.array([3.1, -3.1, 0.5]), np.array([-3.1, 3.1, -0.5])),
                       [6.2 - 2 * np.pi, 2 * np.pi - 6.2, 1.0])


def test_invariant_mass_matches_four_vector_sum() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = rng.uniform([10, -2.5, -np.pi], [300, 2.5, np.pi], (2, 3))
        total = _p4(*a) + _p4(*b)
        expected = np.sqrt(total[0] ** 2 - np.sum(total[1:] ** 2))
        assert np.isclose(invariant_mass_massless(*a[[0]], *a[[1]], *a[[2]], *b[[0]], *b[[1]], *b[[2]]),
                          expected, rtol=1e-7)


def test_mct_analytic_cases() -> None:
    # back to back: mCT = 0; collinear: mCT = 2 sqrt(pT1 pT2); general: Tovey's definition
    assert np.isclose(mct_massless(100.0, 0.0, 50.0, np.pi), 0.0, atol=1e-5)
    assert np.isclose(mct_massless(100.0, 1.0, 25.0, 1.0), 2.0 * np.sqrt(100.0 * 25.0))
    pt1, phi1, pt2, phi2 = 80.0, 0.3, 45.0, 2.0
    v1 = pt1 * np.array([np.cos(phi1), np.sin(phi1)])
    v2 = pt2 * np.array([np.cos(phi2), np.sin(phi2)])
    tovey = np.sqrt((pt1 + pt2) ** 2 - np.sum((v1 - v2) ** 2))
    assert np.isclose(mct_massless(pt1, phi1, pt2, phi2), tovey)


def _mt_massless(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sqrt(max(2.0 * (np.linalg.norm(p) * np.linalg.norm(q) - p @ q), 0.0)))


def _mt2_brute_force(p1: np.ndarray, p2: np.ndarray, miss: np.ndarray) -> float:
    """min over q1 + q2 = miss of max(mT(p1, q1), mT(p2, q2)), by multi-start Nelder-Mead."""
    def objective(q1: np.ndarray) -> float:
        return max(_mt_massless(p1, q1), _mt_massless(p2, miss - q1))

    starts = [miss * f for f in (0.0, 0.25, 0.5, 0.75, 1.0)] + [p1, -p2, np.array([50.0, -50.0])]
    best = min(minimize(objective, s, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8,
                                                                      "maxiter": 4000}).fun for s in starts)
    return float(best)


def test_mt2_matches_brute_force_minimisation() -> None:
    rng = np.random.default_rng(7)
    for _ in range(15):
        pt1, pt2, met = rng.uniform(20, 200, 3)
        phi1, phi2, met_phi = rng.uniform(-np.pi, np.pi, 3)
        p1 = pt1 * np.array([np.cos(phi1), np.sin(phi1)])
        p2 = pt2 * np.array([np.cos(phi2), np.sin(phi2)])
        miss = met * np.array([np.cos(met_phi), np.sin(met_phi)])
        ours = float(mt2_massless_visible(np.array([pt1]), np.array([phi1]), np.array([pt2]), np.array([phi2]),
                                          np.array([met]), np.array([met_phi]))[0])
        assert np.isclose(ours, _mt2_brute_force(p1, p2, miss), rtol=2e-3, atol=0.05)


def test_mt2_zero_inside_visible_cone_and_endpoint_at_parent_mass() -> None:
    # MET parallel to the visible sum can be split so that each leg's mT = 0
    assert np.isclose(mt2_massless_visible(np.array([50.0]), np.array([0.0]), np.array([30.0]), np.array([1.0]),
                                           np.array([40.0]), np.array([0.5]))[0], 0.0, atol=1e-2)
    # pair-produced parents of mass M -> massless visible + massless invisible: mT2 <= M, reached near M
    rng = np.random.default_rng(3)
    n, mass = 3000, 80.0
    vis, inv = [], []
    for _ in range(2):
        cos_t = rng.uniform(-1, 1, n)
        phi = rng.uniform(-np.pi, np.pi, n)
        direction = np.stack([np.sqrt(1 - cos_t**2) * np.cos(phi), np.sqrt(1 - cos_t**2) * np.sin(phi), cos_t], 1)
        beta = rng.uniform(0, 0.9, (n, 1)) * _unit(rng.normal(size=(n, 3)))
        vis.append(_boost(np.hstack([np.full((n, 1), mass / 2), mass / 2 * direction]), beta))
        inv.append(_boost(np.hstack([np.full((n, 1), mass / 2), -mass / 2 * direction]), beta))
    miss = inv[0][:, 1:3] + inv[1][:, 1:3]
    values = mt2_massless_visible(np.hypot(vis[0][:, 1], vis[0][:, 2]), np.arctan2(vis[0][:, 2], vis[0][:, 1]),
                                  np.hypot(vis[1][:, 1], vis[1][:, 2]), np.arctan2(vis[1][:, 2], vis[1][:, 1]),
                                  np.hypot(miss[:, 0], miss[:, 1]), np.arctan2(miss[:, 1], miss[:, 0]))
    assert np.all(values <= mass * (1 + 1e-6))
    assert values.max() > 0.95 * mass


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _boost(p: np.ndarray, beta: np.ndarray) -> np.ndarray:
    b2 = np.sum(beta**2, axis=1, keepdims=True)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=1, keepdims=True)
    e = gamma * (p[:, :1] + bp)
    vec = p[:, 1:] + ((gamma - 1.0) * bp / np.where(b2 > 0, b2, 1.0) + gamma * p[:, :1]) * beta
    return np.hstack([e, vec])
