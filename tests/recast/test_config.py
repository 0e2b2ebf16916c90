"""The recast YAML: its 16 regions are the published ones; channels and windows define independence."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from susyscan.errors import ConfigError
from susyscan.recast.config import recast_config_from_dict
from tests.recast.conftest import PUBLISHED, RECAST_YAML


def test_regions_are_the_published_sixteen(recast_cfg) -> None:
    published = set(pd.read_csv(PUBLISHED)["region"])
    assert len(published) == 16
    assert {r.name for r in recast_cfg.regions} == published


def test_independence_of_regions(recast_cfg) -> None:
    r = recast_cfg.region
    assert r("SR-SF-0J-EXC100").disjoint_from(r("SR-SF-0J-EXC120"))
    assert r("SR-SF-0J-EXC120").disjoint_from(r("SR-SF-0J-INC160"))
    assert not r("SR-SF-0J-INC100").disjoint_from(r("SR-SF-0J-INC160"))
    assert r("SR-SF-0J-INC100").disjoint_from(r("SR-DF-0J-INC100"))  # other channel
    assert r("SR-SF-0J-INC100").disjoint_from(r("SR-SF-1J-INC100"))


def _raw() -> dict:
    return yaml.safe_load(RECAST_YAML.read_text())


def test_unknown_variable_is_an_error_naming_the_cut() -> None:
    raw = copy.deepcopy(_raw())
    raw["cuts"][0]["expr"] = "n_leptonz == 2"
    with pytest.raises(ConfigError, match="two_leptons.*n_leptonz"):
        recast_config_from_dict(raw, "x.yaml")


def test_bad_window_and_factor_are_errors() -> None:
    raw = copy.deepcopy(_raw())
    raw["mt2_windows"]["EXC100"] = [120.0, 100.0]
    with pytest.raises(ConfigError, match="EXC100"):
        recast_config_from_dict(raw, "x.yaml")
    raw = copy.deepcopy(_raw())
    raw["lepton_efficiency_factor"] = 1.2
    with pytest.raises(ConfigError, match="lepton_efficiency_factor"):
        recast_config_from_dict(raw, "x.yaml")
