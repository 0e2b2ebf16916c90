"""The wino-like spectrum of the ewkino signal (process sq_ewkino) and its cross section vs the higgsino case."""

from __future__ import annotations

import re

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import ConfigError
from susyscan.generation import slha
from susyscan.generation.processes import get_process
from susyscan.generation.pythia_run import generate, lo_xsec_only


def _nmix_row1(text: str) -> np.ndarray:
    block = text.split("BLOCK NMIX")[1].split("BLOCK")[0]
    values = {(int(i), int(j)): float(v) for i, j, v in re.findall(r"^\s+(\d)\s+(\d)\s+(\S+)", block, re.M)}
    return np.array([values[(1, j)] for j in range(1, 5)])


def test_wino_spectrum_has_a_wino_lsp_and_a_prompt_chargino(tmp_path) -> None:  # noqa: ANN001
    masses = {"m_squark": 1200.0, "m_electroweakino": 250.0}
    text = slha.write_slha("wino", masses, tmp_path / "w.slha").read_text()
    row = _nmix_row1(text)
    assert row[1] ** 2 > 0.99  # N1 is > 99 % wino (column 2 of NMIX)
    assert "1000022   2.500000E+02" in text and "1000024   2.510000E+02" in text  # dm_chargino = 1 GeV
    decay = text.split("DECAY 1000024")[1].split("DECAY")[0]
    brs = [float(line.split()[0]) for line in decay.strip().splitlines()[1:]]
    assert brs and sum(brs) == pytest.approx(1.0)
    assert "1000022" in decay  # C1 -> N1 + f f'
    with pytest.raises(ConfigError, match="wino model"):
        slha.render_slha("wino", {"m_squark": 200.0, "m_electroweakino": 250.0})


def test_sq_ewkino_uses_the_grid_mass_keys_and_the_wino_model() -> None:
    spec = get_process("sq_ewkino")
    assert spec.slha_model == "wino"
    assert spec.mass_keys == ("m_squark", "m_electroweakino")  # the columns of config/grids/ewkino.tsv


def test_wino_cross_section_is_far_above_the_higgsino_one() -> None:
    wino, _ = lo_xsec_only("sq_ewkino", {"m_squark": 1000.0, "m_electroweakino": 200.0}, n_events=300)
    higgsino, _ = lo_xsec_only("sq_higgsino", {"m_squark": 1000.0, "m_ewkino": 200.0}, n_events=300)
    # measured with 2000 events: 0.086 pb (wino) vs 5.1e-4 pb (higgsino)
    assert 0.05 < wino < 0.15
    assert wino > 50 * higgsino


def test_pythia_generates_squark_wino_events() -> None:
    result = generate("sq_ewkino", 30, seed=5, masses={"m_squark": 1000.0, "m_electroweakino": 200.0})
    apid = np.abs(ak.to_numpy(ak.flatten(result.events.truth.pid)))
    assert np.isin(apid, [1000022, 1000024]).sum() >= 30
    squarks = (apid > 1_000_000) & np.isin(apid % 1_000_000, [1, 2, 3, 4])
    assert squarks.sum() >= 30
