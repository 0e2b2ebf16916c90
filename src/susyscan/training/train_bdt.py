"""xgboost BDT baseline on the same (raw) inputs, early-stopped on the validation log-loss."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xgboost as xgb

from susyscan.errors import ConfigError
from susyscan.training.dataset import PreparedDataset
from susyscan.training.io_utils import atomic_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BDTConfig:
    """xgboost hyperparameters (trees see raw features: they are invariant to standardisation)."""

    n_estimators: int = 150
    max_depth: int = 4
    learning_rate: float = 0.1
    subsample: float = 1.0
    colsample_bytree: float = 1.0
    min_child_weight: float = 1.0
    early_stopping_rounds: int = 30
    seed: int = 12345
    threads: int = 1

    def __post_init__(self) -> None:
        if self.n_estimators < 1 or self.max_depth < 1 or not 0 < self.learning_rate <= 1:
            raise ConfigError(f"training.bdt: invalid hyperparameters {asdict(self)}")


@dataclass
class BDTTrainingResult:
    """Booster truncated to the best iteration, per-round history and the 1-based best round."""

    booster: xgb.Booster
    history: pd.DataFrame
    best_epoch: int


def train_bdt(dataset: PreparedDataset, config: BDTConfig) -> BDTTrainingResult:
    """Fit the BDT on the balanced training split with early stopping on the validation split."""
    dtrain = xgb.DMatrix(dataset.train.X, label=dataset.train.y, nthread=config.threads)
    dval = xgb.DMatrix(dataset.val.X, label=dataset.val.y, nthread=config.threads)
    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": config.max_depth,
        "eta": config.learning_rate,
        "subsample": config.subsample,
        "colsample_bytree": config.colsample_bytree,
        "min_child_weight": config.min_child_weight,
        "seed": config.seed,
        "nthread": config.threads,
    }
    evals_result: dict = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=config.n_estimators,
        evals=[(dtrain, "train"), (dval, "val")],
        early_stopping_rounds=config.early_stopping_rounds,
        evals_result=evals_result,
        verbose_eval=False,
    )
    best_iteration = int(getattr(booster, "best_iteration", config.n_estimators - 1))
    booster = booster[: best_iteration + 1]
    history = pd.DataFrame(
        {
            "epoch": np.arange(1, len(evals_result["train"]["logloss"]) + 1),
            "train_loss": evals_result["train"]["logloss"],
            "val_loss": evals_result["val"]["logloss"],
        }
    )
    logger.info("BDT: best iteration %d of %d rounds", best_iteration + 1, len(history))
    return BDTTrainingResult(booster=booster, history=history, best_epoch=best_iteration + 1)


def predict_bdt(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] for raw features."""
    return booster.predict(xgb.DMatrix(features)).astype(np.float64)


def save_booster(booster: xgb.Booster, path: str) -> None:
    """Save the booster as xgboost JSON (model.json), atomically."""
    with atomic_path(path) as tmp:
        booster.save_model(str(tmp))


def load_booster(path: str) -> xgb.Booster:
    """Load a booster saved by :func:`save_booster`."""
    booster = xgb.Booster()
    booster.load_model(str(path))
    return booster
