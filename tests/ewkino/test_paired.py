"""Paired bootstrap of the 1 GeV / 10 GeV significance ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.ewkino.paired import join_scores, paired_ratio_bootstrap, score_table
from susyscan.errors import FeatureError


def _table(scores: np.ndarray, n_sig: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(scores)
    is_signal = np.arange(n) < n_sig
    return score_table(np.where(is_signal, "sig", "bkg"), np.zeros(n, np.uint64), np.arange(n), is_signal,
                       np.where(is_signal, 1500.0, -1.0), np.where(is_signal, 100.0, -1.0), np.ones(n, bool),
                       rng.random(n) < 0.5, np.where(is_signal, 1e-4, 1e-3), scores)


def _scores(seed: int = 0, n: int = 2000, n_sig: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.r_[rng.beta(5, 2, n_sig), rng.beta(2, 5, n - n_sig)]


CUTS = pd.DataFrame({"m_parent": [1500.0], "m_lsp": [100.0], "lumi_ifb": [300.0], "cut_low": [0.6], "cut_high": [0.6]})


def test_identical_networks_give_ratio_one_without_spread():
    table = _table(_scores())
    boot = paired_ratio_bootstrap(join_scores(table, table), CUTS, n_boot=50, seed=2).iloc[0]
    assert boot["ratio_boot_mean"] == pytest.approx(1.0) and boot["ratio_boot_std"] == pytest.approx(0.0, abs=1e-12)
    assert boot["p_low_better"] == 0.0


def test_low_network_keeping_more_signal_is_better_in_every_replica():
    scores = _scores()
    better = scores.copy()
    lost = np.flatnonzero(scores[:200] <= 0.6)[:30]  # signal events the high-threshold network loses
    better[lost] = 0.9
    quote = join_scores(_table(better), _table(scores))
    boot = paired_ratio_bootstrap(quote, CUTS, n_boot=200, seed=3).iloc[0]
    assert boot["ratio_boot_mean"] > 1.0 and boot["p_low_better"] > 0.95
    # the bootstrap mean is close to the ratio on the quoting events themselves
    sig = quote["is_signal"].to_numpy().astype(bool)
    w = quote["weight_pb"].to_numpy() * 3e5

    def z(column):
        passing = quote[column].to_numpy() > 0.6
        s, b = w[sig & passing].sum(), w[~sig & passing].sum()
        return s / np.sqrt(s + b)

    assert boot["ratio_boot_mean"] == pytest.approx(z("score_low") / z("score_high"), rel=0.02)
    assert 0.0 < boot["ratio_boot_std"] < 0.1


def test_tables_of_different_events_are_refused():
    table = _table(_scores())
    with pytest.raises(FeatureError, match="only one of the two networks"):
        join_scores(table, table.iloc[1:])
    other = table.assign(optimise=1 - table["optimise"])
    with pytest.raises(FeatureError, match="halves"):
        join_scores(table, other)
