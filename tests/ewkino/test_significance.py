"""S/sqrt(S+B) formula, score-cut optimisation and threshold comparison."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.errors import EmptySelectionError

from susyscan.analyses.ewkino.significance import (best_score_cut, half_weights, point_significance, s_over_sqrt_sb,
                                                  significance_table, threshold_comparison)
from susyscan.training.halves import cut_choice_halves
from susyscan.training.splitting import split_by_id


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
    # every event twice: the copy (weights as the original) is the optimisation half, the original the quoting half
    optimise = np.r_[np.zeros(106, dtype=bool), np.ones(106, dtype=bool)]
    twice = dict(scores=np.r_[scores, scores], weight_pb=np.r_[weights, weights], baseline=np.r_[baseline, baseline],
                 is_signal=np.r_[is_signal, is_signal], m_parent=np.tile(np.r_[np.full(10, 1500.0), -np.ones(96)], 2),
                 m_lsp=np.tile(np.r_[np.full(10, 100.0), -np.ones(96)], 2))
    table = significance_table(**twice, lumis_ifb=[1.0, 4.0], optimise=optimise)
    assert list(table["lumi_ifb"]) == [1.0, 4.0]
    assert table["z_baseline"].iloc[0] == pytest.approx(10 / np.sqrt(106))
    assert table["z_nn"].iloc[1] == pytest.approx(2 * 2.5)  # Z scales with sqrt(lumi)
    assert table["z_nn_optimisation"].iloc[0] == pytest.approx(2.5)
    assert table["gain"].iloc[0] == pytest.approx(2.5 / (10 / np.sqrt(106)))
    assert table["n_sig_mc"].iloc[0] == 10 and table["n_bkg_mc"].iloc[0] == 6
    # S = 10 +- sqrt(10) fb, B = 6 +- sqrt(6) fb: linear propagation of the MC errors
    dz = np.hypot((10 + 12) / (2 * 16**1.5) * np.sqrt(10), 10 / (2 * 16**1.5) * np.sqrt(6))
    assert table["z_nn_stat"].iloc[0] == pytest.approx(dz)
    with pytest.raises(ValueError, match="optimisation masks"):
        significance_table(scores, weights, baseline, is_signal, np.r_[np.full(10, 1500.0), -np.ones(96)],
                           np.r_[np.full(10, 100.0), -np.ones(96)], [1.0])
    fixed = significance_table(scores, weights, baseline, is_signal, np.r_[np.full(10, 1500.0), -np.ones(96)],
                               np.r_[np.full(10, 100.0), -np.ones(96)], [1.0], score_cut=0.1)
    assert fixed["z_nn"].iloc[0] == pytest.approx(10 / np.sqrt(106))
    low = table.assign(z_nn=table["z_nn"] * 1.5)
    joined = threshold_comparison(low, table)
    assert np.allclose(joined["ratio_1_over_10"], 1.5)


def _toy(seed: int, n: int = 4000):
    rng = np.random.default_rng(seed)
    sig = rng.beta(5, 2, n // 4), np.full(n // 4, 2e-4), rng.random(n // 4) < 0.5
    bkg = rng.beta(2, 5, n), np.full(n, 1e-3), rng.random(n) < 0.3
    return sig, bkg, rng.random(n // 4) < 0.5, rng.random(n) < 0.5


def _rows(sig, bkg, sig_opt, bkg_opt):
    return point_significance(sig[0], sig[1], sig[2], bkg[0], bkg[1], bkg[2], [300.0], None, 0.0, sig_opt, bkg_opt)[0]


def test_quoted_significance_ignores_the_optimisation_events():
    sig, bkg, sig_opt, bkg_opt = _toy(3)
    row = _rows(sig, bkg, sig_opt, bkg_opt)
    cut = row["score_cut"]
    # quoted numbers: by hand from the quoting events only
    s = sig[1][(sig[0] > cut) & ~sig_opt].sum() * 3e5
    b = bkg[1][(bkg[0] > cut) & ~bkg_opt].sum() * 3e5
    assert row["s_nn"] == pytest.approx(s) and row["b_nn"] == pytest.approx(b)
    assert row["z_nn"] == pytest.approx(s / np.sqrt(s + b))
    assert row["s_baseline"] == pytest.approx(sig[1][sig[2] & ~sig_opt].sum() * 3e5)
    # scaling the optimisation events' weights by 9 keeps the arg max (Z scales by 3) and changes no quoted number
    scaled = _rows((sig[0], np.where(sig_opt, 9 * sig[1], sig[1]), sig[2]),
                   (bkg[0], np.where(bkg_opt, 9 * bkg[1], bkg[1]), bkg[2]), sig_opt, bkg_opt)
    assert scaled["score_cut"] == cut and scaled["z_nn_optimisation"] == pytest.approx(3 * row["z_nn_optimisation"])
    for key in ("s_nn", "b_nn", "z_nn", "z_baseline", "z_nn_stat"):
        assert scaled[key] == pytest.approx(row[key]), key
    # scaling the quoting events instead changes the quoted Z by 3 and not the cut
    quoted = _rows((sig[0], np.where(~sig_opt, 9 * sig[1], sig[1]), sig[2]),
                   (bkg[0], np.where(~bkg_opt, 9 * bkg[1], bkg[1]), bkg[2]), sig_opt, bkg_opt)
    assert quoted["score_cut"] == cut and quoted["z_nn"] == pytest.approx(3 * row["z_nn"])
    assert quoted["z_nn_optimisation"] == pytest.approx(row["z_nn_optimisation"])
    # the cut is the optimum of the optimisation events, not of the quoting ones
    assert cut == best_score_cut(sig[0][sig_opt], sig[1][sig_opt], bkg[0][bkg_opt], bkg[1][bkg_opt], 300.0)[0]


def test_cut_choice_split_is_a_half_independent_of_the_training_split():
    rng = np.random.default_rng(0)
    sample = rng.choice(["znunu_jets", "ewkino_1500_100"], 20000)
    ids = (rng.integers(0, 40, 20000) << 32) | rng.permutation(10**6)[:20000]  # (chunk, event), unique
    optimise = cut_choice_halves(sample, ids, seed=1)
    assert optimise.mean() == pytest.approx(0.5, abs=0.015)
    assert (cut_choice_halves(sample[::-1], ids[::-1], seed=1) == optimise[::-1]).all()  # a function of the id
    test = split_by_id(sample, ids, (0.6, 0.2, 0.2), 1) == 2
    assert test.mean() == pytest.approx(0.2, abs=0.015)
    assert optimise[test].mean() == pytest.approx(0.5, abs=0.03)  # not the training split again
    weights = half_weights(np.ones(6), np.array(["a", "a", "a", "a", "b", "b"]),
                           np.array([True, False, False, False, True, False]))
    assert weights.tolist() == [4.0, 4 / 3, 4 / 3, 4 / 3, 2.0, 2.0]  # each half normalised to its sample


def test_min_background_counts_mc_events_not_expected_events():
    # one heavy background MC event (1000 expected events at 1 fb^-1) at score 0.97, light ones below 0.5
    sig_s, sig_w = np.full(20, 0.98), np.full(20, 1e-3)
    bkg_s, bkg_w = np.r_[0.97, np.full(50, 0.4)], np.r_[1.0, np.full(50, 1e-4)]
    cut, _, b, _ = best_score_cut(sig_s, sig_w, bkg_s, bkg_w, 1.0, min_background=1)
    assert 0.4 <= cut < 0.97 and b == pytest.approx(1000.0)  # the one heavy MC event is enough for min_background 1
    cut, s, b, _ = best_score_cut(sig_s, sig_w, bkg_s, bkg_w, 1.0, min_background=2)
    assert cut < 0.4 and b == pytest.approx(1000.0 + 5.0) and s == pytest.approx(20.0)  # needs the light events too
    with pytest.raises(EmptySelectionError, match="at least 60 background MC events"):
        best_score_cut(sig_s, sig_w, bkg_s, bkg_w, 1.0, min_background=60)
