"""Shared trainer, model.pt and ONNX export with several named input blocks (a flat block with missing entries and a
padded slot block), Adam, class-balanced loss weights and a two-member ensemble."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from susyscan.errors import ConfigError, FeatureError, ModelMetadataError
from susyscan.training.export import check_parity, export_nn, model_metadata
from susyscan.training.network import NetworkConfig
from susyscan.training.onnx_model import load_checked
from susyscan.training.standardise import Standardisation
from susyscan.training.train_nn import NNTrainingConfig, TrainingData, load_trained, save_trained, train_blocks

PAD = -999.0
FLAT, SLOTS = ("a", "b", "c"), ("pt", "eta")


class SetNet(nn.Module):
    """Flat block MLP + masked mean over slots; logits (N,)."""

    def __init__(self, network: NetworkConfig) -> None:
        super().__init__()
        width = network.hidden_layers[0]
        self.flat = nn.Linear(len(FLAT), width)
        self.slot = nn.Linear(len(SLOTS), width)
        self.out = nn.Linear(2 * width, 1)

    def forward(self, flat: torch.Tensor, slots: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1).to(slots.dtype)
        pooled = (torch.relu(self.slot(slots)) * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return self.out(torch.cat([torch.relu(self.flat(flat)), pooled], dim=1)).squeeze(-1)


def set_factory(network: NetworkConfig, seed: int) -> SetNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SetNet(network)


def toy(n: int, seed: int) -> TrainingData:
    """Signal: larger slot pT and flat feature a; missing flat entries and padded slots in both classes."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float32)
    flat = rng.normal(0, 1, (n, len(FLAT))).astype(np.float32) + y[:, None] * np.array([1.5, 0, 0], np.float32)
    flat[rng.random((n, len(FLAT))) < 0.2] = PAD
    slots = rng.normal(0, 1, (n, 6, len(SLOTS))).astype(np.float32) + y[:, None, None] * np.array([1.0, 0], np.float32)
    n_real = rng.integers(0, 7, n)
    slots[np.arange(6)[None, :] >= n_real[:, None]] = PAD
    weight = rng.uniform(0.5, 2.0, n) * np.where(y == 1, 0.01, 1.0)  # rare, light signal: the loss balances it
    return TrainingData((flat, slots), y, weight)


def standardisations(data: TrainingData) -> list[Standardisation]:
    return [Standardisation.fit(data.blocks[0], FLAT, "flat", PAD), Standardisation.fit(data.blocks[1], SLOTS, "slots", PAD)]


def test_padded_standardisation():
    data = toy(400, 1)
    flat, slots = standardisations(data)
    values = data.blocks[0][:, 0].astype(np.float64)
    assert flat.mean[0] == pytest.approx(values[values != PAD].mean()) and flat.slots is None
    real = data.blocks[1][..., 0] != PAD
    assert slots.std == pytest.approx(data.blocks[1][real].astype(np.float64).std(axis=0)) and slots.slots == 6
    assert (flat.apply(data.blocks[0])[data.blocks[0] == PAD] == 0).all()
    assert (slots.apply(data.blocks[1])[~real] == 0).all() and slots.mask(data.blocks[1]).shape == (400, 6)
    again = Standardisation.from_dict(json.loads(json.dumps(slots.to_dict())))
    assert (again.name, again.padding, again.slots) == ("slots", PAD, 6) and np.array_equal(again.mean, slots.mean)
    # a single-block standardisation keeps its three-key JSON form (the prepared datasets' meta files)
    single = Standardisation.fit(np.arange(6.0).reshape(3, 2), ["x", "y"])
    assert sorted(single.to_dict()) == ["feature_names", "mean", "std"] and single.mask(np.zeros((3, 2))) is None


def test_two_blocks_train_save_export(tmp_path):
    train, val, test = toy(600, 2), toy(200, 3), toy(300, 4)
    config = NNTrainingConfig(epochs=6, batch_size=32, learning_rate=0.01, device="cpu", seed=3, optimiser="adam",
                              loss_weighting="balanced", model_selection="val_loss", n_members=2)
    network = NetworkConfig(n_inputs=len(FLAT), hidden_layers=(8,))
    result = train_blocks(train, val, standardisations(train), network, config, progress=False,
                          model_factory=set_factory)
    history = result.history
    assert list(history["member"].unique()) == [0, 1] and len(history) == 12
    for k, best in enumerate(result.best_epochs):
        member = history[history["member"] == k]
        assert best == int(member.loc[member["val_loss"].idxmin(), "epoch"])
    from sklearn.metrics import roc_auc_score

    scores = result.predict(test.blocks)
    assert roc_auc_score(test.y, scores) > 0.75
    save_trained(result, str(tmp_path / "model.pt"), {"feature_names": list(FLAT)})
    loaded = load_trained(str(tmp_path / "model.pt"), set_factory)
    assert len(loaded.members) == 2 and [s.name for s in loaded.standardisations] == ["flat", "slots"]
    assert np.array_equal(loaded.predict(test.blocks), scores)
    metadata = model_metadata(FLAT, "all", 0.5, "hash", "toy")
    export_nn(loaded.members, loaded.standardisations, metadata, tmp_path / "model.onnx")
    assert check_parity(tmp_path / "model.onnx", test.blocks, scores, 1e-5) <= 1e-5
    model = load_checked(tmp_path / "model.onnx", {"flat": FLAT, "slots": SLOTS})
    assert [b.name for b in model.blocks] == ["flat", "slots"] and json.loads(model.metadata["input_blocks"])[1]["slots"] == 6
    with pytest.raises(FeatureError, match="1 input blocks given"):
        model.predict(test.blocks[0])
    with pytest.raises(FeatureError, match="input 'slots'"):
        model.predict((test.blocks[0], test.blocks[1][:, :4]))
    with pytest.raises(ModelMetadataError, match="input 'slots'"):
        model.check_features({"slots": SLOTS[::-1]})


def test_balanced_weights_need_event_weights():
    data = toy(100, 5)
    config = NNTrainingConfig(epochs=1, device="cpu", loss_weighting="balanced")
    with pytest.raises(ConfigError, match="balanced"):
        train_blocks(TrainingData(data.blocks, data.y), data, standardisations(data),
                     NetworkConfig(n_inputs=3, hidden_layers=(4,)), config, progress=False, model_factory=set_factory)
    with pytest.raises(ConfigError, match="optimiser"):
        NNTrainingConfig(optimiser="rmsprop")


def test_single_block_onnx_keeps_one_input(tmp_path):
    """A single-block model is exported with the one input ``features`` and no input_blocks metadata."""
    data = toy(50, 6)
    flat = Standardisation.fit(np.where(data.blocks[0] == PAD, 0.0, data.blocks[0]), FLAT)
    net = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))
    export_nn(net, flat, model_metadata(FLAT, "low", 0.5, "h", "nn"), tmp_path / "single.onnx")
    loaded = load_checked(tmp_path / "single.onnx", FLAT)
    assert [i.name for i in loaded.session.get_inputs()] == ["features"] and "input_blocks" not in loaded.metadata
