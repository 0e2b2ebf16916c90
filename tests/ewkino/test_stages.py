"""File-to-file chain: inputs -> training -> ONNX -> significance, the shared scan's yields, importance; and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from susyscan.analyses.ewkino import prepare
from susyscan.analyses.ewkino.cli import ewkino
from susyscan.analyses.ewkino.export import open_model
from susyscan.analyses.ewkino.inputs import read_inputs
from susyscan.analyses.ewkino.export import budget as budget_of
from susyscan.analyses.ewkino.train import TrainConfig
from susyscan.errors import ModelMetadataError
from susyscan.training.folds import event_ids
from susyscan.training.onnx_model import read_metadata
from susyscan.analyses.ewkino import BASELINE_FLAG, SPEC
from susyscan.analyses.ewkino.stages import (fold_ensemble, held_out_events, id_frame, inputs_dataset, run_importance,
                                            run_significance, run_threshold_table)
from susyscan.analyses.ewkino.train import blocks
from susyscan.scan.yields import compute_background_yields, compute_point_yields

from .conftest import CONFIG, TINY, make_input_files, metadata, synthetic_events, train_tiny


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


def _cli(*args) -> None:
    result = CliRunner().invoke(ewkino, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def test_chain(tmp_path, cfg):
    low = make_input_files(tmp_path, cfg, pt_min=1.0)
    high = make_input_files(tmp_path, cfg, pt_min=10.0)
    tables = {}
    for name, paths in (("low", low), ("high", high)):
        out = tmp_path / name
        _cli("train", *paths, "--output-dir", out, "--training", json.dumps(TINY))
        assert json.loads((out / "metrics.json").read_text())["samples"] == ["sig_1500_100", "znunu"]
        _cli("export", *paths, "--model", out / "model.pt", "--onnx-out", out / "model.onnx", "--parity-out",
             out / "parity.json", "--training", json.dumps(TINY))
        assert json.loads((out / "parity.json").read_text())["max_abs_deviation"] <= 1e-5
        tables[name] = run_significance(out / "model.onnx", paths, out / "z.csv", [300.0, 3000.0], None, 0.0,
                                        out / "scores.csv.gz")
    table = tables["low"]
    assert list(table["lumi_ifb"]) == [300.0, 3000.0] and (table["m_parent"] == 1500).all()
    # cut chosen on one half of the evaluation events, quoted on the other; the two halves cover them once
    model = open_model(tmp_path / "low" / "model.onnx")
    _, evaluated, _ = held_out_events(tmp_path / "low" / "model.onnx", low)
    n_eval = len(evaluated)
    assert (table["n_optimise"] + table["n_quote"] == n_eval).all() and (table["n_optimise"] > 0).all()
    # no event is scored by a model that trained on it: the evaluated events of the training samples are exactly
    # the test split of the training's dataset, recomputed from the ids (the shared id-based split)
    dataset = inputs_dataset(low, TrainConfig.from_dict(TINY))
    parts = {name: set(zip(split.frame["sample"], event_ids(split.frame).tolist()))
             for name, split in (("train", dataset.train), ("val", dataset.val), ("test", dataset.test))}
    assert set(zip(evaluated.sample, evaluated.ids().tolist())) == parts["test"]
    assert parts["test"] and not parts["test"] & (parts["train"] | parts["val"])
    assert len(parts["test"]) == json.loads((tmp_path / "low" / "metrics.json").read_text())["n_test"]
    # n(sample) / n(sample, test) per trained sample (its weighted total kept in expectation), as the shared scan
    everything = read_inputs(low)
    full = dict(zip(zip(everything.sample, everything.ids().tolist()), everything.weight_pb))
    for name in ("sig_1500_100", "znunu"):
        of_sample = evaluated.sample == name
        factor = (everything.sample == name).sum() / of_sample.sum()
        keys = zip(evaluated.sample[of_sample], evaluated.ids()[of_sample].tolist())
        np.testing.assert_allclose(evaluated.weight_pb[of_sample], [full[key] * factor for key in keys], rtol=1e-15)
    ensemble = fold_ensemble([tmp_path / "low" / "model.onnx"])
    ensemble.models[0].metadata["split_scheme"] = "sample"  # a model of another split: its test events are unknown
    with pytest.raises(ModelMetadataError, match="id-based split"):
        ensemble.checked_assignment(id_frame(everything), "low inputs")
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
    # the scan: the shared scan_point / background_yields on the exported model, its regions from SPEC.scan_regions
    # (the network region counts the test split of the trained samples, weighted up; baseline every event)
    regions = [region.entry(lambda model: [str(tmp_path / "low" / "model.onnx")]) for region in SPEC.scan_regions]
    features = {}
    for path in low:
        inputs = read_inputs(path)
        features[path] = tmp_path / f"{inputs.sample[0]}.csv.gz"
        pd.DataFrame({"sample": inputs.sample, "process": inputs.sample, "is_signal": inputs.is_signal,
                      "m_parent": inputs.m_parent, "m_lsp": inputs.m_lsp, "chunk": inputs.chunk, "event": inputs.event,
                      "weight_pb": inputs.weight_pb, BASELINE_FLAG: inputs.baseline.astype(int)}
                     ).to_csv(features[path], index=False)
    sig = compute_point_yields(features[low[0]], tmp_path / "sig.csv", regions, input_paths=[low[0]])
    assert list(sig["region"]) == ["baseline", "nn"] and (sig["m_lsp"] == 100).all()
    bkg = compute_background_yields([features[low[1]]], tmp_path / "bkg.csv", regions,
                                    input_paths={"znunu": [low[1]]})
    assert set(bkg["process"]) == {"znunu", "total"}
    # the network region holds exactly the evaluated (test-split) events above the model's cut
    passing = evaluated.subset(model.predict(blocks(evaluated)) > model.score_threshold)
    n_nn = {name: int((passing.sample == name).sum()) for name in ("sig_1500_100", "znunu")}
    assert sig.set_index("region").loc["nn", "n_raw"] == n_nn["sig_1500_100"]
    assert bkg.set_index(["region", "process"]).loc[("nn", "total"), "n_raw"] == n_nn["znunu"]
    imp = run_importance(tmp_path / "low" / "model.onnx", low, tmp_path / "imp.csv", tmp_path / "imp.png", n_repeats=1)
    assert "pfcands (all)" in set(imp["feature"]) and (tmp_path / "imp.png").exists()


def _dataset_files(directory, paths, training):
    """The files of rule prepare_block_dataset (fold 0 of the configured kfold) for ``paths``."""
    from susyscan.analyses.ewkino import DATASET_OPTIONS
    from susyscan.analyses.ewkino.train import MASS_REGION, WHOLE_GRID
    from susyscan.training.dataset import prepare_dataset, split_paths_in

    cfg = TrainConfig.from_dict(training)
    files = split_paths_in(directory, MASS_REGION, fold=0, suffix=".npz")
    prepare_dataset(paths, files, files["meta"], MASS_REGION, WHOLE_GRID, 300.0, cfg.seed, cfg.split, [],
                    **{**DATASET_OPTIONS, "kfold": cfg.kfold, "fold": 0})
    return files


def test_training_reads_the_shared_dataset_stage(tmp_path, cfg):
    """The workflow's path (rule prepare_block_dataset's files, then the spec's train_nn hook) trains the same
    ensemble as the CLI's (the dataset built in memory from the inputs files); a dataset of another seed is refused
    (its test events would not be the ones the evaluation stages recompute)."""
    import torch

    from susyscan.analyses.ewkino import SPEC
    from susyscan.errors import ConfigError
    from susyscan.training.outputs import ModelOutputs

    paths = make_input_files(tmp_path, cfg, pt_min=10.0)
    files = _dataset_files(tmp_path / "ds", paths, TINY)
    hook = ModelOutputs.in_directory(tmp_path / "hook", "model.pt")
    hook_metrics = SPEC.train_nn({k: str(v) for k, v in files.items() if k != "heldout"}, hook, dict(TINY))
    _, cli_metrics, cli = train_tiny(tmp_path / "cli", paths)
    assert hook_metrics == cli_metrics
    a, b = (torch.load(o.model, weights_only=False) for o in (hook, cli))
    assert all(torch.equal(x[k], y[k]) for x, y in zip(a["state_dicts"], b["state_dicts"]) for k in x)
    other = _dataset_files(tmp_path / "other", paths, dict(TINY, seed=TINY["seed"] + 1))
    with pytest.raises(ConfigError, match=r"other/all/fold0\.json: dataset built with .*'seed': 6"):
        SPEC.train_nn({k: str(v) for k, v in other.items() if k != "heldout"}, hook, dict(TINY))


def test_kfold_1_held_out_table_is_the_test_table_written_once(tmp_path, cfg):
    """kfold 1: the held-out table holds what the test table holds (the same file, hard-linked or copied) and reads
    back as the test split, checked against the held-out ids of the meta JSON."""
    from susyscan.training.dataset import load_dataset

    files = _dataset_files(tmp_path / "ds", make_input_files(tmp_path, cfg), TINY)
    assert files["heldout"].read_bytes() == files["test"].read_bytes()
    dataset = load_dataset(files, files["meta"])
    assert dataset.heldout is not None and dataset.heldout.frame.equals(dataset.test.frame)
    assert all(np.array_equal(dataset.heldout.blocks[k], dataset.test.blocks[k]) for k in dataset.test.blocks)


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
def test_loss_weights_are_the_signal_weighting_of_each_split(tmp_path, cfg, monkeypatch, weighting):
    """The per-event loss weights the shared trainer receives (run_nn's event_weights) are, for the train and val
    splits, the analysis' signal weighting of that split's rows, computed here from the split table: |weight_pb|
    (cross_section) or, for signal events, |weight_pb| over the summed |weight_pb| of their grid point in the split
    (per_point). Two signal points and two backgrounds of different cross sections, so that the per-sample scales do
    not cancel."""
    import susyscan.training.stages as shared_stages

    paths = make_input_files(tmp_path, cfg, pt_min=10.0) + _more_input_files(tmp_path, cfg, 10.0)
    seen = {}
    original = shared_stages.train_classifier

    def recording(dataset, *args, event_weights=None, **kwargs):
        seen.update({name: (getattr(dataset, name).frame, event_weights(name, getattr(dataset, name)))
                     for name in ("train", "val")})
        return original(dataset, *args, event_weights=event_weights, **kwargs)

    monkeypatch.setattr(shared_stages, "train_classifier", recording)
    train_tiny(tmp_path / "m", paths, {**TINY, "epochs": 1, "signal_weighting": weighting})
    for name, (frame, weights) in seen.items():
        expected = frame["weight_pb"].to_numpy(dtype=float)
        if weighting == "per_point":
            expected = np.abs(expected)
            signal = frame["is_signal"].to_numpy() == 1
            sums = frame[signal].assign(w=expected[signal]).groupby("sample")["w"].sum()
            expected[signal] /= frame.loc[signal, "sample"].map(sums).to_numpy()
            assert set(frame.loc[signal, "sample"]) == {"sig_1000_100", "sig_1500_100"}, name
        np.testing.assert_allclose(weights, expected, rtol=1e-14, atol=0, err_msg=name)


def test_spec_nn_hooks_train_and_export_on_the_dataset_files(tmp_path, cfg):
    """Issue 13: the shared rules train_nn / export_onnx call SPEC.train_nn / SPEC.export_nn with the dataset's files;
    model.pt records the dataset's training-data hash and the configured ensemble, every ModelOutputs file is
    written, the export passes the parity check (<= 1e-5) with ewkino's metadata (split, seed, budget, score cut)
    and writes the test-split score plot."""
    import torch

    from susyscan.analyses.ewkino import SPEC
    from susyscan.training.outputs import ModelOutputs

    assert SPEC.models == ("nn",) and SPEC.train_nn is not None and SPEC.export_nn is not None
    paths = make_input_files(tmp_path, cfg, pt_min=10.0) + _more_input_files(tmp_path, cfg, 10.0)
    files = _dataset_files(tmp_path / "ds", paths, TINY)
    names = {k: str(v) for k, v in files.items() if k in ("train", "val", "test", "meta")}
    hook = ModelOutputs.in_directory(tmp_path / "hook", "model.pt")
    metrics = SPEC.train_nn(names, hook, dict(TINY))
    for name in ("model", "metrics", "history", "loss", "roc"):
        assert getattr(hook, name).is_file(), name
    meta = json.loads(files["meta"].read_text())
    payload = torch.load(hook.model, weights_only=False)
    assert payload["training_data_hash"] == meta["training_data_hash"] == metrics["training_data_hash"]
    assert len(payload["state_dicts"]) == payload["n_members"] == TINY["n_members"] and payload["seed"] == TINY["seed"]
    assert metrics["n_test"] == meta["n_events"]["test"] and metrics["samples"] == sorted(s["sample"] for s in meta["samples"])
    onnx, parity, plot = (tmp_path / "hook" / n for n in ("model.onnx", "parity.json", "scores.png"))
    assert SPEC.export_nn(str(hook.model), names, str(onnx), str(parity), 0.8, str(plot)) <= 1e-5
    model = open_model(onnx)
    assert plot.is_file() and float(model.metadata["score_threshold"]) == 0.8
    assert json.loads(model.metadata["training_split"]) == [0.6, 0.2, 0.2] and model.metadata["training_seed"] == "5"
    assert model.metadata["training_data_hash"] == meta["training_data_hash"] and budget_of(model) == 16
    # the shared fold metadata of the kfold-1 dataset: what the scan recomputes the test (held-out) split from
    assert json.loads(model.metadata["split_fractions"]) == meta["split_fractions"] == [0.6, 0.2, 0.2]
    assert model.metadata["split_scheme"] == model.metadata["training_split_scheme"] and model.kfold == 1
