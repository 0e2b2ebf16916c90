"""Permutation importance ranks a planted informative feature first."""

from __future__ import annotations

import numpy as np

from susyscan.analyses.ewkino.importance import PF_BLOCK, permutation_importance, write_importance


def test_planted_feature_ranks_first(tmp_path):
    rng = np.random.default_rng(0)
    n = 2000
    labels = rng.integers(0, 2, n)
    highlevel = rng.normal(size=(n, 4)).astype(np.float32)
    highlevel[:, 2] += 2.0 * labels          # planted: feature "c" separates the classes
    highlevel[:, 0] += 0.3 * labels          # weakly informative
    pfcands = rng.normal(size=(n, 3, 2)).astype(np.float32)
    pfcands[:, :, 0] += 0.8 * labels[:, None]  # the PF block carries some information too

    def score_fn(hl: np.ndarray, pf: np.ndarray) -> np.ndarray:
        return hl[:, 2] + 0.3 * hl[:, 0] + 0.5 * pf[:, :, 0].mean(axis=1)

    table = permutation_importance(score_fn, highlevel, pfcands, labels, np.ones(n), ["a", "b", "c", "d"], seed=1)
    assert table["feature"].iloc[0] == "c"
    drops = table.set_index("feature")["auc_drop"]
    assert drops["c"] > 0.1 and drops[PF_BLOCK] > drops["b"] and abs(drops["d"]) < 0.01
    write_importance(table, tmp_path / "imp.csv", tmp_path / "imp.png", "test")
    assert (tmp_path / "imp.png").stat().st_size > 1000
    assert list(np.loadtxt(tmp_path / "imp.csv", dtype=str, delimiter=",", max_rows=1)) == \
        ["feature", "auc_drop", "auc_drop_std", "auc_nominal"]
