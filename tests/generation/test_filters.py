"""Generator-level filters: the cut logic, the Pythia hook, normalisation and the start-up looseness check."""

from __future__ import annotations

import math
from dataclasses import dataclass

import awkward as ak
import numpy as np
import pytest

from susyscan.config.checks import reco_lower_bounds
from susyscan.errors import ConfigError
from susyscan.generation.filters import FilterSpec, ProcessLevelVeto, filter_from_config, passes, truth_mt2

SPEC = FilterSpec("dimuon_mt2", "test", muon_pt_min=(40.0, 15.0), muon_abs_eta_max=2.5, mt2_min=80.0)


@dataclass
class FakeParticle:
    """The part of Pythia's Particle interface the hook uses."""

    pid: int
    mom_x: float
    mom_y: float
    mom_z: float = 0.0
    final: bool = True

    def id(self) -> int:
        return self.pid

    def px(self) -> float:
        return self.mom_x

    def py(self) -> float:
        return self.mom_y

    def isFinal(self) -> bool:  # noqa: N802 (Pythia's name)
        return self.final

    def pT(self) -> float:  # noqa: N802
        return math.hypot(self.mom_x, self.mom_y)

    def eta(self) -> float:
        return math.asinh(self.mom_z / self.pT())


class FakeProcess(list):
    def size(self) -> int:
        return len(self)


def _process(*particles: FakeParticle, incoming: tuple[int, int] = (2, -2)) -> FakeProcess:
    head = [FakeParticle(90, 0, 0, 0, False), FakeParticle(2212, 0, 0, 1, False), FakeParticle(2212, 0, 0, -1, False),
            FakeParticle(incoming[0], 0, 0, 1, False), FakeParticle(incoming[1], 0, 0, -1, False)]
    return FakeProcess(head + list(particles))


def test_passes_needs_every_muon_threshold() -> None:
    miss = (-300.0, 0.0)
    assert passes(SPEC, [(200.0, 200.0, 0.0), (100.0, 0.0, 100.0)], miss)
    assert not passes(SPEC, [(200.0, 200.0, 0.0)], miss)  # one muon
    assert not passes(SPEC, [(39.0, 39.0, 0.0), (30.0, 0.0, 30.0)], miss)  # leading below 40
    assert not passes(SPEC, [(200.0, 200.0, 0.0), (14.0, 0.0, 14.0)], miss)  # subleading below 15


def test_mt2_threshold_uses_the_mt2_package() -> None:
    # back-to-back muons with the missing momentum along one of them: mT2 is small
    small = truth_mt2((100.0, 0.0), (-100.0, 0.0), (50.0, 0.0))
    large = truth_mt2((200.0, 0.0), (0.0, 200.0), (-150.0, -150.0))
    assert small < 80.0 < large
    assert not passes(SPEC, [(100.0, 100.0, 0.0), (100.0, -100.0, 0.0)], (50.0, 0.0))
    assert passes(SPEC, [(200.0, 200.0, 0.0), (200.0, 0.0, 200.0)], (-150.0, -150.0))


def test_hook_counts_and_treats_lost_muons_as_invisible() -> None:
    hook = ProcessLevelVeto(SPEC)
    good = _process(FakeParticle(13, 200, 0), FakeParticle(-13, 0, 200), FakeParticle(14, -150, -150))
    no_muons = _process(FakeParticle(12, 100, 0), FakeParticle(-12, -50, 0))
    # a third muon beyond the acceptance is invisible and adds to the missing pT
    lost = _process(FakeParticle(13, 200, 0), FakeParticle(-13, 0, 200), FakeParticle(13, -150, -150, mom_z=3000.0))
    assert hook.doVetoProcessLevel(good) is False
    assert hook.doVetoProcessLevel(no_muons) is True
    assert hook.doVetoProcessLevel(lost) is False
    counts = hook.counts
    assert (counts.n_seen, counts.n_filter_vetoed, counts.n_accepted) == (3, 1, 2)
    eff, err = counts.efficiency()
    assert eff == pytest.approx(2 / 3) and err == pytest.approx(math.sqrt(2 / 9 / 3))


def test_flavour_veto_rejects_mixed_quark_pairs_only() -> None:
    hook = ProcessLevelVeto(None, flavour_veto=True)
    assert hook.doVetoProcessLevel(_process(incoming=(2, -2))) is False
    assert hook.doVetoProcessLevel(_process(incoming=(-1, 1))) is False
    assert hook.doVetoProcessLevel(_process(incoming=(2, -4))) is True
    assert hook.doVetoProcessLevel(_process(incoming=(-5, 1))) is True
    counts = hook.counts
    assert counts.n_flavour_vetoed == 2 and counts.mixed_flavour_pairs == {"2,4": 1, "1,5": 1}
    assert counts.n_considered == 2 and counts.efficiency()[0] == 1.0  # the veto is not a filter inefficiency


def test_filter_config_errors_name_the_filter() -> None:
    with pytest.raises(ConfigError, match="decreasing order"):
        filter_from_config("bad", {"description": "x", "muon_pt_min": [15, 40]})
    with pytest.raises(ConfigError, match="needs two muons"):
        filter_from_config("bad", {"description": "x", "muon_pt_min": [15], "mt2_min": 80})
    with pytest.raises(ConfigError, match="missing field 'description'"):
        filter_from_config("nodesc", {"muon_pt_min": [40, 15]})


def test_reco_lower_bounds_reads_simple_atoms() -> None:
    bounds = reco_lower_bounds(["met > 110.0", "mu1_pt > 50.0 and mu2_pt > 20.0", "mt2 >= 1e2", "abs(mll - 91) > 15"])
    assert bounds == {"met": 110.0, "mu1_pt": 50.0, "mu2_pt": 20.0, "mt2": 100.0}


def _passing_fraction(events: ak.Array, lead: float, sublead: float) -> float:
    """Fraction of events whose two leading hard-record muons (|eta| < 2.5) pass the pT thresholds.

    The event record's hard muons carry the recoil of the initial-state shower, which the process-level
    hook has not seen yet, so a filtered sample passes these thresholds for most, not all, events.
    """
    truth = events["truth"]
    muons = truth[abs(truth.pid) == 13]
    mu_pt = np.hypot(muons.px, muons.py)
    mu_pt = mu_pt[np.abs(np.arcsinh(muons.pz / mu_pt)) < 2.5]
    pt = np.sort(ak.to_numpy(ak.fill_none(ak.pad_none(mu_pt, 2, clip=True), 0.0)), axis=1)[:, ::-1]
    return float(np.mean((pt[:, 0] > lead) & (pt[:, 1] > sublead)))


def test_filtered_pythia_run_keeps_only_passing_events_and_rescales_sigma() -> None:
    """A real Pythia run: accepted ttbar events pass the truth thresholds (up to shower recoil) far more often
    than unfiltered ones, and sigmaGen(filtered) = efficiency x sigmaGen(unfiltered) within the errors."""
    from susyscan.generation.pythia_run import generate

    hard = FilterSpec("hard", "test", muon_pt_min=(60.0, 30.0), muon_abs_eta_max=2.5)
    result = generate("ttbar_mumu", 60, seed=11, filter_spec=hard)
    reference = generate("ttbar_mumu", 200, seed=12)
    assert len(result.events) == 60
    filtered, unfiltered = _passing_fraction(result.events, 60, 30), _passing_fraction(reference.events, 60, 30)
    assert filtered > 0.8 and unfiltered < filtered - 0.3
    eff, err = result.filter_efficiency()
    counts = result.filter_counts
    assert counts is not None and counts.n_accepted >= 60 and 0.05 < eff < 0.6
    assert abs(eff - unfiltered) < 0.15  # the efficiency matches the unfiltered sample's passing fraction
    expected = eff * reference.xsec_lo_pb
    tolerance = 4 * math.hypot(err * reference.xsec_lo_pb, eff * reference.xsec_lo_err_pb, result.xsec_lo_err_pb)
    assert abs(result.xsec_lo_pb - expected) < tolerance
