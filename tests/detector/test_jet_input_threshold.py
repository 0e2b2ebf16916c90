"""jets.input_energy_min: a particle below it is no jet constituent and enters the MET soft term exactly once."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.detector import load_card, simulate
from susyscan.detector.synthetic import make_events
from susyscan.errors import ConfigError

#: No smearing anywhere, perfect tracking: every MET and jet momentum is an exact sum of particle momenta.
EXACT = {
    "calorimeter_resolution.ecal": "0.0", "calorimeter_resolution.hcal": "0.0", "jets.energy_resolution": "0.0",
    "momentum_resolution.charged_hadron": "0.0", "tracking_efficiency.charged_hadron": "1.0",
}
#: A 60 GeV jet of ten 6 GeV neutral hadrons (K0L) around (eta, phi) = (0, 0); no tracks among them.
JET = [(130, 6.0, 0.03 * (i - 4.5), 0.02 * (i % 3 - 1)) for i in range(10)]


def _reco(soft_pt: float, threshold: float, soft_pt_min: float = 0.5) -> ak.Array:
    """The jet plus one charged pion of ``soft_pt`` at dR = 0.1 from its axis, threshold ``threshold`` GeV."""
    card = load_card(overrides={**EXACT, "jets.input_energy_min": threshold, "met.soft_pt_min": soft_pt_min})
    event = [*JET, (211, soft_pt, 0.1, 0.0)]
    return simulate(make_events([event] * 3), card, np.random.default_rng(3))


def _vector(pt: ak.Array, phi: ak.Array) -> np.ndarray:
    """Per event the (px, py) sum of a jagged (pt, phi) collection or of one (pt, phi) per event."""
    pt, phi = np.asarray(pt, dtype=np.float64), np.asarray(phi, dtype=np.float64)
    return np.stack([pt * np.cos(phi), pt * np.sin(phi)], axis=-1)


def test_particle_below_threshold_leaves_the_jet_and_enters_the_soft_term_once() -> None:
    """0.8 GeV pion (E = 0.81 GeV) next to a 60 GeV jet: a constituent without the threshold; with a 1 GeV
    threshold not a constituent (jet lighter by exactly its momentum) but in the soft term (MET and the track soft
    term), so the MET, the negative sum of everything visible, is unchanged."""
    before, after = _reco(0.8, 0.0), _reco(0.8, 1.0)
    assert ak.all(ak.num(before.jet_pt) == 1) and ak.all(ak.num(after.jet_pt) == 1)
    pion = np.array([0.8, 0.0])
    jet_before = _vector(ak.flatten(before.jet_pt), ak.flatten(before.jet_phi))
    jet_after = _vector(ak.flatten(after.jet_pt), ak.flatten(after.jet_phi))
    np.testing.assert_allclose(jet_before - jet_after, np.tile(pion, (3, 1)), atol=2e-4)
    met_before = _vector(before.met, before.met_phi)
    met_after = _vector(after.met, after.met_phi)
    np.testing.assert_allclose(met_after, met_before, atol=2e-4)  # counted once: neither lost nor doubled
    np.testing.assert_allclose(met_before, -jet_before, atol=2e-4)  # the pion inside the jet
    np.testing.assert_allclose(met_after, -(jet_after + pion), atol=2e-4)  # the pion beside it
    # the track soft term: empty while the pion is in the jet, the pion's track once it is not
    np.testing.assert_allclose(np.asarray(before.met_tst), 0.0, atol=1e-6)
    np.testing.assert_allclose(_vector(after.met_tst, after.met_tst_phi), np.tile(-pion, (3, 1)), atol=2e-4)


def test_particle_below_threshold_and_below_soft_pt_min_is_dropped_like_any_unclustered_particle() -> None:
    """0.3 GeV pion, 0.5 GeV threshold: out of the jet, and below met.soft_pt_min (0.5 GeV) as every
    unclustered particle of that pT, so the MET moves by exactly its momentum; with soft_pt_min lowered to 0.2 GeV
    it is in the soft term and the MET is that of the unthresholded event."""
    before, after = _reco(0.3, 0.0), _reco(0.3, 0.5)
    pion = np.array([0.3, 0.0])
    np.testing.assert_allclose(_vector(after.met, after.met_phi) - _vector(before.met, before.met_phi),
                               np.tile(pion, (3, 1)), atol=2e-4)
    lowered = _reco(0.3, 0.5, soft_pt_min=0.2)
    np.testing.assert_allclose(_vector(lowered.met, lowered.met_phi), _vector(before.met, before.met_phi), atol=2e-4)
    np.testing.assert_allclose(_vector(lowered.met_tst, lowered.met_tst_phi), np.tile(-pion, (3, 1)), atol=2e-4)


def test_threshold_zero_clusters_every_particle_and_negative_is_rejected() -> None:
    """Threshold 0 (every visible particle clustered) gives the default card's events; a negative one is an error."""
    events = make_events([[*JET, (211, 0.3, 0.1, 0.0), (22, 0.2, -0.1, 0.05)]] * 4)
    default = simulate(events, load_card(), np.random.default_rng(9))
    zero = simulate(events, load_card(overrides={"jets.input_energy_min": 0.0}), np.random.default_rng(9))
    for field in ("jet_pt", "largejet_mass", "met", "met_tst"):
        assert ak.all(ak.flatten(default[field], axis=None) == ak.flatten(zero[field], axis=None))
    with pytest.raises(ConfigError, match="jets.input_energy_min"):
        load_card(overrides={"jets.input_energy_min": -1.0})
