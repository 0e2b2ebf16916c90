"""Model invariances (permutation, masking) and training reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from susyscan.analyses.ewkino.model import NetConfig, build_member
from susyscan.analyses.ewkino.train import TrainConfig, blocks, load_ensemble, training_weights
from susyscan.errors import ConfigError, EmptySelectionError
from susyscan.training.onnx_nn import ScoringModule
from susyscan.training.standardise import Standardisation

from .conftest import TINY, make_input_files, train_tiny


def random_model(n_hl: int = 5, n_pf: int = 4, m: int = 8, seed: int = 0) -> ScoringModule:
    """Three random members behind the shared scoring module (raw inputs, identity standardisation)."""
    net = NetConfig(phi_sizes=(16, 16), rho_sizes=(16,), highlevel_sizes=(16,), head_sizes=(8,), n_highlevel=n_hl,
                    n_pfcand=n_pf, max_candidates=m)
    blocks_ = [Standardisation(tuple(f"h{i}" for i in range(n_hl)), np.zeros(n_hl), np.ones(n_hl), "highlevel", -999.0),
               Standardisation(tuple(f"p{i}" for i in range(n_pf)), np.zeros(n_pf), np.ones(n_pf), "pfcands", -999.0, m)]
    return ScoringModule([build_member(net, seed + k) for k in range(3)], blocks_).eval()


def random_inputs(n: int = 10, n_hl: int = 5, n_pf: int = 4, m: int = 8, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    hl = torch.randn(n, n_hl, generator=gen)
    pf = torch.randn(n, m, n_pf, generator=gen)
    n_real = torch.randint(1, m, (n,), generator=gen)
    pf[torch.arange(m)[None, :] >= n_real[:, None]] = -999.0
    return hl, pf


def test_permutation_invariance():
    model = random_model()
    hl, pf = random_inputs()
    with torch.no_grad():
        ref = model(hl, pf)
        for seed in range(3):
            perm = torch.randperm(pf.shape[1], generator=torch.Generator().manual_seed(seed))
            assert torch.allclose(model(hl, pf[:, perm]), ref, atol=1e-6, rtol=0)


def test_padded_entries_do_not_change_score():
    model = random_model()
    hl, pf = random_inputs()
    garbage = pf.clone()
    padded = garbage[:, :, 0] == -999.0
    assert padded.any()
    garbage[..., 1:][padded] = 1e3  # only feature 0 marks padding; other features are ignored
    with torch.no_grad():
        assert torch.allclose(model(hl, garbage), model(hl, pf), atol=1e-6, rtol=0)
        # a real candidate turned into padding does change the score (the mask is not a no-op)
        dropped = pf.clone()
        dropped[:, 0] = -999.0
        assert not torch.allclose(model(hl, dropped), model(hl, pf), atol=1e-6)
        # high-level sentinels are mapped to 0 after standardisation
        hl_sentinel = hl.clone()
        hl_sentinel[:, 2] = -999.0
        out = model(hl_sentinel, pf)
        assert torch.isfinite(out).all() and ((out >= 0) & (out <= 1)).all()


def test_training_is_reproducible_and_saves(tmp_path, cfg):
    """The shared trainer twice on the same dataset: the same members (torch.equal) and history; members differ
    from each other; each keeps its lowest validation-loss epoch; the test AUC of metrics.json is the weighted AUC
    of the saved ensemble's scores on the test split."""
    import pandas as pd

    from susyscan.analyses.ewkino.inputs import inputs_from_split
    from susyscan.training.metrics import weighted_auc

    paths = make_input_files(tmp_path, cfg)
    dataset, metrics_a, out_a = train_tiny(tmp_path / "a", paths)
    _, _, out_b = train_tiny(tmp_path / "b", paths)
    model_a, model_b = (torch.load(o.model, weights_only=False) for o in (out_a, out_b))
    for a, b in zip(model_a["state_dicts"], model_b["state_dicts"], strict=True):
        for name in a:
            assert torch.equal(a[name], b[name]), name
    timing = ["train_seconds", "train_events_per_s"]
    history_a, history_b = (pd.read_csv(o.history).drop(columns=timing) for o in (out_a, out_b))
    assert np.array_equal(history_a.to_numpy(), history_b.to_numpy())
    cfg_t = TrainConfig.from_dict(TINY)
    assert len(history_a) == cfg_t.n_members * cfg_t.epochs and list(history_a["member"].unique()) == [0, 1]
    for k, best in enumerate(metrics_a["best_epochs"]):
        member = history_a[history_a["member"] == k]
        assert best == int(member.loc[member["val_loss"].idxmin(), "epoch"])
    first, second = model_a["state_dicts"]
    assert not torch.equal(first["out.weight"], second["out.weight"])  # independent seeds
    loaded = load_ensemble(out_a.model)
    assert loaded.payload["n_members"] == 2 and loaded.payload["feature_names"] == dataset.info["blocks"]["highlevel"]["fields"]
    assert [s.name for s in loaded.standardisations] == ["highlevel", "pfcands"]
    test = inputs_from_split(dataset.test.frame, dataset.test.blocks, dataset.info, "test")
    assert metrics_a["test_auc"] == pytest.approx(
        weighted_auc(loaded.predict(blocks(test)), test.is_signal, np.abs(test.weight_pb)), abs=1e-12)
    assert 0.0 < metrics_a["test_auc"] <= 1.0 and len(metrics_a["test_auc_members"]) == 2


def test_standardisation_leaves_out_sentinels_and_padding(tmp_path, cfg):
    """ewkino's blocks through the shared dataset_standardisations with its PADDING_KEYS: the high-level sentinel
    and the padded PF slots are left out of the fit and map to 0."""
    from susyscan.analyses.ewkino.inputs import inputs_from_split
    from susyscan.analyses.ewkino.stages import PADDING_KEYS, inputs_dataset
    from susyscan.training.train_nn import dataset_standardisations

    dataset = inputs_dataset(make_input_files(tmp_path, cfg), TrainConfig.from_dict(TINY))
    train = inputs_from_split(dataset.train.frame, dataset.train.blocks, dataset.info, "train")
    highlevel, pfcands = dataset_standardisations(dataset, PADDING_KEYS)
    hl = train.highlevel.astype(np.float64)
    missing = hl == -999.0
    assert missing.any() and highlevel.padding == -999.0
    column = int(np.flatnonzero(missing.any(axis=0))[0])  # a jet column with missing jets
    assert highlevel.mean[column] == pytest.approx(hl[~missing[:, column], column].mean())
    assert pfcands.mean == pytest.approx(train.pfcands[train.mask].astype(np.float64).mean(axis=0))
    assert pfcands.slots == train.max_candidates
    scaled = pfcands.apply(train.pfcands, np.float32)
    assert scaled.dtype == np.float32 and (scaled[~train.mask] == 0).all()


def test_model_pt_of_the_former_trainer_still_loads(tmp_path, cfg):
    """A model.pt in the layout of ewkino's former own trainer (one Ensemble state dict with the standardisation
    buffers, architecture under ``net``) gives the scores of the same members and standardisation."""
    from susyscan.analyses.ewkino.inputs import read_inputs

    paths = make_input_files(tmp_path, cfg)
    input_set = read_inputs(paths)
    _, _, outputs = train_tiny(tmp_path / "m", paths, dict(TINY, epochs=1))
    trained = load_ensemble(outputs.model)
    highlevel, pfcands = trained.standardisations
    state = {f"members.{k}.{key}": value for k, member in enumerate(trained.members)
             for key, value in member.state_dict().items()}
    for name, block in (("hl", highlevel), ("pf", pfcands)):
        state[f"{name}_mean"] = torch.as_tensor(block.mean, dtype=torch.float32)
        state[f"{name}_std"] = torch.as_tensor(block.std, dtype=torch.float32)
    net = trained.payload["network_config"]
    legacy = {"state_dict": state, "net": {k: net[k] for k in ("phi_sizes", "rho_sizes", "highlevel_sizes", "head_sizes",
                                                               "use_pfcands")},
              "n_members": 2, "n_highlevel": net["n_highlevel"], "n_pfcand": net["n_pfcand"],
              "max_candidates": net["max_candidates"], "padding_value": -999.0, "sentinel": -999.0,
              "pfcand_pt_min": 1.0, "feature_names": input_set.feature_names,
              "pfcand_feature_names": input_set.pfcand_feature_names, "seed": 5, "split": [0.6, 0.2, 0.2]}
    torch.save(legacy, tmp_path / "legacy.pt")
    loaded = load_ensemble(tmp_path / "legacy.pt")
    assert loaded.payload["mass_region"] == "all" and loaded.standardisations[1].slots == input_set.max_candidates
    assert np.array_equal(loaded.predict(blocks(input_set)), trained.predict(blocks(input_set)))


def _two_point_set(input_set):
    """input_set with its signal events split over two grid points whose cross sections differ by 100x."""
    from dataclasses import replace as dc_replace

    signal = input_set.is_signal.astype(bool)
    sample = input_set.sample.astype(object).copy()
    index = np.flatnonzero(signal)
    sample[index[: len(index) // 3]] = "sig_2500_100"
    weight = np.asarray(input_set.weight_pb, dtype=np.float64).copy()
    weight[index[: len(index) // 3]] *= 0.01
    return dc_replace(input_set, sample=sample.astype(input_set.sample.dtype), weight_pb=weight)


def test_per_point_signal_weighting_gives_every_grid_point_the_same_weight(input_set):
    inputs = _two_point_set(input_set)
    signal = inputs.is_signal.astype(bool)
    xsec = training_weights(inputs, per_point=False)
    assert np.array_equal(xsec, inputs.weight_pb)  # today's weights, untouched
    per_point = training_weights(inputs, per_point=True)
    sums = {name: per_point[signal & (inputs.sample == name)].sum() for name in np.unique(inputs.sample[signal])}
    assert len(sums) == 2 and all(v == pytest.approx(1.0) for v in sums.values())
    # cross-section weighting: the heavy point carries ~1 % of the signal weight
    heavy = signal & (inputs.sample == "sig_2500_100")
    assert np.abs(xsec[heavy]).sum() / np.abs(xsec[signal]).sum() < 0.01
    # within a point the relative weights are kept; background untouched
    light = signal & ~heavy
    assert np.allclose(per_point[light] / per_point[light].sum(), np.abs(xsec[light]) / np.abs(xsec[light]).sum())
    assert np.array_equal(per_point[~signal], np.abs(inputs.weight_pb[~signal]))


def test_signal_weighting_is_validated(input_set):
    with pytest.raises(ConfigError, match="signal_weighting 'by_mass'"):
        TrainConfig.from_dict(dict(TINY, signal_weighting="by_mass"))
    inputs = _two_point_set(input_set)
    weight = inputs.weight_pb.copy()
    weight[inputs.sample == "sig_2500_100"] = 0.0
    from dataclasses import replace as dc_replace

    with pytest.raises(EmptySelectionError, match="sig_2500_100"):
        training_weights(dc_replace(inputs, weight_pb=weight), per_point=True)


def test_per_point_training_records_its_weighting(tmp_path, cfg):
    _, metrics, outputs = train_tiny(tmp_path / "m", make_input_files(tmp_path, cfg),
                                     dict(TINY, epochs=1, signal_weighting="per_point"))
    assert metrics["signal_weighting"] == "per_point"
    assert load_ensemble(outputs.model).payload["signal_weighting"] == "per_point"
