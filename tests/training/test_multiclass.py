"""Multiclass DNN: loss weights (signal scaled to the background, negative weights), training on a tiny synthetic
set through the shared trainer (the loss decreases, probabilities, early stopping, empty validation set), the
shared ONNX export with a softmax (parity to 1e-5 on the class probabilities, metadata round trip, named outputs,
refusals, the training-data hash of the shared provenance check), permutation importance."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields

import numpy as np
import pytest
import torch

from susyscan.errors import ConfigError, FeatureError, ModelMetadataError
from susyscan.training.dataset import training_data_hash
from susyscan.training.export import ExportParityError, check_parity, export_nn, model_metadata
from susyscan.training.folds import FOLD_SCHEME
from susyscan.training.multiclass import (
    MulticlassConfig,
    loss_weights,
    multiclass_network,
    permutation_importance,
    train_multiclass,
    weighted_cross_entropy,
)
from susyscan.training.multiclass_stages import StageSettings, export_fold
from susyscan.training.network import NetworkConfig, build_classifier
from susyscan.training.onnx_model import OnnxModel, load_checked
from susyscan.training.onnx_nn import ScoringModule
from susyscan.training.standardise import Standardisation
from tests.training.multiclass_defaults import network_config, schema_ml
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
    config = network_config(hidden_layers=(16, 16), epochs=8, patience=8, batch_size=64, seed=3)
    result = train_multiclass(train, val, ["a", "b", "noise"], CLASSES, config)
    history = result.history
    assert history["train_loss"].iloc[-1] < 0.7 * history["train_loss"].iloc[0]
    assert history["val_loss"].min() < history["val_loss"].iloc[0]
    probabilities = result.predict_proba(test[0])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    accuracy = (probabilities.argmax(axis=1) == test[1]).mean()
    assert accuracy > 0.8
    path = tmp_path / "model.onnx"
    names = ["a", "b", "noise", "weight"]
    # the caller's record of rows that differ from the trained ones by one event (one weight changed)
    changed = train[2].copy()
    changed[0] *= 2.0
    meta = {"feature_names": '["a", "b", "noise"]', "mass_region": "0j", "score_threshold": "0.5",
            "training_data_hash": training_data_hash((train[0], changed.reshape(-1, 1)), train[1], names),
            "model_type": "multiclass_nn"}
    with pytest.raises(ModelMetadataError, match="model.onnx: trained on data .*not on the fold's training events"):
        export_fold(result, meta, path, test[0])  # the shared provenance check: not the data it trained on
    assert not path.exists()
    meta["training_data_hash"] = training_data_hash((train[0], train[2].reshape(-1, 1)), train[1], names)
    assert result.training_data_hash == meta["training_data_hash"]
    deviation = export_fold(result, meta, path, test[0])  # the shared exporter and parity check
    assert deviation < 1e-5
    model = OnnxModel(path)
    np.testing.assert_allclose(model.predict_outputs(test[0], ["probabilities"])["probabilities"], probabilities,
                               atol=1e-5)
    np.testing.assert_allclose(model.predict(test[0]), probabilities[:, 0], atol=1e-5)  # score: the first output
    assert model.classes == list(CLASSES) and model.metadata["signal_class"] == "signal"
    again = train_multiclass(train, val, ["a", "b", "noise"], CLASSES, config)
    np.testing.assert_array_equal(again.predict_proba(test[0]), probabilities)  # seeded: reproducible


def test_permutation_importance_ranks_informative_features() -> None:
    torch.set_num_threads(1)
    config = network_config(hidden_layers=(16,), epochs=5, batch_size=64, dropout=0.0, seed=1)
    result = train_multiclass(_blobs(1200, 4), _blobs(300, 5), ["a", "b", "noise"], CLASSES, config)
    features, labels, weights = _blobs(600, 6)
    importance = permutation_importance(result, features, labels, weights, seed=0)
    assert importance[0] > 5 * importance[2] and importance[1] > 5 * importance[2]
    assert (importance >= 0).all()


def test_bad_inputs_are_named() -> None:
    features, labels, weights = _blobs(50, 0)
    with pytest.raises(FeatureError, match="training set"):
        train_multiclass((features[:, :2], labels[:10], weights), (features, labels, weights), ["a", "b"], CLASSES,
                         network_config(epochs=1, seed=0))
    with pytest.raises(ConfigError, match="negative_weights"):
        network_config(negative_weights="flip")


def test_shared_trainer_stops_early_and_gives_softmax_probabilities() -> None:
    """Through the shared trainer: training stops ``patience`` epochs after the lowest validation loss, and
    ``predict_proba`` (``predict_raw`` in float32) gives, bit for bit, the class probabilities of the exported
    module evaluated in torch (``ScoringModule``, the previous ``predict_proba``)."""
    torch.set_num_threads(1)
    features, _, weights = _blobs(300, 1)
    unrelated = np.random.default_rng(9).integers(0, 3, size=300)  # validation labels the features cannot predict
    config = network_config(hidden_layers=(32, 32), epochs=40, patience=2, batch_size=32, learning_rate=1e-2,
                            dropout=0.0, seed=4)
    result = train_multiclass(_blobs(900, 0), (features, unrelated, weights), ["a", "b", "noise"], CLASSES, config)
    history = result.history
    assert len(history) < config.epochs and len(history) - result.best_epoch == config.patience
    assert result.best_epoch == int(history.loc[history["val_loss"].idxmin(), "epoch"])
    probabilities = result.predict_proba(features)
    assert probabilities.shape == (300, 3) and probabilities.dtype == np.float64
    with torch.no_grad():
        exported = ScoringModule(result.model, result.standardisation, signal_index=0).probabilities(
            torch.as_tensor(features, dtype=torch.float32)).double().numpy()
    np.testing.assert_array_equal(probabilities, exported)
    assert result.predict_proba(features[:0]).shape == (0, 3)


def test_predict_raw_averages_the_members_softmax() -> None:
    """``predict_raw``'s categorical branch (one logit per class): the mean over the members of each member's
    softmax on the standardised features (in the block's precision), not the softmax of the mean logits."""
    features = _blobs(200, 3)[0]
    members = [_untrained(1)[0], _untrained(2)[0]]
    standardisation = _untrained(1)[1]
    scaled = torch.as_tensor(standardisation.apply(features, np.float64), dtype=torch.float32)
    with torch.no_grad():
        logits = [member(scaled) for member in members]
        expected = torch.stack([torch.softmax(values, dim=1) for values in logits]).mean(dim=0).double().numpy()
        of_mean_logits = torch.softmax(torch.stack(logits).mean(dim=0), dim=1).double().numpy()
    probabilities = predict_raw(members, standardisation, features, batch_size=64)  # batches of 64, 64, 64, 8
    assert probabilities.shape == (200, len(CLASSES))
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert np.abs(probabilities - of_mean_logits).max() > 1e-3  # the two averages differ: the test can tell them apart
    single = predict_raw(members[0], standardisation, features)
    np.testing.assert_allclose(single, torch.softmax(logits[0], dim=1).double().numpy(), rtol=0, atol=1e-7)


def test_empty_validation_set_keeps_the_lowest_training_loss(caplog: pytest.LogCaptureFixture) -> None:
    torch.set_num_threads(1)
    empty = (np.empty((0, 3)), np.empty(0, dtype=int), np.empty(0))
    config = network_config(hidden_layers=(8,), epochs=4, patience=1, batch_size=64, dropout=0.0, seed=2)
    with caplog.at_level("WARNING", logger="susyscan.training.multiclass"):
        result = train_multiclass(_blobs(600, 0), empty, ["a", "b", "noise"], CLASSES, config)
    assert "empty validation set" in caplog.text
    assert result.history["val_loss"].isna().all()
    assert result.best_epoch == int(result.history.loc[result.history["train_loss"].idxmin(), "epoch"])


def test_trainer_settings_of_the_categorical_loss() -> None:
    trainer = network_config(patience=3, seed=8).trainer()
    assert (trainer.loss, trainer.loss_weighting, trainer.model_selection, trainer.optimiser) == (
        "categorical", "event", "val_loss", "adam")
    assert (trainer.patience, trainer.weight_decay, trainer.seed, trainer.device) == (3, 0.0, 8, "cpu")
    with pytest.raises(ConfigError, match="categorical loss needs model_selection 'val_loss'"):
        NNTrainingConfig(loss="categorical")
    with pytest.raises(ConfigError, match="categorical loss"):
        NNTrainingConfig(loss="categorical", model_selection="val_loss", loss_weighting="balanced")
    with pytest.raises(ConfigError, match="patience"):
        NNTrainingConfig(patience=0)
    with pytest.raises(ConfigError, match="no training seed"):  # the run config sets none: no unnamed seed
        network_config().trainer()


def test_the_schema_is_the_one_source_of_the_settings_defaults() -> None:
    """Every network setting but the seed is a schema key without a code default; the stage's run settings and its
    class column have none either."""
    network = {f.name for f in fields(MulticlassConfig) if f.default is MISSING}
    assert network == set(schema_ml()["network"]) == {f.name for f in fields(MulticlassConfig)} - {"seed"}
    stage = {f.name for f in fields(StageSettings) if f.default is MISSING}
    assert {"kfold", "seed", "bank_fraction", "class_column"} <= stage


FEATURES = ["a", "b", "noise"]


def _untrained(seed: int) -> tuple[torch.nn.Module, Standardisation]:
    """A multiclass network of the shared model factory with random weights and a fitted standardisation."""
    network = multiclass_network(3, len(CLASSES), network_config(hidden_layers=(8,), dropout=0.0))
    return build_classifier(network, seed).eval(), Standardisation.fit(_blobs(200, seed)[0], FEATURES)


def test_the_multiclass_network_is_the_shared_mlp_with_class_logits_dropout_and_torch_init() -> None:
    """multiclass_network: the shared MLP with ReLU, dropout after each hidden layer, one logit per class and
    torch's default initialisation drawn from the seeded global generator; its settings round-trip."""
    network = multiclass_network(3, len(CLASSES), network_config(hidden_layers=(8, 4), dropout=0.2))
    assert NetworkConfig.from_dict(network.to_dict()) == network
    model = build_classifier(network, 7)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert model.eval()(torch.zeros(5, 3)).shape == (5, len(CLASSES))
    torch.manual_seed(7)
    first = torch.nn.Linear(3, 8)  # torch's default initialisation, first draw after seeding
    torch.testing.assert_close(model.layers[0].weight, first.weight, rtol=0, atol=0)
    assert not torch.equal(build_classifier(network, 8).layers[0].weight, first.weight)


def test_multiclass_export_parity_and_metadata_round_trip(tmp_path) -> None:
    """The shared exporter's softmax option: ``score`` and ``probabilities`` agree with torch to 1e-5 (one network
    and a two-member ensemble), and the shared metadata (features, fold scheme, held-out ids, classes) round-trip
    through ``OnnxModel``."""
    features = _blobs(300, 7)[0]
    fold_info = {"kfold": 3, "fold": 1, "fold_seed": 5, "fold_scheme": FOLD_SCHEME,
                 "heldout_ids": {"bkg_top": "0123456789abcdef", "stau_100_40": "fedcba9876543210"}}
    meta = model_metadata(FEATURES, "0j", 0.5, "h", "multiclass_dnn", fold_info=fold_info)
    for members in ([_untrained(1)[0]], [_untrained(1)[0], _untrained(2)[0]]):
        standardisation = _untrained(1)[1]
        path = tmp_path / f"model{len(members)}.onnx"
        export_nn(members, standardisation, meta, path, classes=CLASSES)
        with torch.no_grad():
            native = ScoringModule(members, standardisation, signal_index=0).probabilities(
                torch.as_tensor(features, dtype=torch.float32)).double().numpy()
        assert native[:, 0].std() > 1e-3  # non-trivial probabilities
        assert check_parity(path, features, native, 1e-5, output="probabilities") < 1e-5
        assert check_parity(path, features, native[:, 0], 1e-5) < 1e-5  # the score output is the signal column
        if len(members) == 2:  # the ensemble's probabilities are the mean of its members'
            single = ScoringModule(members[1], standardisation, signal_index=0)
            with torch.no_grad():
                second = single.probabilities(torch.as_tensor(features, dtype=torch.float32)).double().numpy()
            assert np.abs(native - second).max() > 1e-3
    model = load_checked(tmp_path / "model1.onnx", FEATURES)
    assert model.classes == list(CLASSES) and model.output_names == ["score", "probabilities"]
    assert (model.kfold, model.fold, model.fold_seed, model.fold_scheme) == (3, 1, 5, FOLD_SCHEME)
    assert model.heldout_ids == fold_info["heldout_ids"]
    assert json.loads(model.metadata["classes"]) == list(CLASSES) and "probabilities" in model.metadata["output"]


def test_named_outputs_and_refusals(tmp_path) -> None:
    """``predict_outputs`` reads named outputs in batches and with zero events; an unknown output name, a shifted
    probability, a shape mismatch and a class list that does not fit the network are refused with the file named."""
    net, standardisation = _untrained(3)
    path = tmp_path / "stau.onnx"
    export_nn(net, standardisation, model_metadata(FEATURES, "0j", 0.5, "h", "multiclass_dnn"), path, classes=CLASSES)
    model = OnnxModel(path)
    features = _blobs(50, 8)[0]
    both = model.predict_outputs(features, ["probabilities", "score"])
    assert both["probabilities"].shape == (50, 3) and both["score"].shape == (50,)
    np.testing.assert_array_equal(both["score"], both["probabilities"][:, 0])
    np.testing.assert_array_equal(model.predict_outputs(features, ["probabilities"], batch_size=7)["probabilities"],
                                  both["probabilities"])
    assert model.predict_outputs(features[:0], ["probabilities"])["probabilities"].shape == (0, 3)
    with pytest.raises(ModelMetadataError, match=r"stau\.onnx: no output\(s\) \['logits'\]; the model's outputs "
                                                 r"are \['score', 'probabilities'\]"):
        model.predict_outputs(features, ["logits"])
    with pytest.raises(ExportParityError, match=r"stau\.onnx: ONNX and native output 'probabilities' differ"):
        check_parity(path, features, both["probabilities"] + 1e-3, output="probabilities")
    with pytest.raises(ExportParityError, match="shape"):
        check_parity(path, features, both["probabilities"][:, :2], output="probabilities")
    with pytest.raises(ModelMetadataError, match=r"bad\.onnx: the network has 3 outputs, 2 classes"):
        export_nn(net, standardisation, model_metadata(FEATURES, "0j", 0.5, "h", "m"), tmp_path / "bad.onnx",
                  classes=CLASSES[:2])
    assert not (tmp_path / "bad.onnx").exists()
