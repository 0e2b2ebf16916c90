"""The shared permutation loop (``susyscan.training.importance.permuted_metrics``) of the multiclass and ewkino
permutation importances."""

from __future__ import annotations

import numpy as np

from susyscan.training.importance import permuted_metrics


def test_each_entry_permutes_only_its_column_or_block_in_the_seeded_order() -> None:
    highlevel = np.arange(12, dtype=float).reshape(6, 2)
    block = np.arange(6, dtype=float)[:, None, None] * np.ones((6, 3, 2))
    seen: list[tuple[np.ndarray, ...]] = []

    def metric(blocks: tuple[np.ndarray, ...]) -> float:
        seen.append(tuple(b.copy() for b in blocks))
        return float(blocks[0][0, 1] + 100 * blocks[1][0, 0, 0])

    nominal, values = permuted_metrics(metric, (highlevel, block), [(0, 1), (1, None)], seed=4, n_repeats=2)
    assert nominal == 1.0 and values.shape == (2, 2)
    rng = np.random.default_rng(4)
    orders = [rng.permutation(6) for _ in range(4)]  # entry by entry, repeat by repeat
    for (entry, repeat), order, inputs in zip([(0, 0), (0, 1), (1, 0), (1, 1)], orders, seen[1:], strict=True):
        if entry == 0:  # column 1 of the high-level block only
            assert np.array_equal(inputs[0][:, 0], highlevel[:, 0]) and np.array_equal(inputs[1], block)
            assert np.array_equal(inputs[0][:, 1], highlevel[order, 1])
        else:  # the rows of the whole block
            assert np.array_equal(inputs[0], highlevel) and np.array_equal(inputs[1], block[order])
        assert values[entry, repeat] == metric(inputs)
    assert np.array_equal(highlevel, np.arange(12, dtype=float).reshape(6, 2))  # the inputs are not modified
