"""S/sqrt(S+B) formula, score-cut optimisation, threshold comparison and scan yield tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.ewkino.significance import (background_yield_table, best_score_cut, s_over_sqrt_sb, signal_yield_table,
                                          significance_table, threshold_comparison)


def test_formula_on_known_numbers():
    assert s_over_sqrt_sb(10.0, 90.0) == pytest.approx(1.0)
    assert s_over_sqrt_sb(30.0, 6.0) == pytest.approx(5.0)
    assert s_over_sqrt_sb(0.0, 0.0) == 0.0
    assert np.allclose(s_over_sqrt_sb(np.array([10.0, 30.0]), np.array([90.0, 6.0])), [1.0, 5.0])


def test_best_cut_and_table():
    # signal at score 0.9 (1 fb each x 10), background: 90 fb at 0.2, 6 fb at 0.95
    sig_s, sig_w = np.full(10, 0.9), np.full(10, 1e-3)
    bkg_s, bkg_w = np.r_[np.full(90, 0.2), np.full(6, 0.95)], np.full(96, 1e-3)
    cut, s, b, z = best_score_cut(sig_s, sig_w, bkg_s, bkg_w, lumi_ifb=1.0)
    assert 0.2 <= cut < 0.9 and s == pytest.approx(10.0) and b == pytest.approx(6.0) and z == pytest.approx(2.5)
    scores = np.r_[sig_s, bkg_s]
    weights = np.r_[sig_w, bkg_w]
    baseline = np.ones(106, dtype=bool)  # the baseline keeps everything: Z = 10 / sqrt(106)
    is_signal = np.r_[np.ones(10), np.zeros(96)]
    table = significance_table(scores, weights, baseline, is_signal, np.r_[np.full(10, 1500.0), -np.ones(96)],
                               np.r_[np.full(10, 100.0), -np.ones(96)], [1.0, 4.0])
    assert list(table["lumi_ifb"]) == [1.0, 4.0]
    assert table["z_baseline"].iloc[0] == pytest.approx(10 / np.sqrt(106))
    assert table["z_nn"].iloc[1] == pytest.approx(2 * 2.5)  # Z scales with sqrt(lumi)
    assert table["gain"].iloc[0] == pytest.approx(2.5 / (10 / np.sqrt(106)))
    fixed = significance_table(scores, weights, baseline, is_signal, np.r_[np.full(10, 1500.0), -np.ones(96)],
                               np.r_[np.full(10, 100.0), -np.ones(96)], [1.0], score_cut=0.1)
    assert fixed["z_nn"].iloc[0] == pytest.approx(10 / np.sqrt(106))
    low = table.assign(z_nn=table["z_nn"] * 1.5)
    joined = threshold_comparison(low, table)
    assert np.allclose(joined["ratio_1_over_10"], 1.5)


def test_yield_tables_follow_scan_contract():
    scores = np.array([0.1, 0.8, 0.9])
    weights = np.array([1.0, 2.0, 3.0])
    table = signal_yield_table(scores, weights, np.array([1, 1, 0]), 0.5, 1500, 100)
    assert list(table.columns) == ["region", "yield_pb", "stat_pb", "n_raw", "m_parent", "m_lsp"]
    nn = table.set_index("region").loc["nn"]
    assert nn["yield_pb"] == pytest.approx(5.0) and nn["stat_pb"] == pytest.approx(np.sqrt(13.0)) and nn["n_raw"] == 2
    bkg = background_yield_table(scores, weights, np.array([1, 1, 0]), np.array(["z", "w", "z"]), 0.5)
    total = bkg[bkg["process"] == "total"].set_index("region")
    assert total.loc["baseline", "yield_pb"] == pytest.approx(3.0) and total.loc["nn", "n_raw"] == 2
    assert set(bkg["process"]) == {"z", "w", "total"}
    # per-process smallest/largest event weights, over all processes for 'total' (as the smuon scan writes them)
    weights_by_process = bkg.groupby("process")[["min_event_weight_pb", "max_event_weight_pb"]].first()
    assert weights_by_process.loc["z"].tolist() == [1.0, 3.0] and weights_by_process.loc["w"].tolist() == [2.0, 2.0]
    assert weights_by_process.loc["total"].tolist() == [1.0, 3.0]
    assert isinstance(bkg, pd.DataFrame)
