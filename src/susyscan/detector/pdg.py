"""Electric charge from PDG identifiers (PDG Monte Carlo numbering scheme), vectorised."""

from __future__ import annotations

import numpy as np

# three times the charge of quarks d u s c b t (index = quark code)
_QUARK_3Q = np.array([0, -1, 2, -1, 2, -1, 2], dtype=np.int64)
# three times the charge of fundamental particles with |pid| < 100 (default 0)
_FUNDAMENTAL_3Q = np.zeros(100, dtype=np.int64)
_FUNDAMENTAL_3Q[1:7] = _QUARK_3Q[1:7]
_FUNDAMENTAL_3Q[[11, 13, 15, 17]] = -3
_FUNDAMENTAL_3Q[24] = 3
_FUNDAMENTAL_3Q[37] = 3


def charge_of(pid: np.ndarray) -> np.ndarray:
    """Charge (float32, units of e) of each PDG id; unknown/neutral codes give 0.

    Mesons use the convention that a down-type heavier quark appears as antiquark (K+ = u sbar).
    SUSY codes (|pid| > 1e6) take the charge of their SM partner code.
    """
    pid = np.asarray(pid, dtype=np.int64)
    apid = np.abs(pid)
    core = np.where(apid >= 1_000_000, apid % 1_000_000, apid)
    core = np.where((apid >= 1_000_000) & (core >= 100), 0, core)  # exotic SUSY hadrons: not handled
    nq1 = (core // 1000) % 10
    nq2 = (core // 100) % 10
    nq3 = (core // 10) % 10
    q3_fund = _FUNDAMENTAL_3Q[np.clip(core, 0, 99)]
    q_meson = np.where(nq2 % 2 == 1, _QUARK_3Q[nq3] - _QUARK_3Q[nq2], _QUARK_3Q[nq2] - _QUARK_3Q[nq3])
    q_baryon = _QUARK_3Q[nq1] + _QUARK_3Q[nq2] + _QUARK_3Q[nq3]
    hadron = (core >= 100) & (core < 1_000_000) & (nq2 > 0) & (nq3 > 0) & (nq2 <= 6) & (nq3 <= 6) & (nq1 <= 6)
    three_q = np.where(core < 100, q3_fund, np.where(hadron, np.where(nq1 == 0, q_meson, q_baryon), 0))
    return (np.sign(pid) * three_q / 3.0).astype(np.float32)
