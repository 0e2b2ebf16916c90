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
    n = 500
    reco = _run([[(13, 50.0, 0.2, 0.0), (14, 50.0, -0.4, np.pi)]] * n)
    has_mu = ak.to_numpy(ak.num(reco.muon_pt)) == 1
    met = ak.to_numpy(reco.met)
    assert np.all(np.abs(met[has_mu] - 50.0) < 3.0)
    phi = ak.to_numpy(reco.met_phi)[has_mu]
    assert np.all(np.abs(np.abs(phi) - np.pi) < 0.05)
    # a muon failing identification (5 %) still balances the neutrino as a track; only a muon without a
    # track (1 % tracking inefficiency) leaves nothing visible at all
    untracked = met < 1e-3
    assert np.all((np.abs(met - 50.0) < 3.0) | untracked)
    assert untracked.mean() == pytest.approx(0.01, abs=4 * np.sqrt(0.01 * 0.99 / n) + 1 / n)


def _card_with_muons(identification: str, tracking: str = "1.0"):  # type: ignore[no-untyped-def]
    """Default card with the muon identification/tracking efficiencies replaced (photon ID forced to 1)."""
    return load_card(overrides={"identification_efficiency.muon": identification, "tracking_efficiency.muon": tracking,
                                "identification_efficiency.photon": "1.0 * (pt > 10.0)"})


def _lost_muon_event(muon_eta: float) -> list[tuple[int, float, float, float]]:
    """Balanced event: a 60 GeV muon, a 7 GeV neutrino (true MET: 7 GeV at phi = pi/2), a photon recoiling."""
    mu_px, nu_py = 60.0, 7.0
    return [(13, 60.0, muon_eta, 0.0), (14, 7.0, -1.0, np.pi / 2),
            (22, float(np.hypot(mu_px, nu_py)), 0.0, float(np.arctan2(-nu_py, -mu_px)))]


def test_unidentified_muon_enters_met_as_a_track() -> None:
    """Hand-built lost-muon event: the muon fails identification but its track still balances the MET."""
    card = _card_with_muons(identification="0.0")
    reco = simulate(make_events([_lost_muon_event(0.4)] * 50), card, np.random.default_rng(21))
    assert ak.all(ak.num(reco.muon_pt) == 0) and ak.all(ak.num(reco.photon_pt) == 1)
    assert ak.all(ak.num(reco.jet_pt) == 0)  # no muon in the jet inputs (ATLAS card: jets from towers)
    met = ak.to_numpy(reco.met)
    # the neutrino (7 GeV) within the muon track and photon resolutions (~1 GeV); before the fix ~60 GeV
    assert np.all(np.abs(met - 7.0) < 4.0)
    dphi = np.abs((ak.to_numpy(reco.met_phi) - np.pi / 2 + np.pi) % (2 * np.pi) - np.pi)
    assert np.median(dphi) < 0.2
    # the muon's track is still a PF candidate with the muon track resolution
    mu_pt = ak.to_numpy(ak.flatten(reco.pfcand_pt[reco.pfcand_pid == 13]))
    assert len(mu_pt) == 50 and np.std(mu_pt / 60.0) < 0.03


def test_unidentified_muon_met_uses_track_smearing() -> None:
    """Muon failing ID against a neutrino: MET = the muon's smeared track pT (card muon track resolution)."""
    card = _card_with_muons(identification="0.0")
    n = 2000
    reco = simulate(make_events([[(13, 60.0, 0.2, 0.0), (14, 60.0, 0.1, np.pi)]] * n), card, np.random.default_rng(22))
    met = ak.to_numpy(reco.met)
    expected = 60.0 * np.sqrt(0.01**2 + 60.0**2 * 1.0e-4**2)  # |eta| < 0.5
    assert np.mean(met) == pytest.approx(60.0, abs=4 * expected / np.sqrt(n))
    assert np.std(met - 60.0) == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize(("eta", "tracking"), [(3.0, "1.0"), (0.4, "0.0")])
def test_muon_without_track_is_met(eta: float, tracking: str) -> None:
    """A muon outside the tracker (|eta| > 2.5) or lost by the tracking efficiency is missing momentum."""
    card = _card_with_muons(identification="1.0 * (pt > 10.0)", tracking=tracking)
    reco = simulate(make_events([_lost_muon_event(eta)] * 50), card, np.random.default_rng(23))
    assert ak.all(ak.num(reco.muon_pt) == 0) and ak.all(ak.sum(reco.pfcand_pid == 13, axis=1) == 0)
    assert np.all(np.abs(ak.to_numpy(reco.met) - np.hypot(60.0, 7.0)) < 4.0)


def test_identified_muon_enters_met_once() -> None:
    """An identified muon enters MET once (as the muon), not a second time as a track."""
    card = _card_with_muons(identification="1.0")
    reco = simulate(make_events([_lost_muon_event(0.4)] * 50), card, np.random.default_rng(24))
    assert ak.all(ak.num(reco.muon_pt) == 1)
    assert np.all(np.abs(ak.to_numpy(reco.met) - 7.0) < 4.0)


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
