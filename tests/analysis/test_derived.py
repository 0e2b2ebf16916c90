"""Derived features: values, sentinel and division-by-zero safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.smuon.derived import DERIVED, add_derived
from susyscan.analysis.features import FEATURES, SENTINEL
from susyscan.errors import FeatureError


def _frame(**values: float) -> pd.DataFrame:
    row = {name: SENTINEL for name in FEATURES}
    row.update(n_electrons=0, n_muons=2, n_jets=0, met=100.0, ht=0.0)
    row.update(values)
    return pd.DataFrame([row])


def test_names() -> None:
    assert len(DERIVED) == 10 and len(set(DERIVED) | set(FEATURES)) == 37


def test_known_values() -> None:
    df = _frame(mu1_pt=100.0, mu1_eta=0.0, mu1_phi=3.0, mu2_pt=50.0, mu2_eta=1.0, mu2_phi=-3.0,
                ele1_pt=30.0, jet1_pt=90.0, ht=120.0, n_jets=2, met=60.0)
    out = add_derived(df).iloc[0]
    dphi = 2 * np.pi - 6.0
    assert np.isclose(out["sum_lep_pt"], 180.0)
    assert np.isclose(out["dphi_mumu"], dphi)
    assert np.isclose(out["dr_mumu"], np.hypot(1.0, dphi))
    assert np.isclose(out["met_over_sum_lep_pt"], 60.0 / 180.0)
    assert np.isclose(out["jet1_pt_over_mu1_pt"], 0.9)
    assert np.isclose(out["jet1_pt_over_sum_lep_pt"], 0.5)
    assert np.isclose(out["jet1_pt_over_sum_lep_pt_met"], 90.0 / 240.0)
    assert np.isclose(out["ht_over_mu1_pt"], 1.2)
    assert np.isclose(out["ht_over_sum_lep_pt"], 120.0 / 180.0)
    assert np.isclose(out["ht_over_sum_lep_pt_met"], 0.5)
    assert list(add_derived(df).columns) == list(df.columns) + DERIVED


def test_no_jets_gives_zero_hadronic_ratios() -> None:
    out = add_derived(_frame(mu1_pt=100.0, mu1_eta=0.0, mu1_phi=0.0, mu2_pt=50.0, mu2_eta=0.0, mu2_phi=1.0))
    for name in DERIVED[4:]:
        assert out[name].iloc[0] == 0.0, name


def test_missing_muons_and_zero_denominators_give_sentinel_not_nan() -> None:
    out = add_derived(_frame(met=0.0))  # every lepton missing
    assert out["sum_lep_pt"].iloc[0] == 0.0
    for name in DERIVED[1:]:
        assert out[name].iloc[0] == SENTINEL, name
    zero = add_derived(_frame(mu1_pt=0.0, mu1_eta=0.0, mu1_phi=0.0, jet1_pt=40.0, ht=40.0))
    assert zero["jet1_pt_over_mu1_pt"].iloc[0] == SENTINEL
    assert np.all(np.isfinite(zero[DERIVED].to_numpy()))


def test_missing_or_nan_input_is_an_error() -> None:
    with pytest.raises(FeatureError, match="ht"):
        add_derived(_frame().drop(columns=["ht"]))
    with pytest.raises(FeatureError, match="'met'"):
        add_derived(_frame(met=float("nan")))
