"""Multiclass DNN: loss weights (signal scaled to the background, negative weights), training on a tiny synthetic
set through the shared trainer (the loss decreases, probabilities, early stopping, empty validation set), ONNX
export parity to 1e-5, permutation importance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from susyscan.errors import ConfigError, FeatureError
from susyscan.training.multiclass import (
    MulticlassConfig,
    export_multiclass,
    loss_weights,
    onnx_probabilities,
    permutation_importance,
    train_multiclass,
    weighted_cross_entropy,
)
from susyscan.training.onnx_model import OnnxModel
from susyscan.training.train_nn import NNTrainingConfig, predict_raw

CLASSES = ("signal", "wjets", "top")


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three classes separated in features 0 and 1; feature 2 is noise. Signal weights small, some negative."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    centres = np.array([[1.5, 1.5], [-1.5, 0.0], [0.0, -1.5]])
    features = np.column_stack([centres[labels] + rng.normal(size=(n, 2)), rng.normal(size=n) * 5 + 20])
    weights = np.where(labels == 0, 1e-4, 1e-2) * rng.choice([1.0, -0.2], p=[0.9, 0.1], size=n)
    return features, labels, weights


def test_loss_weights_scale_signal_to_background() -> None:
    labels = np.array([0, 0, 1, 1, 2])
    weights = np.array([1e-3, 3e-3, 0.5, -0.1, 0.6])
    w = loss_weights(labels, weights, "abs")
    assert (w >= 0).all()
    assert np.isclose(w[labels == 0].sum(), w[labels != 0].sum())
    assert np.isclose(np.abs(w).mean(), 1.0)
    np.testing.assert_allclose(w[2:] / w[2], [1.0, 0.2, 1.2])  # backgrounds keep their relative weights
    signed = loss_weights(labels, weights, "signed")
    assert signed[3] < 0 and np.isclose(signed[labels == 0].sum(), np.abs(signed[labels != 0]).sum())
    assert loss_weights(labels, weights, "zero")[3] == 0.0
    with pytest.raises(ConfigError):
        loss_weights(labels, weights, "drop")
    with pytest.raises(FeatureError, match="signal"):
        loss_weights(np.array([1, 2]), np.array([1.0, 1.0]), "abs")


def test_weighted_cross_entropy_denominator_is_sum_of_absolute_weights() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    ce = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    weights = torch.tensor([1.0, -1.0])  # sum 0: a plain weighted mean would divide by zero
    got = weighted_cross_entropy(logits, labels, weights)
    assert torch.isfinite(got)
    assert torch.isclose(got, (ce[0] - ce[1]) / 2)
    assert float(weighted_cross_entropy(logits, labels, torch.zeros(2))) == 0.0


def test_training_lowers_the_loss_and_exports_with_parity(tmp_path) -> None:
    torch.set_num_threads(1)
    train, val, test = _blobs(1500, 0), _blobs(400, 1), _blobs(400, 2)
    config = MulticlassConfig(hidden_layers=(16, 16), epochs=8, patience=8, batch_size=64, seed=3)
    result = train_multiclass(train, val, ["a", "b", "noise"], CLASSES, config)
    history = result.history
    assert history["train_loss"].iloc[-1] < 0.7 * history["train_loss"].iloc[0]
    assert history["val_loss"].min() < history["val_loss"].iloc[0]
    probabilities = result.predict_proba(test[0])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    accuracy = (probabilities.argmax(axis=1) == test[1]).mean()
    assert accuracy > 0.8
    path = tmp_path / "model.onnx"
    meta = {"feature_names": '["a", "b", "noise"]', "mass_region": "0j", "score_threshold": "0.5",
            "training_data_hash": "test", "model_type": "multiclass_nn"}
    deviation = export_multiclass(result, meta, path, test[0])
    assert deviation < 1e-5
    np.testing.assert_allclose(onnx_probabilities(path, test[0]), probabilities, atol=1e-5)
    model = OnnxModel(path)  # the shared loader reads the signal-class score as its first output
    np.testing.assert_allclose(model.predict(test[0]), probabilities[:, 0], atol=1e-5)
    assert model.metadata["classes"] == "signal,wjets,top"
    again = train_multiclass(train, val, ["a", "b", "noise"], CLASSES, config)
    np.testing.assert_array_equal(again.predict_proba(test[0]), probabilities)  # seeded: reproducible


def test_permutation_importance_ranks_informative_features() -> None:
    torch.set_num_threads(1)
    config = MulticlassConfig(hidden_layers=(16,), epochs=5, batch_size=64, dropout=0.0, seed=1)
    result = train_multiclass(_blobs(1200, 4), _blobs(300, 5), ["a", "b", "noise"], CLASSES, config)
    features, labels, weights = _blobs(600, 6)
    importance = permutation_importance(result, features, labels, weights, seed=0)
    assert importance[0] > 5 * importance[2] and importance[1] > 5 * importance[2]
    assert (importance >= 0).all()


def test_bad_inputs_are_named() -> None:
    features, labels, weights = _blobs(50, 0)
    with pytest.raises(FeatureError, match="training set"):
        train_multiclass((features[:, :2], labels[:10], weights), (features, labels, weights), ["a", "b"], CLASSES,
                         MulticlassConfig(epochs=1))
    with pytest.raises(ConfigError, match="negative_weights"):
        MulticlassConfig(negative_weights="flip")


def test_shared_trainer_stops_early_and_gives_softmax_probabilities() -> None:
    """Through the shared trainer: training stops ``patience`` epochs after the lowest validation loss, and
    ``predict_raw`` of a multi-logit model gives the softmax class probabilities of ``predict_proba``."""
    torch.set_num_threads(1)
    features, _, weights = _blobs(300, 1)
    unrelated = np.random.default_rng(9).integers(0, 3, size=300)  # validation labels the features cannot predict
    config = MulticlassConfig(hidden_layers=(32, 32), epochs=40, patience=2, batch_size=32, learning_rate=1e-2,
                              dropout=0.0, seed=4)
    result = train_multiclass(_blobs(900, 0), (features, unrelated, weights), ["a", "b", "noise"], CLASSES, config)
    history = result.history
    assert len(history) < config.epochs and len(history) - result.best_epoch == config.patience
    assert result.best_epoch == int(history.loc[history["val_loss"].idxmin(), "epoch"])
    probabilities = predict_raw(result.model, result.standardisation, features)
    assert probabilities.shape == (300, 3)
    np.testing.assert_allclose(probabilities, result.predict_proba(features), atol=1e-6)


def test_empty_validation_set_keeps_the_lowest_training_loss(caplog: pytest.LogCaptureFixture) -> None:
    torch.set_num_threads(1)
    empty = (np.empty((0, 3)), np.empty(0, dtype=int), np.empty(0))
    config = MulticlassConfig(hidden_layers=(8,), epochs=4, patience=1, batch_size=64, dropout=0.0, seed=2)
    with caplog.at_level("WARNING", logger="susyscan.training.multiclass"):
        result = train_multiclass(_blobs(600, 0), empty, ["a", "b", "noise"], CLASSES, config)
    assert "empty validation set" in caplog.text
    assert result.history["val_loss"].isna().all()
    assert result.best_epoch == int(result.history.loc[result.history["train_loss"].idxmin(), "epoch"])


def test_trainer_settings_of_the_categorical_loss() -> None:
    trainer = MulticlassConfig(patience=3, seed=8).trainer()
    assert (trainer.loss, trainer.loss_weighting, trainer.model_selection, trainer.optimiser) == (
        "categorical", "event", "val_loss", "adam")
    assert (trainer.patience, trainer.weight_decay, trainer.seed, trainer.device) == (3, 0.0, 8, "cpu")
    with pytest.raises(ConfigError, match="categorical loss needs model_selection 'val_loss'"):
        NNTrainingConfig(loss="categorical")
    with pytest.raises(ConfigError, match="categorical loss"):
        NNTrainingConfig(loss="categorical", model_selection="val_loss", loss_weighting="balanced")
    with pytest.raises(ConfigError, match="patience"):
        NNTrainingConfig(patience=0)
