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


def block_dataset(n_per_sample: int = 120, seed: int = 7):
    """A tiny prepared dataset of event tables with a flat block (sentinel ``PAD`` for missing entries) and a padded
    slot block, built as ewkino's are (shared ``build_dataset``: kfold 1, id split, no balancing); the input tables'
    metadata records the sentinel and the padding value under their own keys."""
    from susyscan.training.dataset import build_dataset
    from susyscan.training.eventtable import EventTable
    from susyscan.training.synthetic import synthetic_feature_table

    frame = synthetic_feature_table(n_per_sample=n_per_sample, n_features=1, seed=seed).drop(columns=["x00"])
    data = toy(len(frame), seed)
    y = frame["is_signal"].to_numpy(dtype=np.float32)
    flat = np.where(data.blocks[0] == PAD, PAD, data.blocks[0] + 1.5 * (y - data.y)[:, None] * np.array([1, 0, 0]))
    slots = np.where(data.blocks[1] == PAD, PAD, data.blocks[1] + (y - data.y)[:, None, None] * np.array([1.0, 0]))
    table = EventTable({c: frame[c].to_numpy() for c in frame.columns}, {"flat": flat, "slots": slots},
                       {"flat": list(FLAT), "slots": list(SLOTS)}, {"sentinel": PAD, "padding_value": PAD})
    return build_dataset(table, "all", (0.0, float("inf")), 1.0, seed, (0.6, 0.2, 0.2), [], kfold=1, fold=0,
                         split_scheme="id", balance=False)


PADDING_KEYS = {"flat": "sentinel", "slots": "padding_value"}
BLOCK_HYPER = {"epochs": 4, "batch_size": 32, "learning_rate": 0.01, "device": "cpu", "optimiser": "adam",
               "loss_weighting": "balanced", "model_selection": "val_loss", "n_members": 2}


def test_block_dataset_through_run_nn_and_export_model(tmp_path):
    """The shared stages train and export a dataset with array blocks: standardisations fitted on the train split
    without the recorded sentinel/padding, the blocks as model inputs in meta-JSON order, parity on the test split."""
    from sklearn.metrics import roc_auc_score

    from susyscan.training.outputs import ModelOutputs
    from susyscan.training.stages import export_model, run_nn
    from susyscan.training.train_nn import dataset_standardisations, split_inputs

    dataset = block_dataset()
    fitted = dataset_standardisations(dataset, PADDING_KEYS)
    flat = dataset.train.blocks["flat"]
    assert [s.name for s in fitted] == ["flat", "slots"] and fitted[0].padding == PAD and fitted[1].slots == 6
    assert fitted[0].mean[0] == pytest.approx(flat[flat[:, 0] != PAD, 0].mean())
    assert np.array_equal(fitted[1].mean, Standardisation.fit(dataset.train.blocks["slots"], SLOTS, "slots", PAD).mean)
    assert not np.allclose(fitted[0].mean, Standardisation.fit(flat, FLAT, "flat").mean)  # the sentinel is left out
    outputs = ModelOutputs.in_directory(tmp_path, "model.pt")
    network = NetworkConfig(n_inputs=len(FLAT), hidden_layers=(8,))
    metrics = run_nn(dataset, outputs, BLOCK_HYPER, seed=5, progress=False, model_factory=set_factory,
                     network=network, padding_keys=PADDING_KEYS)
    trained = load_trained(str(outputs.model), set_factory)
    test = split_inputs(dataset, dataset.test)
    assert len(trained.members) == 2 and [s.to_dict() for s in trained.standardisations] == [s.to_dict() for s in fitted]
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(dataset.test.y, trained.predict(test)))
    assert metrics["roc_auc"] > 0.7
    deviation = export_model(outputs.model, "nn", dataset, tmp_path / "model.onnx", tmp_path / "parity.json",
                             model_factory=set_factory)
    assert deviation <= 1e-5 and json.loads((tmp_path / "parity.json").read_text())["n_events"] == len(dataset.test.y)
    model = load_checked(tmp_path / "model.onnx", {"flat": FLAT, "slots": SLOTS})
    assert np.abs(model.predict(test) - trained.predict(test)).max() <= 1e-5


def test_block_dataset_needs_network_settings_and_known_padding(tmp_path):
    from susyscan.training.outputs import ModelOutputs
    from susyscan.training.stages import run_bdt, run_nn
    from susyscan.training.train_nn import dataset_standardisations

    dataset = block_dataset(40)
    outputs = ModelOutputs.in_directory(tmp_path, "model.pt")
    with pytest.raises(ConfigError, match="needs the analysis' network settings"):
        run_nn(dataset, outputs, BLOCK_HYPER, progress=False)
    with pytest.raises(ConfigError, match=r"MLP settings \['hidden_layers'\]"):
        run_nn(dataset, outputs, {**BLOCK_HYPER, "hidden_layers": [4]}, progress=False,
               network=NetworkConfig(n_inputs=3))
    with pytest.raises(ConfigError, match=r"input_metadata has no \['pad'\] \(padding values of blocks \['slots'\]\)"):
        dataset_standardisations(dataset, {"flat": "sentinel", "slots": "pad"})
    with pytest.raises(ConfigError, match=r"padding values given for blocks \['jets'\]"):
        dataset_standardisations(dataset, {"jets": "sentinel"})
    with pytest.raises(ConfigError, match="model type 'bdt' reads flat features"):
        run_bdt(dataset, ModelOutputs.in_directory(tmp_path, "model.json"))


def test_analysis_hooks_reach_model_pt_metrics_and_onnx(tmp_path):
    """run_nn's provenance/extra_metrics/event_weights and export_model's metadata hook; neither may replace the
    dataset's training-data hash."""
    from susyscan.training.outputs import ModelOutputs
    from susyscan.training.stages import export_model, run_nn

    dataset = block_dataset(40)
    outputs = ModelOutputs.in_directory(tmp_path, "model.pt")
    seen: list[tuple[str, int]] = []

    def weights(name, split):
        seen.append((name, len(split.y)))
        return np.ones(len(split.y))

    common = {"model_factory": set_factory, "network": NetworkConfig(n_inputs=3, hidden_layers=(4,)),
              "padding_keys": PADDING_KEYS, "progress": False}
    hyper = {**BLOCK_HYPER, "epochs": 1, "n_members": 1}
    metrics = run_nn(dataset, outputs, hyper, event_weights=weights, provenance={"budget": 6, "feature_names": ["f"]},
                     extra_metrics=lambda result: {"members": len(result.members)}, **common)
    assert seen == [("train", len(dataset.train.y)), ("val", len(dataset.val.y))] and metrics["members"] == 1
    payload = torch.load(outputs.model, weights_only=False)
    assert payload["budget"] == 6 and payload["feature_names"] == ["f"]
    assert payload["training_data_hash"] == dataset.info["training_data_hash"]
    export_model(outputs.model, "nn", dataset, tmp_path / "m.onnx", None, model_factory=set_factory,
                 metadata=lambda p: {"budget": str(p["budget"])})
    assert load_checked(tmp_path / "m.onnx", {"flat": FLAT, "slots": SLOTS}).metadata["budget"] == "6"
    with pytest.raises(ConfigError, match="replaces the dataset's training-data hash"):
        export_model(outputs.model, "nn", dataset, tmp_path / "x.onnx", None, model_factory=set_factory,
                     metadata=lambda p: {"training_data_hash": "other"})
    with pytest.raises(ConfigError, match="may not replace it"):
        run_nn(dataset, outputs, hyper, provenance={"training_data_hash": "other"}, **common)
