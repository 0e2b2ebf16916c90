"""The per-fold score plot is written by the ONNX export and shows the scan's score cut and the luminosity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.lines import Line2D

import susyscan.plotting.training as training_plots
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import export_model, run_bdt


def test_export_draws_the_fold_score_plot_with_the_cut(low_dataset, tmp_path, monkeypatch) -> None:
    outputs = ModelOutputs.in_directory(tmp_path, "model.json")
    run_bdt(low_dataset, outputs, {"n_estimators": 10, "max_depth": 3}, seed=1)
    assert not (tmp_path / "scores.png").exists()  # training alone does not know the cut
    export_model(outputs.model, "bdt", low_dataset, tmp_path / "model.onnx", None, score_threshold=0.65,
                 scores_plot=tmp_path / "scores.png")
    assert (tmp_path / "scores.png").stat().st_size > 1000

    figures: list[plt.Figure] = []
    monkeypatch.setattr(training_plots, "_save", lambda fig, path: figures.append(fig))
    export_model(outputs.model, "bdt", low_dataset, tmp_path / "model2.onnx", None, score_threshold=0.65,
                 scores_plot=tmp_path / "unused.png")
    (ax,) = figures[0].axes
    cuts = [line for line in ax.get_lines() if isinstance(line, Line2D) and np.allclose(line.get_xdata(), 0.65)]
    assert len(cuts) == 1 and "score > 0.65" in cuts[0].get_label()
    lumi = low_dataset.info["lumi_fb"]
    assert f"{lumi:g} fb" in ax.get_ylabel()
    assert [t.get_text() for t in ax.texts if t.get_gid() == "lumi_label"] == [f"{lumi:g} fb$^{{-1}}$"]
    assert "BDT" in ax.get_title() and "mass region" in ax.get_title()
    plt.close(figures[0])


def test_export_without_plot_writes_none(low_dataset, tmp_path) -> None:
    outputs = ModelOutputs.in_directory(tmp_path, "model.json")
    run_bdt(low_dataset, outputs, {"n_estimators": 5}, seed=1)
    assert export_model(outputs.model, "bdt", low_dataset, tmp_path / "model.onnx", None) == pytest.approx(0, abs=1e-5)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["loss.png", "roc.png"]
