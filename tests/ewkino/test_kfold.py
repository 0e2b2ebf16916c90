"""k >= 2 (analyses.ewkino.training.kfold): fold datasets, one ensemble per fold, out-of-fold evaluation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.ewkino.stages import (export_options, fold_ensemble, inputs_dataset, run_importance,
                                            run_significance, scored_inputs)
from susyscan.analyses.ewkino.train import TrainConfig
from susyscan.errors import ModelMetadataError
from susyscan.training.folds import LeakageError, event_ids
from susyscan.training.onnx_model import OnnxModel
from susyscan.training.stages import export_model

from .conftest import TINY, make_input_files, train_tiny

K = 3
TRAINED = ["sig_1500_100", "znunu"]


def _ids(frame: pd.DataFrame) -> set[tuple[str, int]]:
    return set(zip(frame["sample"].astype(str), event_ids(frame).tolist()))


@pytest.fixture
def folds(tmp_path, cfg):
    """The inputs files, the k fold datasets (in memory, as rule prepare_block_dataset builds them) and the fold
    models exported by the shared export_model (fold order)."""
    paths = make_input_files(tmp_path, cfg, n_events=150)
    training = dict(TINY, epochs=1, kfold=K)
    datasets, onnx = [], []
    for fold in range(K):
        dataset, _, outputs = train_tiny(tmp_path / f"fold{fold}", paths, training, fold)
        onnx.append(tmp_path / f"fold{fold}" / "model.onnx")
        export_model(outputs.model, "nn", dataset, onnx[-1], None, 0.9, **export_options(0.9))
        datasets.append(dataset)
    return paths, datasets, onnx


def test_every_event_is_scored_once_by_the_fold_model_that_held_it_out(tmp_path, folds):
    """The leakage check through stable event ids: the events each fold model scores in the significance stage are
    exactly its dataset's held-out events, never one of its train/val/test events; the k held-out sets partition
    the events, each event has its full weight and the score of the model that held it out."""
    paths, datasets, onnx = folds
    table = run_significance(onnx, paths, tmp_path / "z.csv", [300.0], None, 0.0, tmp_path / "s.csv.gz")
    scores = pd.read_csv(tmp_path / "s.csv.gz")
    inputs, _, _ = scored_inputs(onnx, paths)
    assert len(scores) == len(inputs) == int(table["n_optimise"].iloc[0] + table["n_quote"].iloc[0])
    scored = _ids(scores)
    assert len(scored) == len(scores)
    held = [_ids(d.heldout.frame) for d in datasets]
    assert set().union(*held) == scored and sum(len(h) for h in held) == len(scored)  # a partition of the events
    for fold, (dataset, model) in enumerate(zip(datasets, onnx)):
        trained_on = _ids(dataset.train.frame) | _ids(dataset.val.frame) | _ids(dataset.test.frame)
        assert trained_on and not trained_on & held[fold], fold  # the fold model never scores its training events
        rows = np.array([(s, i) in held[fold] for s, i in zip(scores["sample"], event_ids(scores).tolist())])
        expected = OnnxModel(model).predict((dataset.heldout.blocks["highlevel"], dataset.heldout.blocks["pfcands"]))
        order = {key: k for k, key in enumerate(zip(dataset.heldout.frame["sample"],
                                                    event_ids(dataset.heldout.frame).tolist()))}
        index = [order[key] for key in zip(scores["sample"][rows], event_ids(scores[rows]).tolist())]
        # the table keeps 9 significant digits; another fold's model differs by far more
        np.testing.assert_allclose(scores.loc[rows, "score"].to_numpy(), expected[index], rtol=1e-8, atol=0)
    assert np.isfinite(scores["score"]).all()


def test_fold_models_out_of_order_or_not_holding_out_the_events_are_refused(tmp_path, folds):
    """A fold model listed at another fold's index is refused; a model whose held-out ids are not the events it is
    given (here: fold 1's fingerprints on fold 0's model) is a LeakageError."""
    paths, _, onnx = folds
    with pytest.raises(ModelMetadataError, match="holds out fold"):
        fold_ensemble([onnx[1], onnx[0], onnx[2]])
    ensemble = fold_ensemble(onnx)
    ensemble.models[0].heldout_ids = ensemble.models[1].heldout_ids
    from susyscan.analyses.ewkino.inputs import read_inputs
    from susyscan.analyses.ewkino.stages import id_frame
    from susyscan.analyses.ewkino.train import blocks
    from susyscan.scan.inference import region_scores

    inputs = read_inputs(paths)
    with pytest.raises(LeakageError, match="not the ones its training held out"):  # the scan's path
        region_scores(ensemble, id_frame(inputs), blocks(inputs), 1000, "test")
    with pytest.raises(LeakageError, match="not the ones its training held out"):  # significance / importance's
        ensemble.checked_assignment(id_frame(inputs), "test")
    with pytest.raises(ModelMetadataError, match="holds out fold 0/3, listed as 0/1"):  # one fold model alone
        run_significance(onnx[0], paths, tmp_path / "z.csv", [300.0])


def test_kfold_dataset_and_importance(tmp_path, cfg, folds):
    """The fold datasets record kfold and fold, a training whose kfold differs from the dataset's is refused, and
    the permutation importance runs on the fold models (every event, out of fold)."""
    from susyscan.analyses.ewkino.stages import train_shared
    from susyscan.errors import ConfigError
    from susyscan.training.outputs import ModelOutputs

    paths, datasets, onnx = folds
    assert [(d.info["kfold"], d.info["fold"]) for d in datasets] == [(K, f) for f in range(K)]
    with pytest.raises(ConfigError, match="'kfold': 3"):
        train_shared(datasets[0], TrainConfig.from_dict(TINY), "fold0", ModelOutputs.in_directory(tmp_path / "x", "m.pt"))
    one = inputs_dataset(paths, TrainConfig.from_dict(TINY))
    assert one.info["kfold"] == 1 and json.loads(json.dumps(one.info["split_fractions"])) == [0.6, 0.2, 0.2]
    table = run_importance(onnx, paths, tmp_path / "imp.csv", tmp_path / "imp.png", n_repeats=1)
    assert "pfcands (all)" in set(table["feature"]) and (tmp_path / "imp.png").is_file()


def test_importance_on_a_subset_checks_the_folds_on_every_event(tmp_path, folds):
    """With more events than max_events the importance draws a subset: the held-out check runs on all the events
    (a subset is never a fold model's whole held-out set, LeakageError before) and the subset's events are scored by
    the fold model that held them out."""
    from susyscan.analyses.ewkino.inputs import read_inputs

    paths, _, onnx = folds
    n = len(read_inputs(paths))
    table = run_importance(onnx, paths, tmp_path / "imp.csv", tmp_path / "imp.png", n_repeats=1,
                           max_events=n // 3)
    assert "pfcands (all)" in set(table["feature"])
    whole = run_importance(onnx, paths, tmp_path / "all.csv", tmp_path / "all.png", n_repeats=1, max_events=n)
    again = run_importance(onnx, paths, tmp_path / "all2.csv", tmp_path / "all2.png", n_repeats=1)
    pd.testing.assert_frame_equal(whole, again)  # max_events >= n: every event, as without a limit
