"""Multiclass classifier (signal + background classes): softmax MLP, weighted categorical cross entropy, Adam,
early stopping on a validation fold, permutation importance.

Training goes through the shared torch trainer (``susyscan.training.train_nn.train_blocks``: categorical loss,
``event`` loss weighting, Adam without weight decay, lowest weighted validation loss with ``patience``, CPU); this
module supplies the network (:func:`multiclass_network`: the shared MLP ``network.Classifier`` with ReLU, dropout
and one logit per class, built by the shared model factory ``network.build_classifier``), the loss weights and the
checks of the inputs. The ONNX
export, its metadata and parity check are the shared ones (``susyscan.training.export.export_nn`` with
``classes``: outputs ``score`` and ``probabilities``; ``check_parity(..., output="probabilities")``), and
:meth:`MulticlassResult.predict_proba` is the shared trainer's prediction (``train_nn.predict_raw``: softmax of
the logits, mean over an ensemble's members) in the graph's float32 precision.

Event weights in the loss. Each event enters the loss with its MC weight; the signal class as a whole is scaled
to the total background weight (the backgrounds keep their relative weights), and the weights are then divided
by their mean absolute value so that the learning rate does not depend on the luminosity or the cross sections.
The loss of a batch is ``sum_i w_i CE_i / sum_i |w_i|``: the denominator is a sum of absolute values, so it never
vanishes or changes sign when negative weights are present.

Negative weights (``negative_weights``):

- ``abs`` (default): the loss uses |w|. With signed weights a network flexible enough to isolate a negative-weight
  event lowers the loss without bound by sending that event's predicted probability of its own class to 0 (its
  cross entropy grows to infinity, times a negative weight); |w| keeps every event's share of its class and is
  bounded. It biases the class densities wherever negative weights cluster, which is why all evaluation (ROC,
  yields, significance) uses the signed weights.
- ``signed``: the weights as given (per-batch denominator sum |w| as above); for samples whose negative weights are
  spread evenly, where the bias of ``abs`` matters more than the unbounded direction.
- ``zero``: negative weights set to 0 in the loss.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from susyscan.errors import ConfigError, FeatureError
from susyscan.training.dataset import training_data_hash
from susyscan.training.importance import permuted_metrics
from susyscan.training.network import Classifier, NetworkConfig, build_classifier
from susyscan.training.standardise import Standardisation
from susyscan.training.train_nn import NNTrainingConfig, TrainingData, event_weighted_mean, predict_raw, train_blocks

logger = logging.getLogger(__name__)

NEGATIVE_WEIGHT_MODES: tuple[str, ...] = ("abs", "signed", "zero")


@dataclass(frozen=True)
class MulticlassConfig:
    """Architecture and training settings (Adam, softmax, categorical cross entropy). No defaults: the workflow's
    come from the run config's ``analyses.<name>.ml.network`` (schema ``$defs/multiclass_ml``, defaults inserted,
    the one source of them). ``seed``: the training seed, which the run config does not set (the fold stage gives
    each fold model its own, ``multiclass_stages.fold_seeds``); :meth:`trainer` refuses a config without one."""

    hidden_layers: tuple[int, ...]
    dropout: float
    epochs: int
    patience: int
    batch_size: int
    learning_rate: float
    negative_weights: str
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_layers", tuple(int(n) for n in self.hidden_layers))
        if self.negative_weights not in NEGATIVE_WEIGHT_MODES:
            raise ConfigError(f"multiclass.negative_weights {self.negative_weights!r} not in {list(NEGATIVE_WEIGHT_MODES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0 or self.patience < 1:
            raise ConfigError(f"multiclass: epochs, patience, batch_size and learning_rate must be positive: {asdict(self)}")
        if not 0.0 <= self.dropout < 1.0 or any(n < 1 for n in self.hidden_layers):
            raise ConfigError(f"multiclass: dropout in [0, 1) and positive layer sizes: {asdict(self)}")

    def trainer(self) -> NNTrainingConfig:
        """The shared trainer's settings: categorical cross entropy with the caller's per-event loss weights, Adam
        without weight decay, lowest weighted validation loss with early stopping, one network, CPU. A config
        without a seed is a ConfigError (no training with an unnamed seed)."""
        if self.seed is None:
            raise ConfigError(f"multiclass: no training seed in {asdict(self)} (the fold stage sets each fold's, "
                              "multiclass_stages.fold_seeds)")
        return NNTrainingConfig(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                                weight_decay=0.0, seed=self.seed, device="cpu", optimiser="adam", loss="categorical",
                                loss_weighting="event", model_selection="val_loss", patience=self.patience)


def multiclass_network(n_inputs: int, n_classes: int, config: MulticlassConfig) -> NetworkConfig:
    """The architecture of the multiclass DNN in the shared MLP's settings (``susyscan.training.network``): Linear +
    ReLU (+ Dropout) per hidden layer, then one logit per class, torch's default initialisation (``init_std``
    None: drawn from torch's global generator, which the shared trainer seeds with the fold's seed)."""
    return NetworkConfig(n_inputs=int(n_inputs), hidden_layers=config.hidden_layers, activation="relu", init_std=None,
                         n_outputs=int(n_classes), dropout=config.dropout)


def multiclass_data_hash(features: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                         feature_names: Sequence[str]) -> str:
    """The training-data hash of a multiclass training set: the shared stages' provenance hash
    (``susyscan.training.dataset.training_data_hash``) of the features and the MC weights (the loss weights are made
    from them) as two input blocks, named ``feature_names`` + ``"weight"``, and the class labels."""
    return training_data_hash((np.asarray(features), np.asarray(weights).reshape(-1, 1)), np.asarray(labels),
                              [*feature_names, "weight"])


@dataclass
class MulticlassResult:
    """Best-epoch model (CPU, eval mode), its standardisation, class names, per-epoch history and the hash of the
    data it trained on (:func:`multiclass_data_hash`)."""

    model: Classifier
    standardisation: Standardisation
    classes: tuple[str, ...]
    history: pd.DataFrame
    best_epoch: int
    training_data_hash: str

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.standardisation.feature_names

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities (n, K) of raw features (native torch, float64): the shared trainer's one prediction
        path, :func:`~susyscan.training.train_nn.predict_raw` (softmax of a multi-logit model), on the features in
        float32, the precision of the exported graph (``Standardisation.apply(x, float32)`` is the arithmetic of
        ``onnx_nn.BlockStandardiser``), so the ONNX parity check compares the graph with an independent path."""
        if len(features) == 0:
            return np.empty((0, len(self.classes)))
        return predict_raw(self.model, self.standardisation, np.asarray(features, dtype=np.float32))


def loss_weights(labels: np.ndarray, weights: np.ndarray, mode: str, signal_index: int = 0,
                 require_both: bool = True) -> np.ndarray:
    """Per-event loss weights: ``mode`` applied to the MC weights, the signal class scaled to the total
    background, all divided by the mean |weight| (see the module docstring). Without signal or background events
    (a small validation fold) the scaling is skipped unless ``require_both``."""
    if mode not in NEGATIVE_WEIGHT_MODES:
        raise ConfigError(f"negative_weights {mode!r} not in {list(NEGATIVE_WEIGHT_MODES)}")
    w = np.asarray(weights, dtype=np.float64)
    w = np.abs(w) if mode == "abs" else np.clip(w, 0.0, None) if mode == "zero" else w.copy()
    signal = np.asarray(labels) == signal_index
    sig_total, bkg_total = np.abs(w[signal]).sum(), np.abs(w[~signal]).sum()
    if sig_total > 0 and bkg_total > 0:
        w[signal] *= bkg_total / sig_total
    elif require_both:
        raise FeatureError(f"loss weights: signal total |w| {sig_total:.3g}, background {bkg_total:.3g} (both needed)")
    mean = np.abs(w).mean() if len(w) else 0.0
    return w / mean if mean > 0 else w


def weighted_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``sum w_i CE_i / sum |w_i|`` (0 when every weight is 0): the training loss (``train_nn.event_weighted_mean``)."""
    return event_weighted_mean(torch.nn.functional.cross_entropy(logits, labels, reduction="none"), weights)


def _check(features: np.ndarray, labels: np.ndarray, weights: np.ndarray, n_classes: int, what: str) -> None:
    if features.ndim != 2 or len(features) != len(labels) or len(labels) != len(weights):
        raise FeatureError(f"{what}: features {features.shape}, {len(labels)} labels, {len(weights)} weights")
    if not np.isfinite(features).all() or not np.isfinite(weights).all():
        raise FeatureError(f"{what}: non-finite features or weights")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise FeatureError(f"{what}: labels outside 0..{n_classes - 1}")


def train_multiclass(train: tuple[np.ndarray, np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray, np.ndarray],
                     feature_names: Sequence[str], classes: Sequence[str], config: MulticlassConfig) -> MulticlassResult:
    """Train on ``train = (X, labels, MC weights)`` with the shared trainer, keep the epoch of lowest weighted
    validation loss (stop after ``patience`` epochs without improvement). Class 0 is the signal. CPU,
    deterministic."""
    X_tr, y_tr, w_tr = (np.asarray(a) for a in train)
    X_va, y_va, w_va = (np.asarray(a) for a in val)
    n_classes = len(classes)
    _check(X_tr, y_tr, w_tr, n_classes, "training set")
    _check(X_va, y_va, w_va, n_classes, "validation set")
    if len(X_tr) == 0:
        raise FeatureError("multiclass training: the training set is empty")
    if (y_tr == 0).all() or (y_tr != 0).all():
        logger.warning("multiclass training: the training set has %d signal and %d background events; the signal is "
                       "not rescaled and the scores mean little", int((y_tr == 0).sum()), int((y_tr != 0).sum()))
    if len(X_va) == 0:
        logger.warning("multiclass training: empty validation set; the epoch of lowest training loss is kept")
    standardisation = Standardisation.fit(X_tr, list(feature_names))

    def data(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> TrainingData:
        return TrainingData((np.asarray(X, dtype=np.float64),), y,
                            loss_weights(y, w, config.negative_weights, require_both=False))

    network = multiclass_network(X_tr.shape[1], n_classes, config)
    result = train_blocks(data(X_tr, y_tr, w_tr), data(X_va, y_va, w_va), [standardisation], network,
                          config.trainer(), progress=False, model_factory=build_classifier, label="multiclass")
    model = result.model
    assert isinstance(model, Classifier)
    return MulticlassResult(model, standardisation, tuple(classes), result.history, result.best_epoch,
                            multiclass_data_hash(X_tr, y_tr, w_tr, feature_names))


def permutation_importance(result: MulticlassResult, features: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                           seed: int, mode: str = "abs") -> np.ndarray:
    """Per feature: increase of the weighted cross entropy when that column is permuted (clipped at 0; one
    permutation per column, the shared ``susyscan.training.importance.permuted_metrics``)."""
    features = np.asarray(features, dtype=np.float64)
    w = torch.as_tensor(loss_weights(labels, weights, mode, require_both=False), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)

    def loss(blocks: tuple[np.ndarray, ...]) -> float:
        probabilities = np.clip(result.predict_proba(blocks[0]), 1e-12, 1.0)
        logits = torch.as_tensor(np.log(probabilities), dtype=torch.float32)
        return float(weighted_cross_entropy(logits, y, w))

    base, losses = permuted_metrics(loss, (features,), [(0, j) for j in range(features.shape[1])], seed)
    return np.clip(losses[:, 0] - base, 0.0, None)
