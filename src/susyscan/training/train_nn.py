"""Training loop of the torch classifier with best-epoch selection on the validation set."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from susyscan.errors import ConfigError, ModelMetadataError
from susyscan.training.dataset import PreparedDataset
from susyscan.training.device import deterministic, resolve_device
from susyscan.training.metrics import classification_metrics, selection_score
from susyscan.training.network import ModelFactory, NetworkConfig, build_classifier, factory_name
from susyscan.training.standardise import Standardisation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NNTrainingConfig:
    """SGD-with-momentum hyperparameters and the model-selection threshold (defaults = config schema)."""

    epochs: int = 8  # paper: 500 (config/paper_scale.yaml)
    batch_size: int = 32
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 1e-5
    selection_threshold: float = 0.5
    seed: int = 12345
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ConfigError(f"training.nn: epochs, batch_size and learning_rate must be positive: {asdict(self)}")


@dataclass
class NNTrainingResult:
    """Best-epoch model (on CPU), per-epoch history, the 1-based best epoch, the architecture settings and the
    name of the model factory that built it."""

    model: nn.Module
    history: pd.DataFrame
    best_epoch: int
    device: str
    network: NetworkConfig | None = None
    model_factory: str = ""


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32), device=device)


@torch.no_grad()
def predict_scores(model: nn.Module, features: torch.Tensor, batch_size: int = 65536) -> np.ndarray:
    """Scores in [0, 1] (sigmoid of the logits) for already-standardised features, evaluated in batches."""
    model.eval()
    parts = [torch.sigmoid(model(features[i : i + batch_size])).reshape(-1)
             for i in range(0, len(features), batch_size)]
    return torch.cat(parts).double().cpu().numpy() if parts else np.empty(0)


def predict_raw(model: nn.Module, standardisation: Standardisation, features: np.ndarray) -> np.ndarray:
    """Scores for raw (un-standardised) features, on CPU."""
    model = model.to("cpu")
    return predict_scores(model, _tensor(standardisation.apply(features), torch.device("cpu")))


def train_classifier(
    dataset: PreparedDataset, network: NetworkConfig, config: NNTrainingConfig, progress: bool = True,
    model_factory: ModelFactory = build_classifier,
) -> NNTrainingResult:
    """Train on the balanced training split, keep the epoch with the best validation selection score.

    ``model_factory`` (the analysis' ``AnalysisSpec.model_factory``) builds the initialised network."""
    device = resolve_device(config.device)
    standardisation = dataset.standardisation
    with deterministic(config.seed):
        model = model_factory(network, config.seed).to(device)
        X_train = _tensor(standardisation.apply(dataset.train.X), device)
        y_train = _tensor(dataset.train.y, device)
        X_val = _tensor(standardisation.apply(dataset.val.X), device)
        y_val = _tensor(dataset.val.y, device)
        optimiser = torch.optim.SGD(
            model.parameters(), lr=config.learning_rate, momentum=config.momentum, weight_decay=config.weight_decay
        )
        loss_fn = nn.BCEWithLogitsLoss()
        shuffle = torch.Generator().manual_seed(config.seed)
        n_train = len(X_train)
        rows: list[dict] = []
        best_score, best_epoch, best_state = -np.inf, 0, None
        bar = tqdm(range(1, config.epochs + 1), desc=f"nn {dataset.info.get('region', '')}", disable=not progress)
        for epoch in bar:
            start = time.perf_counter()
            model.train()
            order = torch.randperm(n_train, generator=shuffle).to(device)
            loss_sum = torch.zeros((), device=device)
            for first in range(0, n_train, config.batch_size):
                batch = order[first : first + config.batch_size]
                loss = loss_fn(model(X_train[batch]), y_train[batch])
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                loss_sum += loss.detach() * len(batch)
            seconds = time.perf_counter() - start
            model.eval()
            with torch.no_grad():
                val_logits = torch.cat([model(X_val[i : i + 65536]) for i in range(0, len(X_val), 65536)])
                val_loss = float(loss_fn(val_logits, y_val))
            val_metrics = classification_metrics(
                dataset.val.y, torch.sigmoid(val_logits).double().cpu().numpy(), config.selection_threshold
            )
            score = selection_score(val_metrics)
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": float(loss_sum) / n_train,
                    "val_loss": val_loss,
                    **{f"val_{k}": v for k, v in val_metrics.items() if k != "threshold"},
                    "val_selection_score": score,
                    "train_seconds": seconds,
                    "train_events_per_s": n_train / seconds if seconds > 0 else float("nan"),
                }
            )
            if score > best_score:
                best_score, best_epoch = score, epoch
                best_state = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
            bar.set_postfix(val_loss=f"{val_loss:.4f}", sel=f"{score:.4f}", best=best_epoch)
    if best_state is None:
        raise ConfigError("training produced no finite validation selection score (empty validation set?)")
    model = model.to("cpu")
    model.load_state_dict(best_state)
    model.eval()
    logger.info("best epoch %d with validation selection score %.4f", best_epoch, best_score)
    return NNTrainingResult(model=model, history=pd.DataFrame(rows), best_epoch=best_epoch, device=str(device),
                            network=network, model_factory=factory_name(model_factory))


def save_model(result: NNTrainingResult, dataset: PreparedDataset, path: str) -> None:
    """Save the state dict with the architecture settings, the model factory's name, standardisation and
    provenance (model.pt), atomically."""
    from susyscan.training.io_utils import atomic_path

    network = result.network if result.network is not None else getattr(result.model, "config", None)
    if not isinstance(network, NetworkConfig):
        raise ConfigError(f"{path}: no architecture settings (NetworkConfig) to save with the model")
    payload = {
        "state_dict": result.model.state_dict(),
        "network_config": network.to_dict(),
        "model_factory": result.model_factory or factory_name(build_classifier),
        "standardisation": dataset.info["standardisation"],
        "feature_names": dataset.feature_names,
        "mass_region": dataset.info["region"],
        "training_data_hash": dataset.info["training_data_hash"],
        "best_epoch": result.best_epoch,
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(payload, handle)


def load_model(path: str, model_factory: ModelFactory = build_classifier) -> tuple[nn.Module, Standardisation, dict]:
    """Load model.pt: (network on CPU in eval mode, standardisation, full payload). ``model_factory`` (the
    analysis spec's, the one it was trained with) rebuilds the architecture before the weights are loaded."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    config = payload["network_config"]
    network = NetworkConfig(
        n_inputs=config["n_inputs"],
        hidden_layers=tuple(config["hidden_layers"]),
        activation=config["activation"],
        init_std=config["init_std"],
    )
    model = model_factory(network, 0)
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:  # torch: missing/unexpected keys or shape mismatch
        raise ModelMetadataError(f"{path}: trained with model factory {payload.get('model_factory', '?')}; "
                                 f"{factory_name(model_factory)} builds another architecture: {exc}") from exc
    model.eval()
    return model, Standardisation.from_dict(payload["standardisation"]), payload
