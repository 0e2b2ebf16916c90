"""SIGN graph features: aggregation on hand-built graphs (weights, negative weights, hops, block-wise = dense)
and the reference-bank lookup (deterministic, new events see only the bank, a bank event finds itself)."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.errors import ConfigError, FeatureError
from susyscan.training.sign import ReferenceBank, SignConfig, aggregate, drop_self, embed, hop_names

# The seed's worked example: 5 events (tauPt, MET, Nbjets) with MC weights 0.5, 3, -2, 10, 1.
X5 = np.array([[20, 80, 0], [40, 90, 0], [100, 50, 2], [30, 140, 1], [80, 100, 0]], dtype=float)
W5 = np.array([0.5, 3.0, -2.0, 10.0, 1.0])


def test_aggregate_weighted_mean_by_absolute_weights() -> None:
    neighbours = np.array([[0, 3], [1, 2]])
    out = aggregate(neighbours, W5, X5)
    np.testing.assert_allclose(out[0], (0.5 * X5[0] + 10 * X5[3]) / 10.5)
    # a negative weight pulls the other way; the denominator is 3 + |-2| = 5, never 3 - 2 = 1
    np.testing.assert_allclose(out[1], (3 * X5[1] - 2 * X5[2]) / 5.0)


def test_aggregate_opposite_weights_do_not_vanish_the_denominator() -> None:
    weights = np.array([1.0, -1.0, 0.0, 0.0])
    values = np.array([[2.0], [6.0], [1.0], [1.0]])
    out = aggregate(np.array([[0, 1], [2, 3]]), weights, values)
    np.testing.assert_allclose(out[0], [(2.0 - 6.0) / 2.0])  # finite: sum w = 0 but sum |w| = 2
    np.testing.assert_allclose(out[1], [0.0])  # all neighbour weights zero: 0, not NaN
    assert np.isfinite(out).all()


def test_drop_self_removes_the_event_or_the_farthest() -> None:
    idx = np.array([[0, 4, 2], [3, 1, 4], [2, 4, 3]])
    np.testing.assert_array_equal(drop_self(idx, np.array([0, 1, 2])), [[4, 2], [3, 4], [4, 3]])
    np.testing.assert_array_equal(drop_self(np.array([[5, 6, 7]]), np.array([0])), [[5, 6]])


def _dense_operator(neighbours: np.ndarray, weights: np.ndarray, n_columns: int) -> np.ndarray:
    """The dense A of the module docstring (only for these small checks)."""
    a = np.zeros((len(neighbours), n_columns))
    for row, cols in enumerate(neighbours):
        for col in cols:
            a[row, col] += weights[col]
        total = np.abs(weights[cols]).sum()
        a[row] /= total if total > 0 else 1.0
    return a


@pytest.fixture()
def bank_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(300, 5)) * [1, 10, 100, 0.1, 3] + [0, 50, 0, 1, -2]
    weights = rng.normal(1.0, 0.8, size=300)  # about 10 % negative
    assert (weights < 0).any()
    return features, weights


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_blockwise_equals_dense_with_hops(bank_data: tuple[np.ndarray, np.ndarray], hops: int) -> None:
    features, weights = bank_data
    config = SignConfig(k=6, hops=hops, block_rows=17)  # blocks that do not divide the sizes
    bank = ReferenceBank.build(features[:200], weights[:200], list("abcde"), None, config)
    queries = features[200:]
    got = bank.graph_features(queries)
    # dense reference: bank-to-bank A without self loops, query-to-bank A; A^h X = A_qb A_bb^(h-1) X
    vectors = embed(features[:200], bank.standardisation, bank.importance)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    a_bb = _dense_operator(np.argsort(-sims, axis=1, kind="stable")[:, :6], weights[:200], 200)
    q = embed(queries, bank.standardisation, bank.importance)
    a_qb = _dense_operator(np.argsort(-(q @ vectors.T), axis=1, kind="stable")[:, :6], weights[:200], 200)
    expected, propagated = [], features[:200]
    for _ in range(hops):
        expected.append(a_qb @ propagated)
        propagated = a_bb @ propagated
    np.testing.assert_allclose(got, np.concatenate(expected, axis=1), rtol=1e-9, atol=1e-9)
    assert got.shape == (100, 5 * hops)
    assert len(hop_names(list("abcde"), hops)) == 5 * (hops + 1)


def test_bank_event_finds_itself(bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    for kind in ("flat", "hnsw"):
        bank = ReferenceBank.build(features, weights, list("abcde"), None, SignConfig(k=4, hops=1, index=kind))
        neighbours = bank.neighbours(features)
        assert (neighbours[:, 0] == np.arange(len(features))).mean() == 1.0, kind


def test_new_events_see_only_the_bank_and_scoring_is_deterministic(bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    config = SignConfig(k=5, hops=2, block_rows=32)
    bank = ReferenceBank.build(features[:150], weights[:150], list("abcde"), np.array([1, 2, 0.5, 0, 1.0]), config)
    queries = features[150:]
    full = bank.graph_features(queries)
    # an event's features do not depend on which other new events are scored with it, nor on their order
    np.testing.assert_array_equal(bank.graph_features(queries[::-1])[::-1], full)
    np.testing.assert_array_equal(bank.graph_features(queries[10:11]), full[10:11])
    neighbours = bank.neighbours(queries)
    assert neighbours.min() >= 0 and neighbours.max() < 150
    # a duplicate of a query in the batch is not its neighbour: the result equals the one of the query alone
    np.testing.assert_array_equal(bank.graph_features(np.vstack([queries[:1], queries[:1]]))[1], full[0])
    rebuilt = ReferenceBank.build(features[:150], weights[:150], list("abcde"), np.array([1, 2, 0.5, 0, 1.0]), config)
    np.testing.assert_array_equal(rebuilt.graph_features(queries), full)


def test_importance_weights_change_the_neighbours(bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    config = SignConfig(k=5, hops=1)
    plain = ReferenceBank.build(features, weights, list("abcde"), None, config)
    only_a = ReferenceBank.build(features, weights, list("abcde"), np.array([1.0, 0, 0, 0, 0]), config)
    # with all weight on one feature the embedding is +-1: neighbours share the sign of the standardised 'a'
    sign = np.sign(plain.standardisation.apply(features)[:, 0])
    nb = only_a.neighbours(features[:20])
    assert (sign[nb] == sign[:20, None]).all()
    assert not np.array_equal(plain.neighbours(features[:20]), nb)


def test_save_load_round_trip(tmp_path, bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    for kind in ("flat", "hnsw"):
        bank = ReferenceBank.build(features[:200], weights[:200], list("abcde"), None, SignConfig(k=4, hops=2, index=kind))
        bank.save(tmp_path / kind)
        loaded = ReferenceBank.load(tmp_path / kind)
        np.testing.assert_array_equal(loaded.graph_features(features[200:]), bank.graph_features(features[200:]))


def test_hnsw_agrees_with_exact_search(bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    exact = ReferenceBank.build(features[:250], weights[:250], list("abcde"), None, SignConfig(k=5, hops=1))
    approx = ReferenceBank.build(features[:250], weights[:250], list("abcde"), None, SignConfig(k=5, hops=1, index="hnsw"))
    a, b = exact.neighbours(features[250:]), approx.neighbours(features[250:])
    recall = np.mean([len(set(x) & set(y)) / 5 for x, y in zip(a, b)])
    assert recall > 0.95


def test_errors_name_the_problem(bank_data: tuple[np.ndarray, np.ndarray]) -> None:
    features, weights = bank_data
    with pytest.raises(FeatureError, match="need more than k"):
        ReferenceBank.build(features[:4], weights[:4], list("abcde"), None, SignConfig(k=4))
    with pytest.raises(FeatureError, match="non-finite"):
        bad = features.copy()
        bad[3, 1] = np.nan
        ReferenceBank.build(bad, weights, list("abcde"), None, SignConfig())
    with pytest.raises(FeatureError, match="non-negative"):
        ReferenceBank.build(features, weights, list("abcde"), -np.ones(5), SignConfig())
    with pytest.raises(ConfigError, match="hops"):
        SignConfig(hops=4)
    bank = ReferenceBank.build(features, weights, list("abcde"), None, SignConfig(k=3, hops=1))
    with pytest.raises(FeatureError, match="expected"):
        bank.graph_features(features[:, :3])
