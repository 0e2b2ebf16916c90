"""Training plots: content of the loss/ROC/score figures, and the AUC uncertainty against independent results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from susyscan.plotting.style import plt
from susyscan.plotting.training import (
    auc_with_uncertainty,
    effective_count,
    hanley_mcneil_se,
    loss_figure,
    plot_loss,
    plot_roc,
    plot_scores,
    roc_figure,
    scores_figure,
)

PNG_MAGIC = b"\x89PNG"


def legend_texts(ax: plt.Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_training_plots_write_png(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    scores = np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.55, 0.5]})
    plot_loss(history, tmp_path / "loss.png", title="t", best_epoch=3)
    result = plot_roc(y, scores, tmp_path / "roc.png")
    plot_scores(y, scores, np.full(200, 2.5), tmp_path / "scores.png", score_cut=0.7, lumi_ifb=139.0)
    for name in ("loss.png", "roc.png", "scores.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:4] == PNG_MAGIC and len(data) > 5000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png", "roc.png", "scores.png"]
    assert result.auc == pytest.approx(roc_auc_score(y, scores))


def test_bdt_loss_is_per_boosting_round_and_never_below_zero():
    history = pd.DataFrame({"epoch": [1, 2, 3, 4], "train_loss": [0.66, 0.60, 0.52, 0.50],
                            "val_loss": [0.67, 0.62, 0.58, 0.59]})
    fig = loss_figure(history, best_epoch=3, model_type="bdt")
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() == "boosting round"
        assert "selected round 3" in legend_texts(ax)
        assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= 0.67 and ax.get_xlim()[0] >= 0.0
    finally:
        plt.close(fig)
    fig = loss_figure(history, best_epoch=2, model_type="nn")
    try:
        assert fig.axes[0].get_xlabel() == "epoch" and "selected epoch 2" in legend_texts(fig.axes[0])
    finally:
        plt.close(fig)


def test_roc_axes_in_unit_square_and_auc_quoted_with_uncertainty():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], [400, 200])
    scores = rng.normal(y * 1.2, 1.0)
    fig, result = roc_figure(y, scores)
    try:
        ax = fig.axes[0]
        assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim()[0] == 0.0
        label = legend_texts(ax)[0]
        assert f"{result.auc:.3f}" in label and "±" in label and "Hanley-McNeil" in label
        assert "200 sig." in label and "400 bkg." in label
    finally:
        plt.close(fig)


def test_hanley_mcneil_equals_mann_whitney_variance_at_half():
    # Under A = 1/2 (no separation, continuous scores) the exact variance of the Mann-Whitney AUC is
    # (n_s + n_b + 1) / (12 n_s n_b); Hanley-McNeil reproduces it exactly.
    for n_s, n_b in ((10, 10), (50, 200), (1000, 30)):
        assert hanley_mcneil_se(0.5, n_s, n_b) == pytest.approx(math.sqrt((n_s + n_b + 1) / (12 * n_s * n_b)))
    assert math.isnan(hanley_mcneil_se(0.8, 0, 10))


def test_hanley_mcneil_matches_spread_of_replica_aucs():
    # Binormal scores (separation 1.2 sigma, AUC ~ 0.80): the standard deviation of the AUC over independent
    # MC replicas is the uncertainty the formula estimates; agreement within 15 % (replica sampling: ~6 %).
    rng = np.random.default_rng(2)
    n_s, n_b = 150, 300
    y = np.repeat([1, 0], [n_s, n_b])
    aucs = [roc_auc_score(y, np.concatenate([rng.normal(1.2, 1, n_s), rng.normal(0, 1, n_b)])) for _ in range(300)]
    predicted = hanley_mcneil_se(float(np.mean(aucs)), n_s, n_b)
    assert np.std(aucs, ddof=1) == pytest.approx(predicted, rel=0.15)


def test_weighted_auc_uses_effective_counts():
    assert effective_count(np.ones(40)) == pytest.approx(40.0)
    assert effective_count(np.array([1.0, 1.0, 2.0])) == pytest.approx(16.0 / 6.0)
    assert effective_count(np.array([])) == 0.0
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], [300, 100])
    scores = rng.normal(y, 1.0)
    w = np.where(y == 1, 0.5, rng.choice([1.0, 3.0], size=len(y)))
    result = auc_with_uncertainty(y, scores, w)
    assert result.auc == pytest.approx(roc_auc_score(y, scores, sample_weight=w))
    assert result.n_signal == pytest.approx(100.0)
    assert result.n_background == pytest.approx(effective_count(w[y == 0])) and result.n_background < 300
    assert result.error == pytest.approx(hanley_mcneil_se(result.auc, result.n_signal, result.n_background))


def test_score_plot_has_luminosity_and_cut_line():
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 200)
    scores = np.clip(rng.normal(0.3 + 0.4 * y, 0.15), 0, 1)
    fig = scores_figure(y, scores, np.full(400, 0.5), score_cut=0.7, lumi_ifb=139.0)
    try:
        ax = fig.axes[0]
        cut = [line for line in ax.get_lines() if list(line.get_xdata()) == [0.7, 0.7]]
        assert len(cut) == 1
        assert "signal region: score > 0.7" in legend_texts(ax)
        assert any("139 fb" in t.get_text() for t in ax.texts) and "139 fb" in ax.get_ylabel()
        assert ax.get_xlim() == (0.0, 1.0)
    finally:
        plt.close(fig)
