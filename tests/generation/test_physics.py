"""Physics of the generated samples: Z, W, top masses; smuon two-body decay; reproducibility."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.generation.pythia_run import generate
from susyscan.generation.seeds import chunk_seed

M_Z, M_W, M_TOP = 91.19, 80.38, 172.5


def _mass(e, px, py, pz):  # noqa: ANN001, ANN202
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))


@pytest.fixture(scope="module")
def ttbar() -> ak.Array:
    return generate("ttbar_mumu", 150, seed=11).events


def test_z_peak_from_final_state_muons_in_wz() -> None:
    events = generate("wz_mumumu", 150, seed=5).events
    truth = events.truth
    # opposite-sign muon pairs among the hard-process muons (two from the Z, one from the W)
    mu = truth[(np.abs(truth.pid) == 13) & (np.abs(truth.status) == 23)]
    pairs = ak.combinations(mu, 2)
    a, b = ak.unzip(pairs)
    os_pairs = a.pid * b.pid < 0
    m = _mass(a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz)[os_pairs]
    best = ak.to_numpy(ak.fill_none(ak.min(np.abs(m - M_Z), axis=1), 999.0))
    assert np.median(best) < 3.0  # Z width 2.5 GeV
    # and the Z boson itself
    z = truth[truth.pid == 23]
    assert np.median(ak.to_numpy(ak.flatten(z.mass))) == pytest.approx(M_Z, abs=1.5)
    # final-state (particle-level) muons are present
    assert ak.mean(ak.sum(np.abs(events.particles.pid) == 13, axis=1)) >= 2.5


def test_w_and_top_mass_from_truth(ttbar: ak.Array) -> None:
    truth = ttbar.truth
    w = ak.to_numpy(ak.flatten(truth[np.abs(truth.pid) == 24].mass))
    top = ak.to_numpy(ak.flatten(truth[np.abs(truth.pid) == 6].mass))
    assert np.median(w) == pytest.approx(M_W, abs=1.5)
    assert np.median(top) == pytest.approx(M_TOP, abs=2.0)
    # forced decays: every W decays to a muon and a neutrino
    hard = truth[np.abs(truth.status) == 23]
    assert ak.all(ak.sum(np.abs(hard.pid) == 13, axis=1) == 2)
    assert ak.all(ak.sum(np.abs(hard.pid) == 14, axis=1) == 2)


def test_particle_level_contract(ttbar: ak.Array) -> None:
    assert ak.fields(ttbar) == ["particles", "truth", "weight"]
    assert ak.fields(ttbar.particles) == ["pid", "px", "py", "pz", "e", "charge"]
    assert ak.fields(ttbar.truth) == ["pid", "px", "py", "pz", "e", "mass", "status"]
    assert str(ak.type(ttbar.particles.pid)).endswith("int32")
    assert str(ak.type(ttbar.particles.charge)).endswith("float32")
    assert np.all(ak.to_numpy(ttbar.weight) == 1.0)
    flat = ttbar.particles[:5]
    charge = ak.to_numpy(ak.flatten(flat.charge))
    pid = ak.to_numpy(ak.flatten(flat.pid))
    assert np.all(charge[pid == 13] == -1) and np.all(charge[pid == -13] == 1) and np.all(charge[pid == 22] == 0)
    # momentum balance in the transverse plane (final state of a pp collision)
    assert np.allclose(ak.to_numpy(ak.sum(ttbar.particles.px, axis=1)), 0.0, atol=1e-3)


def test_smuon_decay_energy_fixed_in_rest_frame() -> None:
    m_smuon, m_chi = 300.0, 100.0
    truth = generate("smuon_R", 100, seed=9, masses={"m_smuon": m_smuon, "m_neutralino": m_chi}).events.truth
    for sign in (1, -1):
        smu = ak.firsts(truth[truth.pid == sign * 2000013][:, -1:])  # last copy: the one that decays
        mu = ak.firsts(truth[(truth.pid == sign * 13) & (np.abs(truth.status) == 23)])
        smu, mu = ak.drop_none(smu), ak.drop_none(mu)
        assert len(smu) == len(mu) == 100
        msm = _mass(smu.e, smu.px, smu.py, smu.pz)
        # muon energy in the smuon rest frame: E* = p_smu . p_mu / m_smu
        e_star = ak.to_numpy((smu.e * mu.e - smu.px * mu.px - smu.py * mu.py - smu.pz * mu.pz) / msm)
        expected = (ak.to_numpy(msm) ** 2 - m_chi**2) / (2 * ak.to_numpy(msm))
        assert np.allclose(e_star, expected, rtol=1e-3, atol=0.05)
        assert np.allclose(e_star, (m_smuon**2 - m_chi**2) / (2 * m_smuon), rtol=0.03)


def test_same_seed_identical_different_chunk_different() -> None:
    a = generate("ww_mumu", 40, seed=chunk_seed(1, "ww", 0)).events
    b = generate("ww_mumu", 40, seed=chunk_seed(1, "ww", 0)).events
    c = generate("ww_mumu", 40, seed=chunk_seed(1, "ww", 1)).events
    for field in ("pid", "px", "e"):
        assert np.array_equal(ak.to_numpy(ak.flatten(a.particles[field])), ak.to_numpy(ak.flatten(b.particles[field])))
    assert ak.to_list(a.truth) == ak.to_list(b.truth)
    assert not np.array_equal(ak.to_numpy(ak.num(a.particles)), ak.to_numpy(ak.num(c.particles)))
