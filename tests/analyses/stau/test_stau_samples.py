"""Stau samples: the lepton/tau generator filter, the stau SLHA model, the L+R cross-section table, the process
classes; slow: a Pythia run of the stau_LR signal (slepton-pair veto, stau -> tau chi10)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import awkward as ak
import pytest

from susyscan.analyses.stau import CLASSES, PROCESS_CLASSES
from susyscan.errors import ConfigError
from susyscan.generation.filters import FilterSpec, ProcessLevelVeto, filter_from_config
from susyscan.generation.processes import PROCESSES, get_process
from susyscan.generation.slha import render_slha
from susyscan.generation.xsec import load_background_table, lookup

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "tests" / "data" / "xsec"  # copies of shared/reference/xsec (tests/data/README.md)


class _Particle:
    def __init__(self, pid: int, px: float, py: float, pz: float = 0.0, final: bool = True) -> None:
        self._id, self._p, self._final = pid, (px, py, pz), final

    def id(self) -> int:
        return self._id

    def px(self) -> float:
        return self._p[0]

    def py(self) -> float:
        return self._p[1]

    def pT(self) -> float:  # noqa: N802 (Pythia's name)
        return math.hypot(self._p[0], self._p[1])

    def eta(self) -> float:
        return math.asinh(self._p[2] / self.pT())

    def isFinal(self) -> bool:  # noqa: N802 (Pythia's name)
        return self._final


class _Process(list):
    def size(self) -> int:
        return len(self)


def _process(*particles: _Particle) -> _Process:
    head = [_Particle(90, 0, 0, 0, False), _Particle(2212, 0, 0, 1, False), _Particle(2212, 0, 0, -1, False),
            _Particle(2, 0, 0, 1, False), _Particle(-2, 0, 0, -1, False)]
    return _Process(head + list(particles))


LEP_FILTER = {"description": "t", "muon_pt_min": [15.0], "muon_abs_eta_max": 2.7, "lepton_flavours": [11, 13, 15]}


def test_lepton_filter_counts_electrons_muons_and_undecayed_taus() -> None:
    spec = filter_from_config("lep_tau_15", LEP_FILTER)
    assert spec.thresholds() == {"lep1_pt": 15.0}   # checked against the stau cut lep1_pt > 27 at start-up
    hook = ProcessLevelVeto(spec)
    assert hook.doVetoProcessLevel(_process(_Particle(15, 25.0, 0.0), _Particle(-16, -5.0, 0.0))) is False
    assert hook.doVetoProcessLevel(_process(_Particle(-11, 0.0, 16.0), _Particle(12, 0.0, -16.0))) is False
    assert hook.doVetoProcessLevel(_process(_Particle(13, 12.0, 0.0), _Particle(-13, -12.0, 0.0))) is True
    assert hook.doVetoProcessLevel(_process(_Particle(15, 30.0, 0.0, pz=600.0))) is True  # |eta| = 3.7 > 2.7
    assert hook.doVetoProcessLevel(_process(_Particle(1, 200.0, 0.0), _Particle(-1, -200.0, 0.0))) is True
    assert (hook.counts.n_accepted, hook.counts.n_filter_vetoed) == (2, 3)
    # the default stays muons only: the tau event fails a muon filter
    muon_hook = ProcessLevelVeto(FilterSpec("mu", "t", muon_pt_min=(20.0,)))
    assert muon_hook.doVetoProcessLevel(_process(_Particle(15, 25.0, 0.0))) is True


def test_lepton_filter_errors_name_the_filter() -> None:
    with pytest.raises(ConfigError, match="'bad'.*lepton_flavours"):
        filter_from_config("bad", {**LEP_FILTER, "lepton_flavours": [11, 22]})
    with pytest.raises(ConfigError, match="'two'.*one-lepton threshold"):
        filter_from_config("two", {**LEP_FILTER, "muon_pt_min": [20.0, 10.0]})


def test_stau_slha_model() -> None:
    text = render_slha("stau_lr", {"m_stau": 100.0, "m_neutralino": 40.0})
    masses = {int(line.split()[0]): float(line.split()[1]) for line in text.split("BLOCK MASS")[1].split("BLOCK")[0]
              .splitlines()[1:] if line.strip() and not line.strip().startswith("#")}
    assert masses[1000015] == 100.0 and masses[2000015] == 100.0 and masses[1000022] == 40.0
    assert masses[2000013] > 1000.0 and masses[1000011] > 1000.0  # other sleptons decoupled
    for pid in (1000015, 2000015):
        block = text.split(f"DECAY {pid}")[1].split("DECAY")[0].split()
        assert block[1:5] == ["1.00000000E+00", "2", "15", "1000022"]
    with pytest.raises(ConfigError, match="stau model"):
        render_slha("stau_lr", {"m_stau": 100.0, "m_neutralino": 99.0})


def test_lr_table_is_the_sum_of_the_reference_tables() -> None:
    left = json.loads((REFERENCE / "pp13_stau_L_NLO+NLL_PDF4LHC.json").read_text())["data"]
    right = json.loads((REFERENCE / "pp13_stau_R_NLO+NLL_PDF4LHC.json").read_text())["data"]
    spec = get_process("stau_LR")
    assert spec.slepton_pair_fix and spec.xsec_table_factor == 1.0
    for mass in ("100", "250", "500"):
        xsec, _ = lookup(spec.xsec_table, float(mass))
        assert xsec == pytest.approx(left[mass]["xsec_pb"] + right[mass]["xsec_pb"], rel=1e-12)
    # between table points: log-linear in each; the sum of two log-linear curves is close to it
    xsec, unc = lookup(spec.xsec_table, 112.5)
    assert 0.0 < unc < 0.1 * xsec
    assert lookup(spec.xsec_table, 100.0)[0] > xsec > lookup(spec.xsec_table, 125.0)[0]


def test_every_stau_background_has_a_class_and_a_reference_cross_section() -> None:
    table = load_background_table()
    stau_backgrounds = {"w_lnu", "z_ll", "z_tautau", "ttbar_incl", "single_top", "single_top_tw", "diboson_incl",
                        "ggh_tautau", "vbfh_tautau"}
    for name in stau_backgrounds:
        assert name in PROCESSES and PROCESSES[name].kind == "background"
        assert table[name].xsec_pb is not None and table[name].xsec_pb > 0
        assert PROCESS_CLASSES[name] in CLASSES[1:]
    assert {PROCESS_CLASSES[n] for n in stau_backgrounds} == set(CLASSES[1:])  # the six background classes
    samples = (REPO / "config" / "samples_stau.tsv").read_text().splitlines()[1:]
    assert {line.split("\t")[1] for line in samples} == stau_backgrounds


@pytest.mark.slow
def test_pythia_stau_pairs_decay_to_taus_and_neutralinos() -> None:
    from susyscan.generation.pythia_run import generate

    result = generate("stau_LR", 60, seed=11, masses={"m_stau": 100.0, "m_neutralino": 40.0})
    truth = result.events["truth"]
    apid = abs(truth.pid)
    n_stau = ak.to_numpy(ak.sum((apid == 1000015) | (apid == 2000015), axis=1))
    n_chi = ak.to_numpy(ak.sum(truth.pid == 1000022, axis=1))
    n_tau = ak.to_numpy(ak.sum(apid == 15, axis=1))
    assert (n_stau >= 2).all() and (n_chi >= 2).all() and (n_tau >= 2).all()
    counts = result.filter_counts
    assert counts is not None and counts.n_flavour_vetoed > 0   # the slepton-pair veto of issue 11 is on
    assert set(counts.mixed_flavour_pairs) <= {"2,4", "1,3", "1,5", "3,5"}
    # Pythia's LO (x 3, the colour fix) against the NLO+NLL table: a K-factor in the usual slepton range
    k = lookup("pp13_stau_LR_NLO+NLL_PDF4LHC.json", 100.0)[0] / (result.lo_factor * result.xsec_lo_pb)
    assert 1.0 < k < 1.6
