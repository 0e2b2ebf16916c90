"""Forced decays: Pythia's sigmaGen includes the branching fractions of the open channels."""

from __future__ import annotations

import pythia8mc
import pytest

from susyscan.generation.pythia_run import lo_cross_section, make_pythia
from susyscan.generation.processes import get_process, pythia_settings

HARD_ONLY = ("PartonLevel:all = off", "HadronLevel:all = off")  # sigmaGen needs the hard process only


def _sigma(settings: list[str], n: int = 3000) -> tuple[pythia8mc.Pythia, float, float]:
    pythia = make_pythia(settings, "forced-decay test")
    for _ in range(n):
        pythia.next()
    return (pythia, *lo_cross_section(pythia))


def _br(pythia: pythia8mc.Pythia, pid: int, products: set[int]) -> float:
    entry = pythia.particleData.particleDataEntryPtr(pid)
    return sum(
        entry.channel(i).bRatio()
        for i in range(entry.sizeChannels())
        if products & {abs(entry.channel(i).product(k)) for k in range(entry.channel(i).multiplicity())}
    )


def test_ttbar_forced_muonic_equals_inclusive_times_br_squared() -> None:
    base = ["Beams:eCM = 13000", "Print:quiet = on", "Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *HARD_ONLY]
    incl_pythia, incl, incl_err = _sigma(["Random:setSeed = on", "Random:seed = 3", *base])
    br_mu = _br(incl_pythia, 24, {13})
    assert br_mu == pytest.approx(0.108, abs=0.003)
    spec = get_process("ttbar_mumu")
    _, forced, forced_err = _sigma(pythia_settings(spec, seed=4, extra_settings=HARD_ONLY))
    expected = incl * br_mu**2
    assert forced == pytest.approx(expected, rel=0.08)
    assert forced == pytest.approx(5.6, rel=0.15)  # LO value seen before (13 TeV, NNPDF2.3 LO)
    assert incl > 300.0  # LO inclusive ttbar ~ 480 pb


def test_zz_forced_includes_br_squared() -> None:
    base = ["Beams:eCM = 13000", "Print:quiet = on", "WeakDoubleBoson:ffbar2gmZgmZ = on", "WeakZ0:gmZmode = 2", *HARD_ONLY]
    incl_pythia, incl, _ = _sigma(["Random:setSeed = on", "Random:seed = 3", *base])
    br = _br(incl_pythia, 23, {13, 12, 14, 16})
    _, forced, _ = _sigma(pythia_settings(get_process("zz_mumununu"), seed=4, extra_settings=HARD_ONLY))
    assert forced == pytest.approx(incl * br**2, rel=0.08)
