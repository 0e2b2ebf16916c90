"""The DNN vs DNN+SIGN comparison chooses its score cut on one half of the events and quotes on the other
(as the ewkino analysis, through the shared ``susyscan.training.halves``), and the paired bootstrap of the two
methods' Z ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import FeatureError
from susyscan.training.folds import event_ids
from susyscan.training.halves import cut_choice_halves, half_weights
from susyscan.training.multiclass_compare import asimov_z, best_cut, paired_comparison
from susyscan.training.multiclass_stages import bank_mask
from tests.training.multiclass_defaults import stage_settings

CLASSES = ("signal", "wjets")


def _scores(seed: int, n_sig: int = 400, n_bkg: int = 2000, same_shape: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sig = rng.uniform(size=n_sig) if same_shape else rng.beta(4, 1.5, size=n_sig)
    bkg = rng.uniform(size=n_bkg) if same_shape else rng.beta(1.5, 4, size=n_bkg)
    return pd.DataFrame({
        "sample": ["stau_100_40"] * n_sig + ["bkg"] * n_bkg, "chunk": 0,
        "event": np.r_[np.arange(n_sig), np.arange(n_bkg)], "label": np.r_[np.zeros(n_sig, int), np.ones(n_bkg, int)],
        "process_class": ["signal"] * n_sig + ["wjets"] * n_bkg, "p_signal": np.r_[sig, bkg],
        "weight": np.r_[np.full(n_sig, 1e-4), np.full(n_bkg, 1e-3)], "train": True})


def cut_choice_mask(table: pd.DataFrame, seed: int) -> np.ndarray:
    """The shared cut-choice halves of a score table, as ``multiclass_run.run_compare`` takes them."""
    return cut_choice_halves(table["sample"].to_numpy(), event_ids(table), seed)


def test_cut_choice_halves_are_a_deterministic_half_independent_of_the_bank() -> None:
    table = _scores(1)
    optimise = cut_choice_mask(table, seed=7)
    assert 0.45 < optimise.mean() < 0.55
    np.testing.assert_array_equal(cut_choice_mask(table.iloc[::-1], 7)[::-1], optimise)  # a function of the id
    assert (cut_choice_mask(table, 8) != optimise).mean() > 0.4  # the seed matters
    bank = bank_mask(table, stage_settings(CLASSES, ("p_signal",), ("stau_100_40",), seed=7, bank_fraction=0.5))
    background = table["label"].to_numpy() == 1
    assert abs(optimise[background & bank].mean() - optimise[background & ~bank].mean()) < 0.1


def test_quoted_numbers_come_from_the_other_half_only() -> None:
    table = _scores(2)
    optimise = cut_choice_mask(table, seed=3)
    cut = best_cut(table, ["stau_100_40"], 139.0, optimise, min_background_mc=3)
    weight = half_weights(table["weight"].to_numpy(), table["sample"].to_numpy(), optimise) * 139e3
    passing = (table["p_signal"].to_numpy() >= cut["threshold"]) & ~optimise
    signal = table["label"].to_numpy() == 0
    assert cut["s"] == pytest.approx(weight[passing & signal].sum())
    assert cut["b"] == pytest.approx(weight[passing & ~signal].sum())
    assert cut["z"] == pytest.approx(float(asimov_z(cut["s"], cut["b"])))
    assert cut["n_background_mc"] == int((passing & ~signal).sum())
    # scaling the quoting half's background leaves the chosen cut where it was and scales the quoted B
    heavier = table.copy()
    heavier.loc[~optimise & ~signal, "weight"] *= 3.0
    again = best_cut(heavier, ["stau_100_40"], 139.0, optimise, min_background_mc=3)
    assert again["threshold"] == cut["threshold"] and again["z_optimisation"] == cut["z_optimisation"]
    assert again["b"] == pytest.approx(3.0 * cut["b"])


def test_a_cut_tuned_on_noise_is_not_quoted_at_its_tuned_value() -> None:
    """Signal and background with the same score shape: the choosing half finds an upward fluctuation, the
    quoting half does not share it (mean over replicas)."""
    tuned, quoted = [], []
    for seed in range(12):
        table = _scores(100 + seed, n_sig=300, n_bkg=300, same_shape=True)
        cut = best_cut(table, ["stau_100_40"], 139.0, cut_choice_mask(table, seed), min_background_mc=5)
        tuned.append(cut["z_optimisation"])
        quoted.append(cut["z"])
    assert np.mean(tuned) > np.mean(quoted)


def test_paired_bootstrap_of_identical_methods_is_exactly_one() -> None:
    table = _scores(4)
    optimise = cut_choice_mask(table, seed=3)
    boot = paired_comparison(table, table, optimise, ["stau_100_40"], {"dnn": 0.5, "sign": 0.5}, [139.0, 300.0],
                             n_boot=50, seed=1)
    assert list(boot["lumi_ifb"]) == [139.0, 300.0]
    np.testing.assert_allclose(boot["ratio_boot_mean"], 1.0)
    np.testing.assert_allclose(boot["ratio_boot_std"], 0.0, atol=1e-12)
    assert (boot["p_sign_better"] == 0.0).all()


def test_paired_bootstrap_sees_a_better_method_and_rejects_unmatched_events() -> None:
    table = _scores(5)
    optimise = cut_choice_mask(table, seed=3)
    better = table.copy()
    signal = better["label"] == 0
    better.loc[signal, "p_signal"] = 0.5 + 0.5 * better.loc[signal, "p_signal"]  # signal pushed above the cut
    boot = paired_comparison(table, better, optimise, ["stau_100_40"], {"dnn": 0.6, "sign": 0.6}, [139.0], n_boot=200)
    assert boot["ratio_boot_mean"].iloc[0] > 1.0 and boot["p_sign_better"].iloc[0] > 0.95
    with pytest.raises(FeatureError, match="only one of DNN and DNN\\+SIGN"):
        paired_comparison(table, better.iloc[1:], optimise, ["stau_100_40"], {"dnn": 0.6, "sign": 0.6}, [139.0])
