"""ONNX export: one graph for the ensemble, parity with torch, metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest

from susyscan.errors import ModelMetadataError
from susyscan.analyses.ewkino.export import MODEL_TYPE, OnnxEnsemble, export_onnx, parity_check, read_metadata
from susyscan.analyses.ewkino.train import TrainConfig, load_ensemble, save_ensemble, train_ensemble

from .conftest import TINY


@pytest.fixture
def exported(input_set, tmp_path):
    cfg = TrainConfig.from_dict(dict(TINY, epochs=1))
    model, _, _ = train_ensemble(input_set, cfg)
    save_ensemble(model, input_set, cfg, tmp_path / "model.pt")
    model, info = load_ensemble(tmp_path / "model.pt")
    export_onnx(model, info, tmp_path / "model.onnx")
    return model, tmp_path / "model.onnx"


def test_parity_and_metadata(exported, input_set):
    model, path = exported
    diff = parity_check(model, path, input_set.highlevel, input_set.pfcands, atol=1e-5)
    assert diff <= 1e-5
    meta = read_metadata(path)
    assert json.loads(meta["feature_names"]) == input_set.feature_names
    assert json.loads(meta["pfcand_feature_names"]) == input_set.pfcand_feature_names
    assert int(meta["max_candidates"]) == input_set.max_candidates == 16
    assert float(meta["padding_value"]) == input_set.padding_value
    assert float(meta["pfcand_pt_min"]) == 1.0 and int(meta["n_members"]) == 2 and meta["model_type"] == MODEL_TYPE
    session = OnnxEnsemble(path, input_set.feature_names, input_set.pfcand_feature_names, 16)
    inputs = [i.name for i in session.session.get_inputs()]
    assert inputs == ["highlevel", "pfcands"]
    scores = session.predict(input_set.highlevel, input_set.pfcands, batch=7)  # batching does not matter
    assert scores.shape == (len(input_set),) and np.all((scores >= 0) & (scores <= 1))


def test_metadata_mismatch_is_refused(exported, input_set):
    _, path = exported
    with pytest.raises(ModelMetadataError, match="max_candidates"):
        OnnxEnsemble(path, max_candidates=64)
    with pytest.raises(ModelMetadataError, match="feature_names"):
        OnnxEnsemble(path, feature_names=input_set.feature_names[::-1])
