"""Hadronic tau identification of the detector: efficiency by prong class and (pT, eta), fake rate by jet flavour
(susyscan.detector.jets.tau_tag_probability, jet_flavour; card block tautagging.formulas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from susyscan.detector import DEFAULT_CARD, load_card
from susyscan.detector.jets import FlatJets, jet_flavour, tau_tag, tau_tag_probability
from susyscan.errors import ConfigError


def _jets(pt: list[float], eta: list[float], phi: list[float], event: list[int]) -> FlatJets:
    pt_a, eta_a, phi_a = (np.asarray(v, dtype=np.float64) for v in (pt, eta, phi))
    px, py, pz = pt_a * np.cos(phi_a), pt_a * np.sin(phi_a), pt_a * np.sinh(eta_a)
    return FlatJets(event=np.asarray(event), px=px, py=py, pz=pz, e=np.sqrt(px**2 + py**2 + pz**2), pt=pt_a,
                    eta=eta_a, phi=phi_a, mass=np.zeros(len(pt)), constituents=np.zeros(0, dtype=np.int64))


def _card_with(tmp_path: Path, formulas: dict) -> Path:
    raw = yaml.safe_load(DEFAULT_CARD.read_text())
    raw["tautagging"]["formulas"] = formulas
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_default_card_is_the_delphes_atlas_card_constants() -> None:
    """ATL-PHYS-PUB-2015-045 medium (Delphes ATLAS card): 0.70 / 0.60 efficiency, 0.02 / 0.01 fakes, for every
    jet flavour and pT."""
    card = load_card()
    pt = np.array([25.0, 60.0, 300.0, 25.0, 60.0, 300.0])
    eta = np.array([0.1, -1.5, 2.0, 0.1, -1.5, 2.0])
    tracks = np.array([1, 1, 1, 3, 3, 2])
    true = tau_tag_probability(pt, eta, tracks, np.ones(6, bool), np.full(6, "light", dtype=object), card)
    assert true.tolist() == pytest.approx([0.70] * 3 + [0.60] * 3)
    for flavour in ("light", "gluon", "c", "b"):
        fake = tau_tag_probability(pt, eta, tracks, np.zeros(6, bool), np.full(6, flavour, dtype=object), card)
        assert fake.tolist() == pytest.approx([0.02] * 3 + [0.01] * 3)


def test_pt_dependent_efficiency_and_flavour_dependent_fakes(tmp_path: Path) -> None:
    card = load_card(_card_with(tmp_path, {
        "efficiency": {"1prong": "0.5 + 0.2 * (pt > 50)", "multiprong": "0.4"},
        "mistag": {"gluon": {"1prong": "0.005", "multiprong": "0.002"}, "b": {"1prong": "0.001 * (abs(eta) < 2)"}},
    }))
    pt = np.array([30.0, 80.0, 30.0, 80.0, 80.0, 80.0, 80.0])
    eta = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.2, 0.0])
    tracks = np.array([1, 1, 3, 1, 3, 1, 1])
    matched = np.array([True, True, True, False, False, False, False])
    flavour = np.array(["light", "light", "light", "gluon", "gluon", "b", "c"], dtype=object)
    prob = tau_tag_probability(pt, eta, tracks, matched, flavour, card)
    # efficiency 0.5 / 0.7 below / above 50 GeV (1 prong), 0.4 (3 prongs); gluon fakes 0.005 / 0.002; b fake 0
    # outside |eta| < 2; c (not given) keeps the card's 0.02
    assert prob.tolist() == pytest.approx([0.5, 0.7, 0.4, 0.005, 0.002, 0.0, 0.02])


def test_unknown_jet_flavour_in_card_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"card.yaml.*tautagging.formulas.mistag.*'strange'"):
        load_card(_card_with(tmp_path, {"mistag": {"strange": {"1prong": "0.1"}}}))


def test_fake_rate_above_one_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tautagging.formulas.efficiency.1prong"):
        load_card(_card_with(tmp_path, {"efficiency": {"1prong": "2.0"}}))


def test_jet_flavour_from_hard_process_partons() -> None:
    card = load_card()
    # one event, four jets at phi 0, 1.5, 3, -1.5; partons: b near jet 0, gluon near jet 1, u quark near jet 2
    jets = _jets([50, 50, 50, 50], [0, 0, 0, 0], [0.0, 1.5, 3.0, -1.5], [0, 0, 0, 0])
    truth = {"pid": np.array([5, 21, 2]), "pt": np.array([40.0, 40.0, 40.0]), "eta": np.zeros(3),
             "phi": np.array([0.1, 1.4, 3.05]), "event": np.zeros(3, dtype=np.int64)}
    assert jet_flavour(jets, truth, 1, card).tolist() == ["b", "gluon", "light", "light"]


def test_tau_tag_counts_prongs_and_fakes_by_flavour(tmp_path: Path) -> None:
    card = load_card(_card_with(tmp_path, {"mistag": {"gluon": {"1prong": "1.0", "multiprong": "1.0"},
                                                       "light": {"1prong": "0.0", "multiprong": "0.0"}}}))
    # two jets in one event: jet 0 (gluon flavour) with 2 tracks, jet 1 (light) with 1 track; no true taus
    jets = _jets([40, 40], [0, 0], [0.0, 2.0], [0, 0])
    tracks = {"eta": np.array([0.05, -0.05, 0.0]), "phi": np.array([0.05, -0.05, 2.05]),
              "event": np.zeros(3, dtype=np.int64), "charge": np.array([1, -1, 1])}
    no_taus = {k: np.zeros(0) for k in ("eta", "phi", "pt")} | {"event": np.zeros(0, dtype=np.int64)}
    flavour = np.array(["gluon", "light"], dtype=object)
    tagged, charge = tau_tag(jets, no_taus, tracks, 1, card, np.full(10, 0.5), flavour)
    assert tagged.tolist() == [True, False]
    assert charge.tolist() == [0, 1]
