"""The degenerate selectron + smuon L+R model (ATLAS arXiv:1908.08215's main slepton model): SLHA spectrum, process,
normalisation to twice the one-flavour L+R table, and the produced pairs."""

from __future__ import annotations

import collections
import re

import pytest

from susyscan.config.tables import load_grid
from susyscan.generation.chunk import normalisation
from susyscan.generation.processes import get_process, pythia_settings
from susyscan.generation.slha import render_slha, write_slha
from susyscan.generation.xsec import lookup

SLEPTONS = (1000011, 2000011, 1000013, 2000013)


def _mass(text: str, pid: int) -> float:
    return float(re.search(rf"^\s+{pid}\s+(\S+)", text, re.M).group(1))


def test_spectrum_and_decays() -> None:
    text = render_slha("sleptons_lr", {"m_slepton": 500.0, "m_neutralino": 100.0})
    assert all(_mass(text, pid) == 500.0 for pid in SLEPTONS)
    assert _mass(text, 1000012) >= 5e3 and _mass(text, 1000022) == 100.0  # sneutrinos heavy
    for pid, lepton in zip(SLEPTONS, (11, 11, 13, 13), strict=True):
        assert re.search(rf"DECAY\s+{pid}\s+\S+.*\n\s+1\.0+E\+00\s+2\s+{lepton}\s+1000022", text), pid
    smuon = render_slha("smuon", {"m_smuon": 500.0, "m_neutralino": 100.0})
    assert _mass(smuon, 2000013) == 500.0 and all(_mass(smuon, pid) >= 5e3 for pid in SLEPTONS[:3])


def test_normalisation_is_twice_the_one_flavour_table(tmp_path) -> None:
    spec = get_process("sleptons_LR")
    xsec, source = normalisation(spec, {"m_slepton": 600.0, "m_neutralino": 0.0}, 1.0, 13000.0)
    assert xsec == pytest.approx(2.0 * lookup(spec.xsec_table, 600.0)[0])
    assert "x 2" in source
    grid = tmp_path / "g.tsv"
    grid.write_text("m_slepton\tm_neutralino\ttrain\tn_events\tn_chunks\n600\t0\tno\t100\t1\n")
    point = load_grid(grid, "slepton_lr")[0]
    assert (point.name, point.process) == ("slepton_lr_600_0", "sleptons_LR")


def test_pythia_produces_same_species_pairs_of_both_flavours(tmp_path) -> None:
    import pythia8mc as pythia8

    spec = get_process("sleptons_LR")
    slha = write_slha("sleptons_lr", {"m_slepton": 300.0, "m_neutralino": 0.0}, tmp_path / "p.slha")
    pythia = pythia8.Pythia("", False)
    for line in [*pythia_settings(spec, 7, 13000.0, str(slha)), "PartonLevel:all = off", "HadronLevel:all = off"]:
        assert pythia.readString(line), line
    assert pythia.init()
    pairs: collections.Counter = collections.Counter()
    for _ in range(600):
        if pythia.next():
            pairs[tuple(sorted(abs(pythia.process[i].id()) for i in (5, 6)))] += 1
    assert set(pairs) <= {(pid, pid) for pid in SLEPTONS} and len(pairs) == 4
    electrons = pairs[(1000011, 1000011)] + pairs[(2000011, 2000011)]
    assert 0.4 < electrons / sum(pairs.values()) < 0.6  # selectrons and smuons equally
    left = pairs[(1000011, 1000011)] + pairs[(1000013, 1000013)]
    assert left > sum(pairs.values()) - left  # ~l_L pairs have the larger cross section (as in the NLO tables)
