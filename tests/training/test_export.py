"""ONNX export: parity with native NN and BDT, metadata, feature-list check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import FeatureError, ModelMetadataError
from susyscan.training.export import ExportParityError, check_parity, export_bdt, export_nn, model_metadata
from susyscan.training.network import NetworkConfig, build_classifier
from susyscan.training.onnx_model import load_checked, read_metadata
from susyscan.training.train_bdt import BDTConfig, predict_bdt, train_bdt
from susyscan.training.train_nn import predict_raw


@pytest.fixture()
def metadata(low_dataset) -> dict[str, str]:
    return model_metadata(low_dataset.feature_names, "low", 0.7, low_dataset.info["training_data_hash"], "nn")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_nn_export_matches_torch_with_folded_standardisation(low_dataset, metadata, tmp_path, activation):
    model = build_classifier(NetworkConfig(n_inputs=37, activation=activation, init_std=0.5), seed=2)
    export_nn(model, low_dataset.standardisation, metadata, tmp_path / "nn.onnx")
    native = predict_raw(model, low_dataset.standardisation, low_dataset.test.X)
    assert native.std() > 1e-3  # non-trivial scores
    deviation = check_parity(tmp_path / "nn.onnx", low_dataset.test.X, native)
    assert deviation < 1e-5


def test_bdt_export_matches_xgboost(low_dataset, tmp_path):
    config = BDTConfig(n_estimators=40, max_depth=5, early_stopping_rounds=100, subsample=0.7)
    result = train_bdt(low_dataset, config)
    assert result.booster.num_boosted_rounds() == 40
    export_bdt(result.booster, 37, model_metadata(low_dataset.feature_names, "low", 0.7, "h", "bdt"),
               tmp_path / "bdt.onnx")
    for split in (low_dataset.train, low_dataset.test):
        native = predict_bdt(result.booster, split.X)
        assert check_parity(tmp_path / "bdt.onnx", split.X, native) < 1e-5


def test_bdt_is_reproducible(low_dataset):
    config = BDTConfig(n_estimators=15, subsample=0.7, seed=3)
    first = predict_bdt(train_bdt(low_dataset, config).booster, low_dataset.test.X)
    second = predict_bdt(train_bdt(low_dataset, config).booster, low_dataset.test.X)
    assert np.array_equal(first, second)


def test_parity_failure_raises(low_dataset, metadata, tmp_path):
    model = build_classifier(NetworkConfig(n_inputs=37), seed=2)
    export_nn(model, low_dataset.standardisation, metadata, tmp_path / "nn.onnx")
    native = predict_raw(model, low_dataset.standardisation, low_dataset.test.X)
    with pytest.raises(ExportParityError, match="nn.onnx"):
        check_parity(tmp_path / "nn.onnx", low_dataset.test.X, native + 1e-3)


def test_metadata_and_load_checked(low_dataset, metadata, tmp_path):
    model = build_classifier(NetworkConfig(n_inputs=37), seed=2)
    export_nn(model, low_dataset.standardisation, metadata, tmp_path / "nn.onnx")
    props = read_metadata(tmp_path / "nn.onnx")
    assert json.loads(props["feature_names"]) == low_dataset.feature_names
    assert props["mass_region"] == "low" and props["model_type"] == "nn"
    assert props["training_data_hash"] == low_dataset.info["training_data_hash"]
    loaded = load_checked(tmp_path / "nn.onnx", low_dataset.feature_names)
    assert loaded.score_threshold == 0.7
    frame = pd.DataFrame(low_dataset.test.X, columns=low_dataset.feature_names)
    shuffled = frame[frame.columns[::-1]].assign(extra=1.0)
    by_frame = loaded.predict(shuffled)
    by_array = loaded.predict(low_dataset.test.X, batch_size=7)
    assert np.allclose(by_frame, by_array, atol=0, rtol=0)
    assert np.array_equal(loaded.passes(frame), by_array > 0.7)


def test_load_checked_refuses_other_feature_list(low_dataset, metadata, tmp_path):
    model = build_classifier(NetworkConfig(n_inputs=37), seed=2)
    export_nn(model, low_dataset.standardisation, metadata, tmp_path / "nn.onnx")
    swapped = list(low_dataset.feature_names)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    with pytest.raises(ModelMetadataError, match=r"position 3: caller has 'x04', model has 'x03'"):
        load_checked(tmp_path / "nn.onnx", swapped)
    with pytest.raises(ModelMetadataError, match="lengths differ"):
        load_checked(tmp_path / "nn.onnx", low_dataset.feature_names[:-1])


def test_predict_rejects_wrong_inputs(low_dataset, metadata, tmp_path):
    model = build_classifier(NetworkConfig(n_inputs=37), seed=2)
    export_nn(model, low_dataset.standardisation, metadata, tmp_path / "nn.onnx")
    loaded = load_checked(tmp_path / "nn.onnx", low_dataset.feature_names)
    with pytest.raises(FeatureError, match="x00"):
        loaded.predict(pd.DataFrame({"x01": [1.0]}))
    with pytest.raises(FeatureError, match=r"\(n, 37\)"):
        loaded.predict(np.zeros((3, 36)))


def test_fold_metadata_of_a_single_fold_records_its_split():
    """kfold 1: the held-out events are the test split, so the split fractions and scheme travel with the fold keys
    (what the scan recomputes the test split from); k >= 2 and datasets without folds add nothing of the split."""
    from susyscan.training.export import fold_metadata

    info = {"kfold": 1, "fold": 0, "fold_seed": 3, "fold_scheme": "single", "heldout_ids": {"a": "f"},
            "split_fractions": [0.6, 0.2, 0.2], "split_scheme": "id"}
    from susyscan.training.splitting import SPLIT_ID_SCHEME

    single = fold_metadata(info)  # the id scheme written as its hash, what the scan checks
    assert json.loads(single["split_fractions"]) == [0.6, 0.2, 0.2] and single["split_scheme"] == SPLIT_ID_SCHEME
    assert fold_metadata({k: v for k, v in info.items() if k != "split_scheme"})["split_scheme"] == "sample"
    assert "split_fractions" not in fold_metadata({**info, "kfold": 3}) and fold_metadata({"seed": 1}) == {}
