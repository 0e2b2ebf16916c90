"""SLHA spectra: mixing matrices, Pythia acceptance, smuon -> mu chi10 decays."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import ConfigError
from susyscan.generation import slha
from susyscan.generation.pythia_run import generate


def test_neutralino_and_chargino_mixing_diagonalise() -> None:
    masses, nmix = slha.neutralino_mixing(3000.0, 3000.0, 200.0, 10.0)
    assert np.allclose(nmix @ nmix.T, np.eye(4), atol=1e-10)
    assert abs(masses[0]) == pytest.approx(200.0, rel=0.05)  # higgsino-like, |m| ~ mu
    assert np.sum(nmix[0, 2:] ** 2) > 0.99  # N1 is >99% higgsino
    cmass, umix, vmix = slha.chargino_mixing(3000.0, 200.0, 10.0)
    x = np.array([[3000.0, np.sqrt(2) * slha.M_W * np.sin(np.arctan(10))], [np.sqrt(2) * slha.M_W * np.cos(np.arctan(10)), 200.0]])
    assert np.allclose(umix @ x @ vmix.T, np.diag(cmass), atol=1e-6)
    assert cmass[0] < cmass[1]


def test_smuon_slha_blocks(tmp_path) -> None:  # noqa: ANN001
    text = slha.write_slha("smuon", {"m_smuon": 300.0, "m_neutralino": 100.0}, tmp_path / "s.slha").read_text()
    assert "2000013   3.000000E+02" in text and "1000022   1.000000E+02" in text
    assert "DECAY 2000013" in text and "1.00000000E+00   2   13   1000022" in text
    selmix = text.split("BLOCK SELMIX")[1].split("BLOCK")[0]
    assert "  5  5   1.0" in selmix  # 2000013 is pure mu_R
    for block in ("NMIX", "UMIX", "VMIX", "STAUMIX", "SELMIX"):
        assert f"BLOCK {block}" in text
    with pytest.raises(ConfigError, match="m_neutralino"):
        slha.render_slha("smuon", {"m_smuon": 100.0, "m_neutralino": 150.0})


def test_pythia_accepts_smuon_slha_and_smuons_decay_to_mu_chi10() -> None:
    m_smuon, m_chi = 250.0, 100.0
    events = generate("smuon_R", 100, seed=7, masses={"m_smuon": m_smuon, "m_neutralino": m_chi}).events
    truth = events.truth
    smuons = truth[np.abs(truth.pid) == 2000013]
    assert ak.all(ak.num(smuons) >= 2)
    assert np.allclose(ak.flatten(smuons.mass), m_smuon, atol=10.0)  # Breit-Wigner, width ~1 GeV
    hard = truth[np.abs(truth.status) == 23]
    # every event: exactly two chi10 and two opposite-sign muons from the smuon decays, nothing else
    assert ak.all(ak.sum(hard.pid == 1000022, axis=1) == 2)
    assert ak.all(ak.sum(hard.pid == 13, axis=1) == 1) and ak.all(ak.sum(hard.pid == -13, axis=1) == 1)
    assert ak.all(ak.num(hard) == 4)


def test_pythia_accepts_higgsino_slha() -> None:
    result = generate("sq_higgsino", 50, seed=3, masses={"m_squark": 1000.0, "m_ewkino": 200.0})
    truth = result.events.truth
    apid = np.abs(ak.to_numpy(ak.flatten(truth.pid)))
    ewkinos = np.isin(apid, [1000022, 1000023, 1000024])
    squarks = (apid > 1_000_000) & np.isin(apid % 1_000_000, [1, 2, 3, 4, 5])
    assert ewkinos.sum() >= 50 and squarks.sum() >= 50
    assert result.xsec_lo_pb > 0
