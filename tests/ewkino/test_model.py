"""Model invariances (permutation, masking) and training reproducibility."""

from __future__ import annotations

import numpy as np
import torch

from susyscan.analyses.ewkino.model import Ensemble, NetConfig
from susyscan.analyses.ewkino.train import TrainConfig, load_ensemble, predict, save_ensemble, train_ensemble

from .conftest import TINY


def random_model(n_hl: int = 5, n_pf: int = 4, m: int = 8, seed: int = 0) -> Ensemble:
    torch.manual_seed(seed)
    return Ensemble(n_hl, n_pf, m, 3, NetConfig(phi_sizes=(16, 16), rho_sizes=(16,), highlevel_sizes=(16,), head_sizes=(8,)),
                    padding_value=-999.0, sentinel=-999.0).eval()


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
    model_a, history_a, metrics_a = train_ensemble(input_set, cfg)
    model_b, history_b, _ = train_ensemble(input_set, cfg)
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert np.array_equal(history_a.to_numpy(), history_b.to_numpy())
    assert len(history_a) == cfg.n_members * cfg.epochs
    assert 0.0 <= metrics_a["test_auc"] <= 1.0 and len(metrics_a["test_auc_members"]) == 2
    # members differ (independent seeds)
    members = list(model_a.members)
    assert not torch.equal(members[0].out.weight, members[1].out.weight)
    save_ensemble(model_a, input_set, cfg, tmp_path / "model.pt")
    loaded, info = load_ensemble(tmp_path / "model.pt")
    assert info["n_members"] == 2 and info["feature_names"] == input_set.feature_names
    assert np.allclose(predict(loaded, input_set), predict(model_a, input_set), atol=0)
