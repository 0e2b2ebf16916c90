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
    # associated production and both squark-pair modes (the abstract's jets from squark decays)
    for switch in ("SUSY:qg2chi0squark", "SUSY:qg2chi+-squark", "SUSY:gg2squarkantisquark",
                   "SUSY:qqbar2squarkantisquark", "SUSY:qq2squarksquark"):
        assert f"{switch} = on" in spec.settings
    # no idVec restriction: it would also apply to the squark pairs and switch them off
    assert not any(line.startswith("SUSY:idVec") for line in spec.settings)


def test_third_generation_is_decoupled_in_the_wino_spectrum(tmp_path) -> None:  # noqa: ANN001
    text = slha.write_slha("wino", {"m_squark": 1200.0, "m_electroweakino": 250.0}, tmp_path / "w.slha").read_text()
    masses = dict(re.findall(r"^\s+(\d{7})\s+(\S+)", text.split("BLOCK MASS")[1].split("BLOCK")[0], re.M))
    for light in ("1000001", "2000001", "1000002", "2000002", "1000003", "2000003", "1000004", "2000004"):
        assert float(masses[light]) == pytest.approx(1200.0)
    for third in ("1000005", "2000005", "1000006", "2000006"):
        assert float(masses[third]) == pytest.approx(slha.M_HEAVY)


def test_squark_pairs_add_to_the_associated_cross_section() -> None:
    masses = {"m_squark": 1000.0, "m_electroweakino": 100.0}
    total, err_total = lo_xsec_only("sq_ewkino", masses, n_events=600)
    assoc, err_assoc = lo_xsec_only("sq_ewkino_assoc", masses, n_events=600)
    # measured with 4000 events each: docs/analysis_ewkino.md (pairs are ~half of the total at 1 TeV)
    assert total > 1.3 * assoc
    assert total < 4.0 * assoc


def test_wino_cross_section_is_far_above_the_higgsino_one() -> None:
    wino, _ = lo_xsec_only("sq_ewkino_assoc", {"m_squark": 1000.0, "m_electroweakino": 200.0}, n_events=300)
    higgsino, _ = lo_xsec_only("sq_higgsino", {"m_squark": 1000.0, "m_ewkino": 200.0}, n_events=300)
    # measured with 2000 events: 0.086 pb (wino) vs 5.1e-4 pb (higgsino)
    assert 0.05 < wino < 0.15
    assert wino > 50 * higgsino


def test_pythia_generates_squark_wino_events() -> None:
    result = generate("sq_ewkino", 60, seed=5, masses={"m_squark": 1000.0, "m_electroweakino": 200.0})
    pid = ak.to_numpy(ak.flatten(result.events.truth.pid))
    counts = ak.num(result.events.truth.pid)
    apid = np.abs(pid)
    assert np.isin(apid, [1000022, 1000024]).sum() >= 60
    is_squark = (apid > 1_000_000) & np.isin(apid % 1_000_000, [1, 2, 3, 4])
    assert not np.isin(apid, [1000005, 2000005, 1000006, 2000006]).any()  # third generation decoupled
    # per event: squark pairs carry two squarks (at least one distinct squark line each in the record)
    squark_ids_per_event = ak.unflatten(np.where(is_squark, pid, 0), counts)
    n_distinct = np.array([len(set(ev) - {0}) for ev in ak.to_list(squark_ids_per_event)])
    assert (n_distinct >= 1).all()
    assert (n_distinct >= 2).sum() >= 5  # squark pairs (or squark + antisquark) are generated
