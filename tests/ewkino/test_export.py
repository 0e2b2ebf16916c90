"""ONNX export: one graph for the ensemble, parity with torch, metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest

from susyscan.errors import ModelMetadataError
from susyscan.analyses.ewkino.export import MODEL_TYPE, budget, open_model
from susyscan.analyses.ewkino.train import blocks, load_ensemble
from susyscan.training.export import ExportParityError, check_parity
from susyscan.training.onnx_model import read_metadata

from .conftest import TINY, train_tiny


@pytest.fixture
def exported(input_set, tmp_path):
    """The tiny ensemble of the input_set files (train_tiny) exported by the shared export_model with ewkino's
    options (the CLI's and the export_onnx rule's path), score cut 0.8."""
    from susyscan.analyses.ewkino.stages import export_options
    from susyscan.training.stages import export_model

    paths = sorted(tmp_path.glob("*.npz"))
    dataset, _, outputs = train_tiny(tmp_path / "m", paths, dict(TINY, epochs=1))
    export_model(outputs.model, "nn", dataset, tmp_path / "model.onnx", tmp_path / "parity.json", 0.8,
                 **export_options(0.8))
    return load_ensemble(outputs.model), tmp_path / "model.onnx"


def test_parity_and_metadata(exported, input_set):
    trained, path = exported
    native = trained.predict(blocks(input_set))
    diff = check_parity(path, blocks(input_set), native, tolerance=1e-5)
    assert diff <= 1e-5
    with pytest.raises(ExportParityError):  # the check can fail: a shifted score is refused
        check_parity(path, blocks(input_set), native + 2e-5, tolerance=1e-5)
    meta = read_metadata(path)
    assert json.loads(meta["feature_names"]) == input_set.feature_names
    assert json.loads(meta["pfcand_feature_names"]) == input_set.pfcand_feature_names
    assert int(meta["max_candidates"]) == input_set.max_candidates == 16
    assert float(meta["padding_value"]) == input_set.padding_value
    assert float(meta["pfcand_pt_min"]) == 1.0 and int(meta["n_members"]) == 2 and meta["model_type"] == MODEL_TYPE
    assert float(meta["score_threshold"]) == 0.8 and meta["mass_region"] == "all"
    assert meta["training_data_hash"] == trained.payload["training_data_hash"]
    blocks_meta = json.loads(meta["input_blocks"])
    assert [b["name"] for b in blocks_meta] == ["highlevel", "pfcands"] and blocks_meta[1]["slots"] == 16
    session = open_model(path, input_set.feature_names, input_set.pfcand_feature_names, 16)
    inputs = [i.name for i in session.session.get_inputs()]
    assert inputs == ["highlevel", "pfcands"] and budget(session) == 16
    scores = session.predict(blocks(input_set), batch_size=7)  # batching does not matter
    assert scores.shape == (len(input_set),) and np.all((scores >= 0) & (scores <= 1))
    assert np.abs(scores - native).max() <= 1e-5


def test_metadata_mismatch_is_refused(exported, input_set):
    _, path = exported
    with pytest.raises(ModelMetadataError, match="max_candidates"):
        open_model(path, max_candidates=64)
    with pytest.raises(ModelMetadataError, match="feature list mismatch of input 'highlevel'"):
        open_model(path, feature_names=input_set.feature_names[::-1])
    with pytest.raises(ModelMetadataError, match="feature list mismatch of input 'pfcands'"):
        open_model(path, pfcand_feature_names=input_set.pfcand_feature_names[::-1])
