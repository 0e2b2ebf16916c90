"""Detector card loading: values from the Delphes ATLAS card, overrides, validation errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from susyscan.detector import DEFAULT_CARD, load_card
from susyscan.errors import ConfigError


def test_default_card_values() -> None:
    card = load_card()
    assert card.jet_radius == 0.4 and card.jets.pt_min == 20.0 and card.iso_cone == 0.5
    assert card.isolation.iso_pt_min == 0.5
    pt100 = np.array([100.0])
    eta0 = np.array([0.0])
    assert card.btagging.efficiency["b"](pt100, eta0)[0] == pytest.approx(0.728, abs=0.01)
    assert card.btagging.efficiency["c"](pt100, eta0)[0] == pytest.approx(0.144, abs=0.01)
    assert card.btagging.efficiency["light"](pt100, eta0)[0] == pytest.approx(0.0027, abs=0.0005)
    assert card.identification_efficiency["muon"](np.array([20.0]), np.array([2.6]))[0] == pytest.approx(0.85)
    assert card.tautagging.efficiency_1prong == 0.70


def test_overrides_nested_and_dotted() -> None:
    card = load_card(overrides={"jets.radius": 0.6, "isolation": {"iso_cone": 0.3}})
    assert card.jet_radius == 0.6 and card.iso_cone == 0.3


def test_unknown_override_names_key() -> None:
    with pytest.raises(ConfigError, match="jets.radiuz"):
        load_card(overrides={"jets.radiuz": 0.6})


def test_efficiency_above_one_rejected(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CARD.read_text())
    raw["identification_efficiency"]["muon"] = "1.5 * (pt > 0)"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"bad.yaml.*identification_efficiency.muon"):
        load_card(bad)


def test_missing_field_and_missing_file(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CARD.read_text())
    del raw["jets"]["pt_min"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="jets.pt_min"):
        load_card(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_card(tmp_path / "none.yaml")


def test_bad_formula_syntax_names_field(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CARD.read_text())
    raw["momentum_resolution"]["muon"] = "import os"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="momentum_resolution.muon"):
        load_card(bad)
