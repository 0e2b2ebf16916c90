"""Model invariances (permutation, masking) and training reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from susyscan.analyses.ewkino.model import NetConfig, build_member
from susyscan.analyses.ewkino.train import (TrainConfig, blocks, fit_standardisations, history_table, load_ensemble,
                                            save_ensemble, train_ensemble, training_weights)
from susyscan.errors import ConfigError, EmptySelectionError
from susyscan.training.onnx_nn import ScoringModule
from susyscan.training.standardise import Standardisation

from .conftest import TINY


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


def test_training_is_reproducible_and_saves(input_set, tmp_path):
    cfg = TrainConfig.from_dict(TINY)
    result_a, metrics_a = train_ensemble(input_set, cfg)
    result_b, _ = train_ensemble(input_set, cfg)
    for a, b in zip(result_a.members, result_b.members, strict=True):
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(x, y), name
    timing = ["train_seconds", "train_events_per_s"]
    history_a, history_b = history_table(result_a).drop(columns=timing), history_table(result_b).drop(columns=timing)
    assert np.array_equal(history_a.to_numpy(), history_b.to_numpy())
    assert len(history_a) == cfg.n_members * cfg.epochs and list(history_a["member"].unique()) == [0, 1]
    assert 0.0 <= metrics_a["test_auc"] <= 1.0 and len(metrics_a["test_auc_members"]) == 2
    # each member keeps its lowest validation-loss epoch
    for k, best in enumerate(metrics_a["best_epochs"]):
        member = history_a[history_a["member"] == k]
        assert best == int(member.loc[member["val_loss"].idxmin(), "epoch"])
    # members differ (independent seeds)
    members = result_a.members
    assert not torch.equal(members[0].out.weight, members[1].out.weight)
    save_ensemble(result_a, input_set, cfg, metrics_a["training_data_hash"], tmp_path / "model.pt")
    loaded = load_ensemble(tmp_path / "model.pt")
    assert loaded.payload["n_members"] == 2 and loaded.payload["feature_names"] == input_set.feature_names
    assert [s.name for s in loaded.standardisations] == ["highlevel", "pfcands"]
    assert np.array_equal(loaded.predict(blocks(input_set)), result_a.predict(blocks(input_set)))


def test_standardisation_leaves_out_sentinels_and_padding(input_set):
    highlevel, pfcands = fit_standardisations(input_set)
    hl = input_set.highlevel.astype(np.float64)
    real = hl[:, 0] != -999.0
    assert highlevel.mean[0] == pytest.approx(hl[real, 0].mean()) and highlevel.padding == -999.0
    assert pfcands.mean == pytest.approx(input_set.pfcands[input_set.mask].astype(np.float64).mean(axis=0))
    assert pfcands.slots == input_set.max_candidates
    scaled = pfcands.apply(input_set.pfcands, np.float32)
    assert scaled.dtype == np.float32 and (scaled[~input_set.mask] == 0).all()


def test_model_pt_of_the_former_trainer_still_loads(input_set, tmp_path):
    """A model.pt in the layout of ewkino's former own trainer (one Ensemble state dict with the standardisation
    buffers, architecture under ``net``) gives the scores of the same members and standardisation."""
    result, _ = train_ensemble(input_set, TrainConfig.from_dict(dict(TINY, epochs=1)))
    highlevel, pfcands = result.standardisations
    state = {f"members.{k}.{key}": value for k, member in enumerate(result.members)
             for key, value in member.state_dict().items()}
    for name, block in (("hl", highlevel), ("pf", pfcands)):
        state[f"{name}_mean"] = torch.as_tensor(block.mean, dtype=torch.float32)
        state[f"{name}_std"] = torch.as_tensor(block.std, dtype=torch.float32)
    net = result.network.to_dict()
    legacy = {"state_dict": state, "net": {k: net[k] for k in ("phi_sizes", "rho_sizes", "highlevel_sizes", "head_sizes",
                                                               "use_pfcands")},
              "n_members": 2, "n_highlevel": net["n_highlevel"], "n_pfcand": net["n_pfcand"],
              "max_candidates": net["max_candidates"], "padding_value": -999.0, "sentinel": -999.0,
              "pfcand_pt_min": 1.0, "feature_names": input_set.feature_names,
              "pfcand_feature_names": input_set.pfcand_feature_names, "seed": 5, "split": [0.6, 0.2, 0.2]}
    torch.save(legacy, tmp_path / "legacy.pt")
    loaded = load_ensemble(tmp_path / "legacy.pt")
    assert loaded.payload["mass_region"] == "all" and loaded.standardisations[1].slots == input_set.max_candidates
    assert np.array_equal(loaded.predict(blocks(input_set)), result.predict(blocks(input_set)))


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


def test_per_point_training_records_its_weighting(input_set, tmp_path):
    cfg = TrainConfig.from_dict(dict(TINY, epochs=1, signal_weighting="per_point"))
    result, metrics = train_ensemble(_two_point_set(input_set), cfg)
    assert metrics["signal_weighting"] == "per_point"
    save_ensemble(result, input_set, cfg, metrics["training_data_hash"], tmp_path / "model.pt")
    assert load_ensemble(tmp_path / "model.pt").payload["signal_weighting"] == "per_point"
