"""Physics checks of the parametric detector on particle-gun events."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.detector import load_card, simulate
from susyscan.detector.synthetic import make_events

CARD = load_card()


def _run(particles, truth=None, seed: int = 7, **kwargs) -> ak.Array:  # type: ignore[no-untyped-def]
    return simulate(make_events(particles, truth), CARD, np.random.default_rng(seed), **kwargs)


def _spray(pt_total: float, eta: float, phi: float, n: int, rng: np.random.Generator) -> list[tuple[int, float, float, float]]:
    """n collinear-ish charged/neutral pions and photons sharing pt_total."""
    fractions = rng.dirichlet(np.ones(n))
    pids = rng.choice([211, -211, 22, 130], size=n, p=[0.3, 0.3, 0.3, 0.1])
    return [(int(p), float(f * pt_total), float(eta + rng.normal(0, 0.05)), float(phi + rng.normal(0, 0.05)))
            for p, f in zip(pids, fractions)]


def test_muon_efficiency_in_barrel_matches_card() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    events = [[(13, 50.0, float(e), float(p))] for e, p in zip(rng.uniform(-1.4, 1.4, n), rng.uniform(-3, 3, n))]
    reco = _run(events)
    efficiency = float(ak.mean(ak.num(reco.muon_pt)))
    expected = 0.99 * 0.95  # tracking x identification, |eta| < 1.5, pT > 10 GeV
    assert efficiency == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))


def test_muon_resolution_matches_card() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    events = [[(13, 50.0, float(e), 0.0)] for e in rng.uniform(-0.45, 0.45, n)]
    reco = _run(events)
    ratio = ak.to_numpy(ak.flatten(reco.muon_pt)) / 50.0
    expected = np.sqrt(0.01**2 + 50.0**2 * 1.0e-4**2)
    assert np.mean(ratio) == pytest.approx(1.0, abs=4 * expected / np.sqrt(len(ratio)))
    assert np.std(ratio) == pytest.approx(expected, rel=0.06)


def test_isolated_and_nonisolated_muons() -> None:
    rng = np.random.default_rng(3)
    alone = [(13, 50.0, 0.0, 0.0)]
    in_jet = [(13, 50.0, 0.0, 0.0)] + [(211, 4.0, float(rng.normal(0, 0.1)), float(rng.normal(0, 0.1))) for _ in range(10)]
    far = [(13, 50.0, 0.0, 0.0)] + [(211, 4.0, 0.0, 2.0 + 0.01 * i) for i in range(10)]
    reco = _run([alone, in_jet, far] * 50)
    iso = ak.to_numpy(ak.fill_none(ak.firsts(reco.muon_iso), np.nan))
    kind = np.tile([0, 1, 2], 50)
    found = ~np.isnan(ak.to_numpy(ak.fill_none(ak.firsts(reco.muon_pt), np.nan)))
    assert np.all(iso[found & (kind == 0)] == 0.0)
    assert np.all(iso[found & (kind == 2)] == 0.0)
    nonisolated = iso[found & (kind == 1)]
    assert np.all(nonisolated > CARD.isolation.ratio_max["muon"])
    assert np.median(nonisolated) == pytest.approx(40.0 / 50.0, rel=0.15)  # ~all 10 pions x 4 GeV tracked


def test_isolated_electron_is_not_a_jet_but_in_electrons() -> None:
    reco = _run([[(11, 60.0, 0.3, 1.0)]] * 200)
    n_el = ak.to_numpy(ak.num(reco.electron_pt))
    assert n_el.mean() == pytest.approx(0.95 * 0.95, abs=0.06)
    assert np.all(ak.to_numpy(ak.num(reco.jet_pt))[n_el == 1] == 0)
    # an electron failing identification still deposits energy: it shows up as a jet instead
    assert np.all(ak.to_numpy(ak.num(reco.jet_pt))[n_el == 0] == 1)


def test_dijet_from_back_to_back_partons() -> None:
    rng = np.random.default_rng(4)
    n = 600
    events = [_spray(100.0, 0.5, 0.0, 12, rng) + _spray(100.0, -0.5, np.pi, 12, rng) for _ in range(n)]
    reco = _run(events)
    assert np.mean(ak.to_numpy(ak.num(reco.jet_pt)) == 2) > 0.97
    two = reco[ak.num(reco.jet_pt) == 2]
    dphi = np.abs(ak.to_numpy(two.jet_phi[:, 0] - two.jet_phi[:, 1]))
    assert np.all(np.abs(np.minimum(dphi, 2 * np.pi - dphi) - np.pi) < 0.1)
    pts = ak.to_numpy(ak.flatten(two.jet_pt))
    # jet energy smearing with the card HCal formula at E ~ 100 cosh(0.5) GeV
    energy = 100.0 * np.cosh(0.5)
    expected = np.sqrt(energy**2 * 0.0302**2 + energy * 0.5205**2 + 1.59**2) / energy
    assert np.median(pts) == pytest.approx(100.0, rel=0.03)
    assert np.std(pts / 100.0) == pytest.approx(expected, rel=0.2)
    assert ak.all(two.jet_pt[:, 0] >= two.jet_pt[:, 1])
    assert ak.all(ak.num(reco.largejet_pt) >= 1)


def test_met_from_neutrino_balancing_muon() -> None:
    reco = _run([[(13, 50.0, 0.2, 0.0), (14, 50.0, -0.4, np.pi)]] * 500)
    has_mu = ak.to_numpy(ak.num(reco.muon_pt)) == 1
    met = ak.to_numpy(reco.met)
    assert np.all(np.abs(met[has_mu] - 50.0) < 3.0)
    phi = ak.to_numpy(reco.met_phi)[has_mu]
    assert np.all(np.abs(np.abs(phi) - np.pi) < 0.05)
    assert np.all(met[~has_mu] < 1e-3)  # lost muon: nothing visible at all


def test_btag_rate_follows_card_efficiency() -> None:
    rng = np.random.default_rng(5)
    n = 800
    particles = [_spray(80.0, 0.0, 0.0, 10, rng) + _spray(80.0, 0.0, np.pi, 10, rng) for _ in range(n)]
    truth = [[(5, 80.0, 0.0, 0.0, 23)] for _ in range(n)]
    reco = _run(particles, truth)
    pt = ak.to_numpy(ak.flatten(reco.jet_pt))
    phi = ak.to_numpy(ak.flatten(reco.jet_phi))
    tag = ak.to_numpy(ak.flatten(reco.jet_btag))
    is_b = np.abs(phi) < 0.5
    expected_b = CARD.btagging.efficiency["b"](pt[is_b], np.zeros(is_b.sum())).mean()
    assert tag[is_b].mean() == pytest.approx(expected_b, abs=4 * np.sqrt(expected_b * (1 - expected_b) / is_b.sum()))
    assert tag[~is_b].mean() < 0.015  # light mistag ~0.0026


def test_pf_candidates_threshold_and_classes() -> None:
    rng = np.random.default_rng(6)
    events = [_spray(60.0, 0.0, 1.0, 30, rng) + [(11, 30.0, 1.0, -1.0), (13, 25.0, -1.0, 2.0), (12, 40.0, 0.0, 0.0)]
              for _ in range(100)]
    for threshold in (1.0, 5.0):
        reco = _run(events, pfcand_pt_min=threshold)
        pt = ak.to_numpy(ak.flatten(reco.pfcand_pt))
        pid = ak.to_numpy(ak.flatten(reco.pfcand_pid))
        charge = ak.to_numpy(ak.flatten(reco.pfcand_charge))
        assert len(pt) > 0 and np.all(pt > threshold)
        assert set(np.unique(pid)) <= {11, 13, 22, 211, 130}
        assert np.all(charge[np.isin(pid, (22, 130))] == 0)
        assert np.all(np.abs(charge[np.isin(pid, (11, 13, 211))]) == 1)
        assert ak.all(reco.pfcand_pt[:, :-1] >= reco.pfcand_pt[:, 1:])


def test_hadronic_tau_tagging_and_leptonic_veto() -> None:
    n = 600
    hadronic = [[(211, 30.0, 0.0, 0.0), (22, 8.0, 0.02, 0.01)]]
    leptonic = [[(13, 30.0, 0.0, 0.0), (211, 22.0, 0.05, 0.02)]]
    tau_truth = [[(15, 45.0, 0.0, 0.0, 23)]]
    reco_had = _run(hadronic * n, tau_truth * n)
    rate = float(ak.mean(ak.num(reco_had.tau_pt)))
    expected = 0.95 * 0.70  # charged-hadron tracking x one-prong tag efficiency
    assert rate == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    reco_lep = _run(leptonic * n, tau_truth * n)
    assert float(ak.mean(ak.num(reco_lep.tau_pt))) < 0.05  # only the 2% one-prong mistag rate


def test_empty_events_deterministic_and_bare_input() -> None:
    events = [[], [(13, 50.0, 0.0, 0.0)], []]
    a, b = _run(events, seed=11), _run(events, seed=11)
    assert ak.all(ak.num(a.jet_pt) == 0) and a.met[0] == 0.0
    for field in a.fields:
        assert ak.all(ak.ravel(a[field]) == ak.ravel(b[field]))
    bare = simulate(make_events(events)["particles"], CARD, np.random.default_rng(1))
    assert "weight" not in bare.fields and "truth_pid" not in bare.fields and "muon_pt" in bare.fields


def test_photon_efficiency_and_ecal_resolution() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    events = [[(22, 50.0, float(e), float(p))] for e, p in zip(rng.uniform(-1.2, 1.2, n), rng.uniform(-3, 3, n))]
    reco = _run(events)
    assert float(ak.mean(ak.num(reco.photon_pt))) == pytest.approx(0.95, abs=4 * np.sqrt(0.95 * 0.05 / n))
    pt = ak.to_numpy(ak.flatten(reco.photon_pt))
    eta = ak.to_numpy(ak.flatten(reco.photon_eta))
    energy = 50.0 * np.cosh(eta)
    expected = np.sqrt(0.0017**2 + 0.101**2 / energy)  # card ECal: sigma(E)/E
    assert np.std((pt - 50.0) / 50.0 / expected) == pytest.approx(1.0, rel=0.06)
    assert ak.all(reco.photon_iso == 0.0) and ak.all(ak.num(reco.jet_pt) <= 1)
