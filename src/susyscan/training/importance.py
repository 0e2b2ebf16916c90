"""Permutation importance, shared by the multiclass stage (weighted cross-entropy gain per input column) and
ewkino (weighted ROC AUC drop per high-level column and for the whole PF-candidate block).

A column (or a whole block: its rows) is shuffled across events with a seeded generator and the caller's metric
of the model on the shuffled inputs is compared with the nominal one. ``sklearn.inspection.permutation_importance``
takes one 2-D feature matrix and an estimator; ours permutes a whole [N, M, C] block as one entry and scores
several input blocks through the caller's score function, so the loop is kept here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: A permuted entry: (block index, column of that block's last axis), or (block index, None) for the whole block
#: (its rows shuffled across events).
Entry = tuple[int, int | None]


def permuted_metrics(metric: Callable[[tuple[np.ndarray, ...]], float], inputs: Sequence[np.ndarray],
                     entries: Sequence[Entry], seed: int, n_repeats: int = 1) -> tuple[float, np.ndarray]:
    """(metric of the nominal ``inputs``, [len(entries), n_repeats] metric with each entry permuted).

    One generator ``numpy.random.default_rng(seed)`` draws, entry by entry and repeat by repeat, one permutation
    of the events; a column entry permutes that column of a 2-D block (a copy of the block, the others unchanged),
    a block entry the rows of the whole block."""
    blocks = tuple(inputs)
    rng = np.random.default_rng(seed)
    nominal = float(metric(blocks))
    values = np.empty((len(entries), n_repeats))
    for index, (block, column) in enumerate(entries):
        for repeat in range(n_repeats):
            order = rng.permutation(len(blocks[block]))
            if column is None:
                permuted = blocks[block][order]
            else:
                permuted = blocks[block].copy()
                permuted[:, column] = blocks[block][order, column]
            values[index, repeat] = metric((*blocks[:block], permuted, *blocks[block + 1:]))
    return nominal, values
