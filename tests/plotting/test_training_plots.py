"""Training plots are written as non-empty PNG files, atomically."""

from __future__ import annotations

import numpy as np
import pandas as pd

from susyscan.plotting.training import plot_loss, plot_roc, plot_scores

PNG_MAGIC = b"\x89PNG"


def test_training_plots_write_png(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    scores = np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.55, 0.5]})
    plot_loss(history, tmp_path / "loss.png", title="t", best_epoch=3)
    plot_roc(y, scores, tmp_path / "roc.png")
    plot_scores(y, scores, np.full(200, 2.5), tmp_path / "scores.png", score_cut=0.7)
    for name in ("loss.png", "roc.png", "scores.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:4] == PNG_MAGIC and len(data) > 5000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png", "roc.png", "scores.png"]
