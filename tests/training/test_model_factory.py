"""The analysis spec's model factory drives the shared torch trainer, model loading and the ONNX export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from susyscan.analyses import AnalysisSpec, load_spec
from susyscan.errors import ModelMetadataError
from susyscan.training.cli import training
from susyscan.training.dataset import PreparedDataset, save_dataset, split_paths_in
from susyscan.training.onnx_model import load_checked
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import export_model, run_nn
from susyscan.training.train_nn import load_model

HYPER = {"hidden_layers": [16], "epochs": 5, "learning_rate": 0.1, "device": "cpu"}

#: A plug-in analysis whose network is not the shared MLP: a gated block with a linear skip.
GATED_MODULE = '''
import torch
from torch import nn

from susyscan.analyses import AnalysisSpec


class GatedNet(nn.Module):
    def __init__(self, network):
        super().__init__()
        width = network.hidden_layers[0]
        self.skip = nn.Linear(network.n_inputs, 1)
        self.value = nn.Linear(network.n_inputs, width)
        self.gate = nn.Linear(network.n_inputs, width)
        self.out = nn.Linear(width, 1)

    def forward(self, features):
        gated = torch.tanh(self.value(features)) * torch.sigmoid(self.gate(features))
        return (self.out(gated) + self.skip(features)).squeeze(-1)


def gated_factory(network, seed):
    torch.manual_seed(seed)
    return GatedNet(network)


SPEC = AnalysisSpec(name="gated", grid=("m_a", "m_b", "proc"), features=("x",), model_factory=gated_factory)
'''


@pytest.fixture()
def gated_yaml(tmp_path: Path) -> Path:
    (tmp_path / "gated.py").write_text(GATED_MODULE)
    (tmp_path / "gated.yaml").write_text("name: gated\nmodule: gated.py\nmasses: {parent_key: m_a, lsp_key: m_b}\n")
    return tmp_path / "gated.yaml"


def test_spec_factory_trains_loads_and_exports(low_dataset: PreparedDataset, gated_yaml: Path, tmp_path: Path) -> None:
    spec: AnalysisSpec = load_spec(gated_yaml)
    outputs = ModelOutputs.in_directory(tmp_path / "nn", "model.pt")
    metrics = run_nn(low_dataset, outputs, HYPER, seed=3, progress=False, model_factory=spec.model_factory)
    assert metrics["roc_auc"] > 0.85
    model, _, payload = load_model(str(outputs.model), spec.model_factory)
    assert type(model).__name__ == "GatedNet" and payload["model_factory"].endswith("gated_factory")
    deviation = export_model(outputs.model, "nn", low_dataset, tmp_path / "model.onnx", tmp_path / "parity.json",
                             model_factory=spec.model_factory)
    assert deviation < 1e-5
    scores = load_checked(tmp_path / "model.onnx", low_dataset.feature_names).predict(low_dataset.test.X)
    assert scores.shape == (len(low_dataset.test.X),) and ((scores >= 0) & (scores <= 1)).all()
    # the default factory cannot hold these weights: an error naming the file and the factory it was trained with
    with pytest.raises(ModelMetadataError, match=r"model\.pt: trained with model factory .*gated_factory"):
        load_model(str(outputs.model))


def test_cli_takes_the_factory_of_the_analysis_yaml(low_dataset: PreparedDataset, gated_yaml: Path,
                                                     tmp_path: Path) -> None:
    paths = split_paths_in(tmp_path / "dataset", "low")
    save_dataset(low_dataset, paths, paths["meta"])
    result = CliRunner().invoke(training, [
        "train-nn", "--dataset-dir", str(tmp_path / "dataset"), "--region", "low", "--output-dir", str(tmp_path / "nn"),
        "--hyper", json.dumps(HYPER), "--analysis-config", str(gated_yaml)])
    assert result.exit_code == 0, result.output
    assert torch.load(tmp_path / "nn" / "model.pt", weights_only=False)["model_factory"].endswith("gated_factory")
    assert json.loads((tmp_path / "nn" / "onnx_parity.json").read_text())["max_abs_deviation"] < 1e-5
