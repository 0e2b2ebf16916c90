"""Torch classifier: learns the synthetic blobs, is reproducible, selects the best validation epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from susyscan.config import validate_config
from susyscan.errors import ConfigError
from susyscan.training.metrics import classification_metrics, selection_score
from susyscan.training.network import NetworkConfig, build_classifier
from susyscan.training.standardise import Standardisation
from susyscan.training.train_nn import (NNTrainingConfig, TrainingData, load_model, predict_raw, save_model,
                                        train_blocks, train_classifier)

FAST = NNTrainingConfig(epochs=4, learning_rate=0.05, device="cpu", seed=11)


def _network(n_inputs: int, activation: str = "sigmoid") -> NetworkConfig:
    return NetworkConfig(n_inputs=n_inputs, hidden_layers=(50, 50), activation=activation, init_std=0.1)


def test_default_architecture_is_paper_mlp():
    model = build_classifier(_network(37), seed=0)
    shapes = [tuple(layer.weight.shape) for layer in model.linear_layers()]
    assert shapes == [(50, 37), (50, 50), (1, 50)]
    assert sum(isinstance(m, torch.nn.Sigmoid) for m in model.layers) == 2
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert abs(float(weights.mean())) < 0.01 and float(weights.std()) == pytest.approx(0.1, rel=0.05)


def test_binary_smuon_network_is_pinned():
    """The smuon MLP (the schema defaults of training.nn) after the multiclass generalisation of the shared MLP
    (fa70654): the same state_dict keys, no Dropout at dropout 0, every parameter, in parameter order, the next
    draws of torch.Generator().manual_seed(seed) times init_std, and network_config with n_outputs 1, dropout 0."""
    nn = validate_config({})["analyses"]["smuon"]["training"]["nn"]
    config = NetworkConfig(n_inputs=37, hidden_layers=tuple(nn["hidden_layers"]), activation=nn["activation"],
                           init_std=nn["init_std"])
    model = build_classifier(config, seed=7)
    assert list(model.state_dict()) == [f"layers.{i}.{kind}" for i in (0, 2, 4) for kind in ("weight", "bias")]
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.modules())
    generator = torch.Generator().manual_seed(7)
    shapes = [(50, 37), (50,), (50, 50), (50,), (1, 50), (1,)]
    for (name, parameter), shape in zip(model.named_parameters(), shapes, strict=True):
        assert torch.equal(parameter.detach(), torch.randn(shape, generator=generator) * 0.1), name
    assert model(torch.zeros(3, 37)).shape == (3,)
    assert config.to_dict() == {"n_inputs": 37, "hidden_layers": [50, 50], "activation": "sigmoid", "init_std": 0.1,
                                "n_outputs": 1, "dropout": 0.0}


def test_unknown_activation_is_rejected():
    with pytest.raises(ConfigError, match="swish"):
        _network(37, activation="swish")


def test_training_learns_separable_blobs(low_dataset):
    result = train_classifier(low_dataset, _network(37), FAST, progress=False)
    scores = predict_raw(result.model, low_dataset.standardisation, low_dataset.test.X)
    metrics = classification_metrics(low_dataset.test.y, scores)
    assert metrics["roc_auc"] > 0.9
    assert list(result.history["epoch"]) == [1, 2, 3, 4]
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]


def test_best_epoch_has_the_highest_validation_selection_score(low_dataset):
    result = train_classifier(low_dataset, _network(37), FAST, progress=False)
    history = result.history
    assert result.best_epoch == int(history.loc[history["val_selection_score"].idxmax(), "epoch"])
    scores = predict_raw(result.model, low_dataset.standardisation, low_dataset.val.X)
    restored = selection_score(classification_metrics(low_dataset.val.y, scores))
    assert restored == pytest.approx(history["val_selection_score"].max(), abs=1e-6)


def test_same_seed_gives_identical_weights(low_dataset):
    config = NNTrainingConfig(epochs=2, learning_rate=0.05, device="cpu", seed=5)
    first = train_classifier(low_dataset, _network(37), config, progress=False).model.state_dict()
    second = train_classifier(low_dataset, _network(37), config, progress=False).model.state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
    other = NNTrainingConfig(epochs=2, learning_rate=0.05, device="cpu", seed=6)
    third = train_classifier(low_dataset, _network(37), other, progress=False).model.state_dict()
    assert not torch.equal(first["layers.0.weight"], third["layers.0.weight"])


def test_model_pt_roundtrip(low_dataset, tmp_path):
    config = NNTrainingConfig(epochs=1, device="cpu")
    result = train_classifier(low_dataset, _network(37, "relu"), config, progress=False)
    save_model(result, low_dataset, str(tmp_path / "model.pt"))
    model, standardisation, payload = load_model(str(tmp_path / "model.pt"))
    assert payload["network_config"]["activation"] == "relu"
    assert payload["feature_names"] == low_dataset.feature_names
    before = predict_raw(result.model, low_dataset.standardisation, low_dataset.test.X)
    after = predict_raw(model, standardisation, low_dataset.test.X)
    assert np.array_equal(before, after)


def test_auto_device_resolves_to_available_device():
    from susyscan.training.device import resolve_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_up_to_float_tolerance(low_dataset):
    config = {"epochs": 2, "learning_rate": 0.05, "seed": 5}
    cpu = train_classifier(low_dataset, _network(37), NNTrainingConfig(device="cpu", **config), progress=False)
    gpu = train_classifier(low_dataset, _network(37), NNTrainingConfig(device="cuda", **config), progress=False)
    for key, value in cpu.model.state_dict().items():
        assert torch.allclose(value, gpu.model.state_dict()[key], atol=1e-4)


def test_ensemble_member_zero_is_the_single_network_and_members_are_seedsequence_streams():
    """Member 0 of an ensemble is the one-member network of the same seed (bit for bit); member 1 is seeded by the
    SeedSequence stream ("member", 1), not by seed + 1 (which is member 0 of the next seed)."""
    from susyscan.seeds import member_seed

    assert member_seed(5, 0) == 5 and member_seed(5, 1) not in (5, 6) and member_seed(5, 1) != member_seed(6, 1)
    assert member_seed(5, 1) == member_seed(5, 1) and member_seed(5, 2) != member_seed(5, 1)
    with pytest.raises(ValueError, match="member"):
        member_seed(5, -1)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(np.float32)
    data = TrainingData((x,), y, np.ones(300))
    standardisation = [Standardisation.fit(x, ["a", "b", "c", "d"])]
    network = NetworkConfig(n_inputs=4, hidden_layers=(8,), activation="relu", init_std=0.1)

    def states(n_members: int, seed: int) -> list[dict]:
        config = NNTrainingConfig(epochs=2, batch_size=64, learning_rate=0.05, device="cpu", seed=seed,
                                  n_members=n_members)
        return [m.state_dict() for m in train_blocks(data, data, standardisation, network, config,
                                                     progress=False).members]

    single, pair, next_single = states(1, 5)[0], states(2, 5), states(1, 6)[0]
    assert all(torch.equal(single[key], pair[0][key]) for key in single)
    assert not torch.equal(pair[1]["layers.0.weight"], next_single["layers.0.weight"])
    assert not torch.equal(pair[1]["layers.0.weight"], pair[0]["layers.0.weight"])
