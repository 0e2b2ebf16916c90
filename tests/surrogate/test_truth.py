"""Truth features from a process record: definitions checked against independent computations (vector, mt2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import vector
from mt2 import mt2

from susyscan.surrogate.contract import INPUTS, MISSING, truth_columns
from susyscan.surrogate.truth import features_from_particles, isr_pt


def _particles() -> pd.DataFrame:
    # event 0: mu- (pT 50), mu+ (pT 120), two neutralinos; event 1: one e+ and a neutrino; event 2: nothing visible
    rows = [
        (0, 13, 30.0, 40.0, 10.0), (0, -13, -120.0, 0.0, -50.0), (0, 1000022, 60.0, -20.0, 5.0, 100.0),
        (0, 1000022, 30.0, -20.0, 40.0, 100.0),
        (1, -11, 0.0, 25.0, 3.0), (1, 12, 0.0, -25.0, 7.0),
        (2, 1000022, 10.0, 0.0, 0.0, 100.0), (2, 1000022, -10.0, 0.0, 0.0, 100.0),
    ]
    out = []
    for r in rows:
        event, pid, px, py, pz = r[:5]
        mass = r[5] if len(r) > 5 else (0.10566 if abs(pid) == 13 else 0.000511 if abs(pid) == 11 else 0.0)
        out.append((event, pid, px, py, pz, float(np.sqrt(px**2 + py**2 + pz**2 + mass**2))))
    return pd.DataFrame(out, columns=["event", "pid", "px", "py", "pz", "e"])


def test_features_match_independent_computation() -> None:
    parts = _particles()
    table = features_from_particles(parts, 3, 300.0, 100.0)
    assert list(table.columns) == truth_columns()
    ev = table.iloc[0]
    mu = parts[parts["event"] == 0].iloc[:2]
    lead, sub = (vector.obj(px=r.px, py=r.py, pz=r.pz, E=r.e) for r in (mu.iloc[1], mu.iloc[0]))
    assert ev["lep1_pt"] == pytest.approx(120.0) and ev["lep2_pt"] == pytest.approx(50.0)
    assert ev["lep1_charge"] == 1.0 and ev["lep2_charge"] == -1.0  # PDG -13 is mu+
    assert ev["lep1_flavour"] == 13.0
    assert ev["lep1_eta"] == pytest.approx(lead.eta) and ev["lep2_phi"] == pytest.approx(sub.phi)
    assert ev["m_ll"] == pytest.approx((lead + sub).mass, rel=1e-9)
    assert ev["met"] == pytest.approx(np.hypot(90.0, -40.0))
    assert ev["met_phi"] == pytest.approx(np.arctan2(-40.0, 90.0))
    assert ev["dphi_ll"] == pytest.approx(abs(lead.deltaphi(sub)))
    expected_mt2 = mt2(0.10566, lead.px, lead.py, 0.10566, sub.px, sub.py, 90.0, -40.0, 0.0, 0.0)
    assert ev["mt2"] == pytest.approx(float(expected_mt2))
    one = table.iloc[1]
    assert one["n_leptons"] == 1 and one["lep1_flavour"] == 11 and one["lep1_charge"] == 1.0
    for name in ("lep2_pt", "m_ll", "mt2", "dphi_ll"):
        assert one[name] == MISSING
    none = table.iloc[2]
    assert none["n_leptons"] == 0 and none["lep1_pt"] == MISSING and none["met"] == pytest.approx(0.0)
    assert none["met_phi"] == 0.0 and none["dphi_met_lep1"] == MISSING
    assert (table["m_parent"] == 300.0).all() and (table["m_lsp"] == 100.0).all()


def test_rows_select_and_order_processes() -> None:
    table = features_from_particles(_particles(), 3, 1.0, 0.0, rows=np.array([2, 0]))
    assert table["n_leptons"].tolist() == [0.0, 2.0]


def test_contract_defaults_documented() -> None:
    missing = [f.name for f in INPUTS if f.missing is not None]
    assert "lep2_pt" in missing and "met" not in missing


def test_isr_pt_is_vector_sum_of_status_23() -> None:
    import awkward as ak

    status = ak.Array([[-21, -21, -22, -22, 23, 23, -23, 23], [23, 23]])
    pt = ak.Array([[0, 0, 300, 300, 100.0, 50.0, 80.0, 30.0], [40.0, 40.0]])
    phi = ak.Array([[0, 0, 1, -1, 0.0, np.pi / 2, np.pi, -np.pi / 2], [0.0, np.pi]])
    out = isr_pt(status, pt, phi)
    assert out[0] == pytest.approx(np.hypot(100.0 - 80.0, 50.0 - 30.0))
    assert out[1] == pytest.approx(0.0, abs=1e-9)
