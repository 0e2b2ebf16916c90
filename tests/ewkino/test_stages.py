"""File-to-file chain: inputs -> training -> ONNX -> significance, yields, importance; and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from susyscan.analyses.ewkino import prepare
from susyscan.analyses.ewkino.cli import ewkino
from susyscan.analyses.ewkino.export import open_model
from susyscan.analyses.ewkino.inputs import read_inputs
from susyscan.analyses.ewkino.train import TrainConfig, split_parts
from susyscan.errors import ModelMetadataError
from susyscan.training.onnx_model import read_metadata
from susyscan.analyses.ewkino.stages import (evaluation_set, run_background_yields, run_export, run_importance,
                                            run_point_yields, run_significance, run_threshold_table, run_training)

from .conftest import CONFIG, TINY, make_input_files, metadata, synthetic_events


def test_prepare_chunk_writes_inputs_and_cutflow(tmp_path, monkeypatch):
    events = synthetic_events(30, True, 4)
    meta = metadata("sig_1000_100", n=30, masses={"m_squark": 1000, "m_electroweakino": 100})
    monkeypatch.setattr(prepare, "read_events", lambda path: (events, meta))
    result = CliRunner().invoke(ewkino, ["inputs", "--events", str(CONFIG), "--config", str(CONFIG),
                                         "--inputs-out", str(tmp_path / "in.npz"), "--cutflow-out", str(tmp_path / "cf.json"),
                                         "--pfcand-pt-min", "10", "--max-candidates", "8"])
    assert result.exit_code == 0, result.output
    cutflow = json.loads((tmp_path / "cf.json").read_text())
    inputs = read_inputs(tmp_path / "in.npz")
    assert cutflow["pfcand_pt_min"] == 10.0 and len(inputs) == {c["name"]: c for c in cutflow["cuts"]}["n_jets"]["n_raw"]
    assert inputs.max_candidates == 8 and (inputs.pfcands[inputs.mask][:, 0] > 2.302).all()  # log(10)


def test_chain(tmp_path, cfg):
    low = make_input_files(tmp_path, cfg, pt_min=1.0)
    high = make_input_files(tmp_path, cfg, pt_min=10.0)
    tables = {}
    for name, paths in (("low", low), ("high", high)):
        out = tmp_path / name
        metrics = run_training(paths, out / "model.pt", out / "history.csv", out / "metrics.json", TINY)
        assert metrics["samples"] == ["sig_1500_100", "znunu"]
        assert run_export(out / "model.pt", out / "model.onnx", paths, out / "parity.json") <= 1e-5
        tables[name] = run_significance(out / "model.onnx", paths, out / "z.csv", [300.0, 3000.0],
                                        ["sig_1500_100", "znunu"], None, 0.0, out / "scores.csv.gz")
    table = tables["low"]
    assert list(table["lumi_ifb"]) == [300.0, 3000.0] and (table["m_parent"] == 1500).all()
    # cut chosen on one half of the evaluation events, quoted on the other; the two halves cover them once
    model = open_model(tmp_path / "low" / "model.onnx")
    evaluated = evaluation_set(model, low, ["sig_1500_100", "znunu"])
    n_eval = len(evaluated)
    assert (table["n_optimise"] + table["n_quote"] == n_eval).all() and (table["n_optimise"] > 0).all()
    # no event is scored by a model that trained on it: the evaluated events of the training samples are exactly
    # the test split of the training, recomputed from the ids (the shared id-based split)
    parts = {name: set(zip(part.sample, part.ids().tolist())) for name, part in
             split_parts(read_inputs(low), TrainConfig.from_dict(TINY).split, TrainConfig.from_dict(TINY).seed).items()}
    assert set(zip(evaluated.sample, evaluated.ids().tolist())) == parts["test"]
    assert parts["test"] and not parts["test"] & (parts["train"] | parts["val"])
    assert len(parts["train"]) == json.loads((tmp_path / "low" / "metrics.json").read_text())["n_train"]
    model.metadata["training_split_scheme"] = ""  # a model of the former hash split: its test events are unknown
    with pytest.raises(ModelMetadataError, match="split"):
        evaluation_set(model, low, ["sig_1500_100", "znunu"])
    # the budget and the truncated fraction of the training inputs travel into the ONNX metadata
    budget = json.loads(read_metadata(tmp_path / "low" / "model.onnx")["candidate_budget"])
    trained = read_inputs(low)
    assert budget["max_candidates"] == 16 == trained.max_candidates
    assert budget["fraction_truncated"] == pytest.approx(float((trained.n_candidates > 16).mean()))
    assert table["z_nn"].iloc[1] == pytest.approx(table["z_nn"].iloc[0] * 10**0.5, rel=1e-6)
    joined = run_threshold_table(tmp_path / "low" / "z.csv", tmp_path / "high" / "z.csv", tmp_path / "t.csv",
                                 tmp_path / "t.md", tmp_path / "low" / "scores.csv.gz",
                                 tmp_path / "high" / "scores.csv.gz", n_boot=20)
    assert "ratio_1_over_10" in joined.columns and len(joined) == 2
    assert joined["ratio_boot_std"].notna().all() and joined["p_low_better"].between(0, 1).all()
    scores = pd.read_csv(tmp_path / "low" / "scores.csv.gz")
    assert len(scores) == n_eval and scores["optimise"].sum() == table["n_optimise"].iloc[0]
    sig = run_point_yields(tmp_path / "low" / "model.onnx", [low[0]], tmp_path / "sig.csv", 0.5, ["sig_1500_100"])
    assert list(sig["region"]) == ["baseline", "nn"] and (sig["m_lsp"] == 100).all()
    bkg = run_background_yields(tmp_path / "low" / "model.onnx", [low[1]], tmp_path / "bkg.csv", 0.5, [])
    assert set(bkg["process"]) == {"znunu", "total"}
    assert pd.read_csv(tmp_path / "bkg.csv")["yield_pb"].ge(0).all()
    imp = run_importance(tmp_path / "low" / "model.pt", low, tmp_path / "imp.csv", tmp_path / "imp.png", [], n_repeats=1)
    assert "pfcands (all)" in set(imp["feature"]) and (tmp_path / "imp.png").exists()


def test_training_reads_the_shared_dataset_stage(tmp_path, cfg):
    """The workflow's path (rule prepare_block_dataset's files, then the reader behind the ewkino CLI and train_nn hook) trains the same ensemble as the
    inputs files given directly; a dataset of another seed is refused (its test events would not be the ones the
    evaluation stages recompute)."""
    import torch

    from susyscan.analyses.ewkino.stages import run_training_from_dataset
    from susyscan.analyses.ewkino.train import DATASET_OPTIONS, MASS_REGION, WHOLE_GRID
    from susyscan.errors import ConfigError
    from susyscan.training.dataset import prepare_dataset, split_paths_in

    paths = make_input_files(tmp_path, cfg, pt_min=10.0)
    train_cfg = TrainConfig.from_dict(TINY)
    dataset = split_paths_in(tmp_path / "ds", MASS_REGION, fold=0, suffix=".npz")
    prepare_dataset(paths, dataset, dataset["meta"], MASS_REGION, WHOLE_GRID, 300.0, train_cfg.seed, train_cfg.split,
                    [], **DATASET_OPTIONS)
    models = {}
    for name, run in (("files", lambda out: run_training(paths, *out, TINY)),
                      ("dataset", lambda out: run_training_from_dataset(dataset, *out, TINY))):
        out = tmp_path / name
        metrics = run([out / "model.pt", out / "history.csv", out / "metrics.json"])
        models[name] = (torch.load(out / "model.pt", weights_only=False), metrics)
    (files, files_metrics), (from_dataset, dataset_metrics) = models["files"], models["dataset"]
    assert files_metrics == dataset_metrics
    assert all(torch.equal(a[k], b[k]) for a, b in zip(files["state_dicts"], from_dataset["state_dicts"]) for k in a)
    other = split_paths_in(tmp_path / "other", MASS_REGION, fold=0, suffix=".npz")
    prepare_dataset(paths, other, other["meta"], MASS_REGION, WHOLE_GRID, 300.0, train_cfg.seed + 1, train_cfg.split,
                    [], **DATASET_OPTIONS)
    with pytest.raises(ConfigError, match=r"other/all/fold0\.json: dataset built with .*'seed': 6"):
        run_training_from_dataset(other, tmp_path / "m.pt", tmp_path / "h.csv", tmp_path / "x.json", TINY)


def _more_input_files(directory, cfg, pt_min):
    """A second signal point and a second background (other cross sections), so that each class has two samples
    whose weights the loss weighting must not mix up (with one sample per class any per-sample scale cancels)."""
    from susyscan.analyses.ewkino.inputs import build_inputs, write_inputs
    from susyscan.analyses.ewkino.selection import select_events

    paths = []
    for sample, signal, seed, xsec in (("sig_1000_100", True, 13, 0.05), ("ttbar", False, 14, 2.0)):
        events = synthetic_events(90, signal, seed)
        meta = metadata(sample, n=90, masses={"m_squark": 1000, "m_electroweakino": 100} if signal else {},
                        xsec_pb=xsec)
        presel, baseline, _ = select_events(events, meta, cfg)
        paths.append(directory / f"{sample}_{pt_min:g}.npz")
        write_inputs(build_inputs(events, meta, cfg, presel, baseline, pt_min, 16), paths[-1])
    return paths


@pytest.mark.parametrize("weighting", ["cross_section", "per_point"])
def test_shared_run_nn_and_export_model_train_the_same_ensemble(tmp_path, cfg, weighting):
    """Issue 13: ewkino through the shared run_nn / export_model (stages.train_shared / export_shared) gives the
    members, standardisations, test AUCs, ONNX scores and significance table of its own stage
    (run_training_from_dataset / run_export); the ONNX metadata differ only in the training-data hash (the
    dataset's) and the single-fold keys the shared export adds."""
    import numpy as np
    import torch

    from susyscan.analyses.ewkino.stages import export_shared, run_training_from_dataset, train_shared
    from susyscan.analyses.ewkino.train import DATASET_OPTIONS, MASS_REGION, WHOLE_GRID
    from susyscan.training.dataset import load_dataset, prepare_dataset, split_paths_in
    from susyscan.training.export import FOLD_METADATA
    from susyscan.training.onnx_model import OnnxModel
    from susyscan.training.outputs import ModelOutputs
    from susyscan.training.train_nn import split_inputs

    paths = make_input_files(tmp_path, cfg, pt_min=10.0) + _more_input_files(tmp_path, cfg, 10.0)
    training = {**TINY, "signal_weighting": weighting}
    train_cfg = TrainConfig.from_dict(training)
    files = split_paths_in(tmp_path / "ds", MASS_REGION, fold=0, suffix=".npz")
    prepare_dataset(paths, files, files["meta"], MASS_REGION, WHOLE_GRID, 300.0, train_cfg.seed, train_cfg.split,
                    [], **DATASET_OPTIONS)
    own, shared = tmp_path / "own", tmp_path / "shared"
    own_metrics = run_training_from_dataset(files, own / "model.pt", own / "history.csv", own / "metrics.json", training)
    run_export(own / "model.pt", own / "model.onnx", paths, own / "parity.json")
    dataset = load_dataset(files, files["meta"])
    metrics = train_shared(dataset, train_cfg, str(files["meta"]), ModelOutputs.in_directory(shared, "model.pt"))
    assert export_shared(shared / "model.pt", dataset, shared / "model.onnx", shared / "parity.json") <= 1e-5
    before, after = (torch.load(d / "model.pt", weights_only=False) for d in (own, shared))
    assert len(after["state_dicts"]) == train_cfg.n_members
    assert all(torch.equal(a[k], b[k]) for a, b in zip(before["state_dicts"], after["state_dicts"]) for k in a)
    assert before["standardisations"] == after["standardisations"] and before["network_config"] == after["network_config"]
    assert {k: v for k, v in before.items() if k not in ("state_dicts", "training_data_hash")} == \
        {k: v for k, v in after.items() if k not in ("state_dicts", "training_data_hash")}
    assert after["training_data_hash"] == dataset.info["training_data_hash"]
    for key in ("test_auc", "test_auc_members", "best_epochs", "candidate_budget", "samples", "signal_weighting"):
        assert metrics[key] == own_metrics[key], key
    models = [OnnxModel(d / "model.onnx") for d in (own, shared)]
    test = split_inputs(dataset, dataset.test)
    assert np.array_equal(models[0].predict(test), models[1].predict(test))
    ignored = {"training_data_hash", *FOLD_METADATA}
    assert {k: v for k, v in models[0].metadata.items() if k not in ignored} == \
        {k: v for k, v in models[1].metadata.items() if k not in ignored}
    samples = ["sig_1000_100", "sig_1500_100", "ttbar", "znunu"]
    assert metrics["samples"] == samples
    tables = [run_significance(d / "model.onnx", paths, d / "z.csv", [300.0], samples) for d in (own, shared)]
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_spec_nn_hooks_are_the_shared_stages_on_the_dataset_files(tmp_path, cfg):
    """Issue 13: the shared rules train_nn / export_onnx call SPEC.train_nn / SPEC.export_nn with the dataset's files;
    they train the members of train_shared (torch.equal), write every ModelOutputs file and export with parity
    <= 1e-5, ewkino's score threshold in the metadata and the test-split score plot."""
    import torch

    from susyscan.analyses.ewkino import SPEC
    from susyscan.analyses.ewkino.stages import train_shared
    from susyscan.analyses.ewkino.train import DATASET_OPTIONS, MASS_REGION, WHOLE_GRID
    from susyscan.training.dataset import load_dataset, prepare_dataset, split_paths_in
    from susyscan.training.onnx_model import OnnxModel
    from susyscan.training.outputs import ModelOutputs

    assert SPEC.models == ("nn",) and SPEC.train_nn is not None and SPEC.export_nn is not None
    paths = make_input_files(tmp_path, cfg, pt_min=10.0) + _more_input_files(tmp_path, cfg, 10.0)
    train_cfg = TrainConfig.from_dict(TINY)
    files = split_paths_in(tmp_path / "ds", MASS_REGION, fold=0, suffix=".npz")
    prepare_dataset(paths, files, files["meta"], MASS_REGION, WHOLE_GRID, 300.0, train_cfg.seed, train_cfg.split,
                    [], **DATASET_OPTIONS)
    names = {k: str(v) for k, v in files.items() if k in ("train", "val", "test", "meta")}
    hook, direct = ModelOutputs.in_directory(tmp_path / "hook", "model.pt"), tmp_path / "direct"
    SPEC.train_nn(names, hook, dict(TINY))
    train_shared(load_dataset(files, files["meta"]), train_cfg, str(files["meta"]),
                 ModelOutputs.in_directory(direct, "model.pt"))
    for name in ("model", "metrics", "history", "loss", "roc"):
        assert getattr(hook, name).is_file(), name
    before, after = (torch.load(p, weights_only=False) for p in (direct / "model.pt", hook.model))
    assert all(torch.equal(a[k], b[k]) for a, b in zip(before["state_dicts"], after["state_dicts"]) for k in a)
    onnx, parity, plot = (tmp_path / "hook" / n for n in ("model.onnx", "parity.json", "scores.png"))
    assert SPEC.export_nn(str(hook.model), names, str(onnx), str(parity), 0.8, str(plot)) <= 1e-5
    assert plot.is_file() and float(OnnxModel(onnx).metadata["score_threshold"]) == 0.8
