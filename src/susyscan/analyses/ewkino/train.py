"""Train the seed ensemble: weighted, class-balanced BCE; CUDA when available, else CPU."""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from susyscan.errors import ConfigError, EmptySelectionError
from susyscan.analyses.ewkino.inputs import SENTINEL, InputSet
from susyscan.analyses.ewkino.metrics import split_labels, weighted_auc
from susyscan.training.device import resolve_device
from susyscan.analyses.ewkino.model import Ensemble, NetConfig, set_standardisation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Ensemble training options (config section ``ewkino.training``)."""

    n_members: int = 3
    epochs: int = 10
    learning_rate: float = 1e-3
    batch_size: int = 256
    weight_decay: float = 1e-5
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    seed: int = 1
    device: str = "auto"
    net: NetConfig = field(default_factory=NetConfig)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """Build from a config mapping; ``net`` keys go to NetConfig."""
        raw = dict(raw)
        net_raw = raw.pop("net", {}) or {}
        known = set(cls.__dataclass_fields__) - {"net"}
        unknown = sorted(set(raw) - known) + sorted(set(net_raw) - set(NetConfig.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"ewkino training config: unknown keys {unknown}")
        net = NetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in net_raw.items()})  # type: ignore[arg-type]
        if "split" in raw:
            raw["split"] = tuple(float(x) for x in raw["split"])
        cfg = cls(**raw, net=net)
        if cfg.n_members < 1 or cfg.epochs < 1 or cfg.batch_size < 1 or cfg.learning_rate <= 0:
            raise ConfigError(f"ewkino training config: n_members, epochs, batch_size must be >= 1 and lr > 0 ({cfg})")
        return cfg


def standardisation(inputs: InputSet) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Means and stds of the high-level features (sentinels ignored) and of real candidates."""
    hl = np.where(inputs.highlevel == SENTINEL, np.nan, inputs.highlevel.astype(np.float64))
    with warnings.catch_warnings():  # all-sentinel columns (e.g. jet4 in a monojet sample) give NaN -> 0 / 1
        warnings.simplefilter("ignore", RuntimeWarning)
        hl_mean = np.nan_to_num(np.nanmean(hl, axis=0), nan=0.0)
        hl_std = np.nan_to_num(np.nanstd(hl, axis=0), nan=1.0)
    real = inputs.pfcands[inputs.mask].astype(np.float64)
    pf_mean = real.mean(axis=0) if len(real) else np.zeros(inputs.pfcands.shape[2])
    pf_std = real.std(axis=0) if len(real) else np.ones(inputs.pfcands.shape[2])
    hl_std[hl_std == 0] = 1.0
    pf_std[pf_std == 0] = 1.0
    return tuple(torch.as_tensor(a, dtype=torch.float32) for a in (hl_mean, hl_std, pf_mean, pf_std))  # type: ignore[return-value]


def balanced_weights(inputs: InputSet) -> np.ndarray:
    """|weight_pb| rescaled so signal and background each sum to half the number of events."""
    weights = np.abs(inputs.weight_pb).astype(np.float64)
    labels = inputs.is_signal.astype(bool)
    out = np.zeros_like(weights)
    for cls in (True, False):
        total = weights[labels == cls].sum()
        if total <= 0:
            raise EmptySelectionError(f"training set has no {'signal' if cls else 'background'} weight")
        out[labels == cls] = weights[labels == cls] * (0.5 * len(weights) / total)
    return out


def _tensors(inputs: InputSet, device: torch.device) -> tuple[torch.Tensor, ...]:
    return (torch.as_tensor(inputs.highlevel, device=device), torch.as_tensor(inputs.pfcands, device=device),
            torch.as_tensor(inputs.is_signal.astype(np.float32), device=device),
            torch.as_tensor(balanced_weights(inputs).astype(np.float32), device=device))


def _loss(member: nn.Module, ensemble: Ensemble, data: tuple[torch.Tensor, ...], index: torch.Tensor) -> torch.Tensor:
    hl, pf, label, weight = (t[index] for t in data)
    hl_s, pf_s, mask = ensemble.standardise(hl, pf)
    logits = member(hl_s, pf_s, mask)
    return (nn.functional.binary_cross_entropy_with_logits(logits, label, reduction="none") * weight).sum() / weight.sum()


def _evaluate_loss(member: nn.Module, ensemble: Ensemble, data: tuple[torch.Tensor, ...], batch: int) -> float:
    n = len(data[0])
    total, norm = 0.0, 0.0
    with torch.no_grad():
        for start in range(0, n, batch):
            index = torch.arange(start, min(n, start + batch), device=data[0].device)
            w = data[3][index].sum().item()
            total += _loss(member, ensemble, data, index).item() * w
            norm += w
    return total / norm if norm > 0 else float("nan")


def train_member(member: nn.Module, ensemble: Ensemble, train: tuple[torch.Tensor, ...], val: tuple[torch.Tensor, ...],
                 cfg: TrainConfig, seed: int, label: str) -> list[dict[str, float]]:
    """Adam on the weighted BCE; keeps the weights of the best validation epoch. Returns the history."""
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(member.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    history: list[dict[str, float]] = []
    best_state, best_val = copy.deepcopy(member.state_dict()), float("inf")
    n = len(train[0])
    for epoch in tqdm(range(1, cfg.epochs + 1), desc=label, unit="epoch", leave=False):
        member.train()
        order = torch.randperm(n, generator=generator).to(train[0].device)
        running, seen = 0.0, 0.0
        for start in range(0, n, cfg.batch_size):
            index = order[start:start + cfg.batch_size]
            optimiser.zero_grad()
            loss = _loss(member, ensemble, train, index)
            loss.backward()
            optimiser.step()
            running += loss.item() * len(index)
            seen += len(index)
        member.eval()
        val_loss = _evaluate_loss(member, ensemble, val, 4096) if len(val[0]) else float("nan")
        history.append({"epoch": epoch, "train_loss": running / max(seen, 1.0), "val_loss": val_loss})
        monitor = val_loss if np.isfinite(val_loss) else running / max(seen, 1.0)
        if monitor < best_val:
            best_val, best_state = monitor, copy.deepcopy(member.state_dict())
    member.load_state_dict(best_state)
    return history


def predict_arrays(model: Ensemble, highlevel: np.ndarray, pfcands: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Ensemble scores [N] (float64) of raw input arrays, on the model's device."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(highlevel), batch):
            hl = torch.as_tensor(highlevel[start:start + batch], device=device)
            pf = torch.as_tensor(pfcands[start:start + batch], device=device)
            out.append(model(hl, pf).cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def predict(model: Ensemble, inputs: InputSet, batch: int = 8192) -> np.ndarray:
    """Ensemble scores [N] of an InputSet."""
    return predict_arrays(model, inputs.highlevel, inputs.pfcands, batch)


def train_ensemble(inputs: InputSet, cfg: TrainConfig) -> tuple[Ensemble, pd.DataFrame, dict[str, Any]]:
    """Train ``cfg.n_members`` members (seeds ``cfg.seed + k``) on the train split.

    Returns (ensemble on CPU, history table, metrics with the test-split AUCs).
    """
    split = split_labels(inputs.chunk_key, inputs.event, cfg.split, cfg.seed)
    parts = {name: inputs.subset(split == k) for k, name in enumerate(("train", "val", "test"))}
    if len(parts["train"]) == 0:
        raise EmptySelectionError("ewkino training: the train split is empty")
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = Ensemble(inputs.highlevel.shape[1], inputs.pfcands.shape[2], inputs.max_candidates, cfg.n_members,
                     cfg.net, inputs.padding_value, SENTINEL)
    set_standardisation(model, *standardisation(parts["train"]))
    for k, member in enumerate(model.members):  # independent initialisation per member seed
        torch.manual_seed(cfg.seed + k)
        for module in member.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()
    model.to(device)
    train_data, val_data = _tensors(parts["train"], device), _tensors(parts["val"], device) if len(parts["val"]) else None
    empty_val = tuple(t[:0] for t in train_data)
    rows: list[dict[str, float]] = []
    logger.info("training %d members on %d events (%s, %d val, %d test)", cfg.n_members, len(parts["train"]), device,
                len(parts["val"]), len(parts["test"]))
    for k, member in enumerate(model.members):
        history = train_member(member, model, train_data, val_data or empty_val, cfg, cfg.seed + k, f"member {k}")
        rows += [{"member": k, **row} for row in history]
    model.to("cpu").eval()
    metrics: dict[str, Any] = {"n_train": len(parts["train"]), "n_val": len(parts["val"]), "n_test": len(parts["test"]),
                               "device": str(device), "n_members": cfg.n_members}
    test = parts["test"]
    if len(test) and test.is_signal.any() and (~test.is_signal.astype(bool)).any():
        weights = np.abs(test.weight_pb)
        metrics["test_auc"] = weighted_auc(predict(model, test), test.is_signal, weights)
        with torch.no_grad():
            logits = model.member_logits(torch.as_tensor(test.highlevel), torch.as_tensor(test.pfcands)).numpy()
        metrics["test_auc_members"] = [weighted_auc(m, test.is_signal, weights) for m in logits]
        logger.info("test AUC: ensemble %.4f, members %s", metrics["test_auc"],
                    ", ".join(f"{a:.4f}" for a in metrics["test_auc_members"]))
    return model, pd.DataFrame(rows), metrics


def candidate_budget_info(inputs: InputSet) -> dict[str, Any]:
    """Budget M, multiplicity quantiles and truncated fraction of the (training) input events."""
    from susyscan.analyses.ewkino.budget import multiplicity_row

    return {"pfcand_pt_min": inputs.pfcand_pt_min, **multiplicity_row(inputs.n_candidates, inputs.max_candidates)}


def save_ensemble(model: Ensemble, inputs: InputSet, cfg: TrainConfig, path: str | Path) -> None:
    """Save the state dict and everything needed to rebuild the model (atomically)."""
    from susyscan.atomic import atomic_path

    payload = {
        "state_dict": model.state_dict(), "net": model.net.to_dict(), "n_members": len(model.members),
        "n_highlevel": inputs.highlevel.shape[1], "n_pfcand": inputs.pfcands.shape[2],
        "max_candidates": inputs.max_candidates, "padding_value": inputs.padding_value, "sentinel": SENTINEL,
        "pfcand_pt_min": inputs.pfcand_pt_min, "feature_names": inputs.feature_names,
        "pfcand_feature_names": inputs.pfcand_feature_names, "seed": cfg.seed, "split": list(cfg.split),
        "candidate_budget": candidate_budget_info(inputs),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_ensemble(path: str | Path) -> tuple[Ensemble, dict[str, Any]]:
    """Rebuild a saved ensemble (CPU, eval mode) and return it with its saved info."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    net = NetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload["net"].items()})  # type: ignore[arg-type]
    model = Ensemble(payload["n_highlevel"], payload["n_pfcand"], payload["max_candidates"], payload["n_members"], net,
                     payload["padding_value"], payload["sentinel"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    info = {k: v for k, v in payload.items() if k != "state_dict"}
    return model, info
