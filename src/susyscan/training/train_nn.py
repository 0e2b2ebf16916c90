"""Training loop of the torch classifiers with best-epoch selection on the validation set.

One loop for every analysis: the network comes from a model factory (``susyscan.training.network``), its inputs
are one or several named blocks (``susyscan.training.standardise``), and the caller's :class:`NNTrainingConfig`
chooses the loss (binary cross entropy on one logit per event, or categorical cross entropy on one logit per class
with integer class targets), the optimiser (SGD with momentum or Adam), the loss weighting (none, class-balanced
|event weights|, or the caller's per-event weights as given), the model selection (validation selection score or
weighted validation loss), early stopping (``patience``) and the number of ensemble members (member 0: seed
``seed``, member k >= 1: ``susyscan.seeds.member_seed``, the SeedSequence stream ``("member", k)`` of ``seed``;
the score is the mean of the members' sigmoids, or of their softmax class probabilities).

Users: the smuon networks (binary, one block), ewkino's deep-sets ensembles (binary, two named blocks) and the stau
multiclass DNN / DNN+SIGN (categorical, per-event weights, early stopping; ``susyscan.training.multiclass``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from susyscan.errors import ConfigError, EmptySelectionError, FeatureError, ModelMetadataError
from susyscan.seeds import member_seed
from susyscan.training.device import deterministic, resolve_device
from susyscan.training.metrics import classification_metrics, selection_score
from susyscan.training.network import ModelFactory, NetworkConfig, build_classifier, factory_name
from susyscan.training.standardise import Standardisation

if TYPE_CHECKING:
    from susyscan.training.dataset import PreparedDataset, Split

logger = logging.getLogger(__name__)

LOSSES = ("binary", "categorical")
OPTIMISERS = ("sgd", "adam")
LOSS_WEIGHTINGS = ("none", "balanced", "event")
MODEL_SELECTIONS = ("selection_score", "val_loss")
EVAL_BATCH = 65536


@dataclass(frozen=True)
class NNTrainingConfig:
    """Loss, optimiser hyperparameters, loss weighting, model selection, early stopping and ensemble size
    (defaults = the smuon schema's, ``$defs/training.nn``).

    ``loss``: ``binary`` (cross entropy of the sigmoid of one logit per event, labels 0/1) or ``categorical``
    (cross entropy of the softmax of one logit per class, integer class labels; needs ``model_selection``
    ``val_loss``); ``optimiser``: ``sgd`` (with ``momentum``) or ``adam``; ``loss_weighting``: ``none`` (mean
    loss), ``balanced`` (binary only: loss weighted by |event weight|, rescaled so that signal and background each
    sum to half the events) or ``event`` (the training data's weights as given, negative ones included; the loss of
    a batch is ``sum w l / sum |w|``, so the denominator never vanishes or changes sign); ``model_selection``:
    ``selection_score`` (highest validation selection score at ``selection_threshold``) or ``val_loss`` (lowest
    validation loss, the training loss without validation events); ``patience``: stop after this many epochs
    without a better model-selection value (None: run every epoch); ``n_members``: networks in the ensemble (member k
    seeded ``susyscan.seeds.member_seed(seed, k)``: ``seed`` for member 0)."""

    epochs: int = 8  # paper: 500 (config/paper_scale.yaml)
    batch_size: int = 32
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 1e-5
    selection_threshold: float = 0.5
    seed: int = 12345
    device: str = "auto"
    optimiser: str = "sgd"
    loss_weighting: str = "none"
    model_selection: str = "selection_score"
    n_members: int = 1
    patience: int | None = None
    loss: str = "binary"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0 or self.n_members < 1:
            raise ConfigError(f"training.nn: epochs, batch_size, n_members and learning_rate must be positive: "
                              f"{asdict(self)}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"training.nn.patience must be positive or null, got {self.patience}")
        for key, allowed in (("optimiser", OPTIMISERS), ("loss_weighting", LOSS_WEIGHTINGS),
                             ("model_selection", MODEL_SELECTIONS), ("loss", LOSSES)):
            if getattr(self, key) not in allowed:
                raise ConfigError(f"training.nn.{key} {getattr(self, key)!r} not in {list(allowed)}")
        if self.loss == "categorical" and (self.model_selection != "val_loss" or self.loss_weighting == "balanced"):
            raise ConfigError(f"training.nn: the categorical loss needs model_selection 'val_loss' (the selection score "
                              f"is a binary metric) and loss_weighting 'none' or 'event', got "
                              f"{self.model_selection!r} and {self.loss_weighting!r}")


@dataclass(frozen=True)
class TrainingData:
    """One split for the trainer: raw input blocks (in the order of the standardisations), labels (binary loss:
    1 = signal; categorical: the class index) and the per-event weights of the ``balanced`` and ``event`` loss
    weightings (None without)."""

    blocks: tuple[np.ndarray, ...]
    y: np.ndarray
    weight: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class NNTrainingResult:
    """Best-epoch members (on CPU), per-epoch history (column ``member`` for an ensemble), the 1-based best epoch
    of each member, the architecture settings, the model factory's name and the standardisation of each block."""

    members: list[nn.Module]
    history: pd.DataFrame
    best_epochs: list[int]
    device: str
    network: Any = None
    model_factory: str = ""
    standardisations: tuple[Standardisation, ...] = field(default_factory=tuple)

    @property
    def model(self) -> nn.Module:
        """The network of a single-member result."""
        if len(self.members) != 1:
            raise ConfigError(f"an ensemble of {len(self.members)} members has no single model")
        return self.members[0]

    @property
    def best_epoch(self) -> int:
        """Best epoch of the first member."""
        return self.best_epochs[0]

    def predict(self, blocks: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Scores (binary) or class probabilities (categorical) of raw input blocks (:func:`predict_raw`)."""
        return predict_raw(self.members, self.standardisations, blocks)


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array, dtype=np.float32), device=device)


def _precision(block: np.ndarray) -> np.dtype:
    """Standardise in the block's own precision: float64 features stay float64, float32 ones (as in the ONNX graph)
    float32."""
    return np.promote_types(np.asarray(block).dtype, np.float32)


def as_blocks(features: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """One array (a single-block model's features) or a sequence of blocks, as a tuple of blocks."""
    return (features,) if isinstance(features, np.ndarray) else tuple(features)


def standardised_inputs(standardisations: Sequence[Standardisation], blocks: Sequence[np.ndarray],
                        device: torch.device) -> list[torch.Tensor]:
    """The model's arguments: the standardised blocks (float32), then the slot masks of the padded slot blocks."""
    if len(blocks) != len(standardisations):
        raise ConfigError(f"{len(blocks)} input blocks given, the model reads {len(standardisations)} "
                          f"({[s.name for s in standardisations]})")
    scaled = [_tensor(s.apply(b, _precision(b)), device) for s, b in zip(standardisations, blocks)]
    masks = [torch.as_tensor(m, device=device) for s, b in zip(standardisations, blocks) if (m := s.mask(b)) is not None]
    return scaled + masks


def _rows(inputs: Sequence[torch.Tensor], index: torch.Tensor | slice) -> list[torch.Tensor]:
    return [tensor[index] for tensor in inputs]


@torch.no_grad()
def predict_raw(model: nn.Module | Sequence[nn.Module], standardisation: Standardisation | Sequence[Standardisation],
                features: np.ndarray | Sequence[np.ndarray], batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Scores for raw (un-standardised) input blocks, on CPU: the sigmoid of one model's logits, or the mean of the
    members' sigmoids of an ensemble; for models with one logit per class (N, K > 1), the (mean) softmax class
    probabilities (N, K) (also ``MulticlassResult.predict_proba``, the multiclass models' prediction)."""
    members = [model] if isinstance(model, nn.Module) else list(model)
    standardisations = [standardisation] if isinstance(standardisation, Standardisation) else list(standardisation)
    blocks = as_blocks(features)
    cpu = torch.device("cpu")
    parts = []
    for first in range(0, len(blocks[0]), batch_size):
        inputs = standardised_inputs(standardisations, [b[first:first + batch_size] for b in blocks], cpu)
        logits = torch.stack([member.to(cpu).eval()(*inputs) for member in members])
        if logits.ndim == 3 and logits.shape[-1] > 1:  # one logit per class
            parts.append(torch.softmax(logits, dim=-1).mean(dim=0))
            continue
        parts.append(torch.sigmoid(logits[0]).reshape(-1) if len(members) == 1 else torch.sigmoid(logits).mean(dim=0))
    return torch.cat(parts).double().numpy() if parts else np.empty(0)


def balanced_weights(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """|weight| rescaled so that signal and background each sum to half the number of events."""
    weights = np.abs(np.asarray(weight)).astype(np.float64)
    labels = np.asarray(y).astype(bool)
    out = np.zeros_like(weights)
    for signal in (True, False):
        total = weights[labels == signal].sum()
        if total <= 0:
            raise EmptySelectionError(f"training set has no {'signal' if signal else 'background'} weight")
        out[labels == signal] = weights[labels == signal] * (0.5 * len(weights) / total)
    return out


def event_weighted_mean(per_event: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``sum w_i l_i / sum |w_i|`` (0 when every weight is 0): a weighted mean whose denominator cannot vanish or
    change sign when some weights are negative."""
    return (weights * per_event).sum() / weights.abs().sum().clamp_min(torch.finfo(weights.dtype).tiny)


class _Split:
    """A split on the device: model arguments, labels, loss weights (None: unweighted mean loss)."""

    def __init__(self, data: TrainingData, standardisations: Sequence[Standardisation], config: NNTrainingConfig,
                 device: torch.device) -> None:
        self.inputs = standardised_inputs(standardisations, data.blocks, device)
        self.y_numpy = np.asarray(data.y)
        self.categorical = config.loss == "categorical"
        self.y = (torch.as_tensor(self.y_numpy, dtype=torch.int64, device=device) if self.categorical
                  else _tensor(data.y, device))
        self.weighting = config.loss_weighting
        self.weight: torch.Tensor | None = None
        if self.weighting != "none" and len(data):
            if data.weight is None:
                raise ConfigError(f"loss_weighting {self.weighting!r} needs per-event weights in the training data")
            weight = balanced_weights(data.y, data.weight) if self.weighting == "balanced" else data.weight
            self.weight = _tensor(weight, device)

    def __len__(self) -> int:
        return len(self.y)

    def _per_event(self, logits: torch.Tensor, index: torch.Tensor | slice, reduction: str) -> torch.Tensor:
        if self.categorical:
            return nn.functional.cross_entropy(logits, self.y[index], reduction=reduction)
        return nn.functional.binary_cross_entropy_with_logits(logits, self.y[index], reduction=reduction)

    def loss(self, logits: torch.Tensor, index: torch.Tensor | slice) -> torch.Tensor:
        """Mean loss of the rows ``index``, or their weighted mean :func:`event_weighted_mean` (``sum(w l) /
        sum(|w|)``; the ``balanced`` weights are non-negative, so for them this is ``sum(w l) / sum(w)``)."""
        if self.weight is None:
            return self._per_event(logits, index, "mean")
        return event_weighted_mean(self._per_event(logits, index, "none"), self.weight[index])

    def share(self, index: torch.Tensor) -> torch.Tensor | int:
        """What a batch's loss is multiplied by in the epoch's running mean: its |weights| with ``event``
        weights, else its number of events."""
        return self.weight[index].abs().sum() if self.weighting == "event" and self.weight is not None else len(index)

    def total_share(self) -> float:
        """Sum of :meth:`share` over the split."""
        return float(self.weight.abs().sum()) if self.weighting == "event" and self.weight is not None else len(self)

    @torch.no_grad()
    def logits(self, model: nn.Module) -> torch.Tensor:
        return torch.cat([model(*_rows(self.inputs, slice(i, i + EVAL_BATCH))) for i in range(0, len(self), EVAL_BATCH)])


def _optimiser(model: nn.Module, config: NNTrainingConfig) -> torch.optim.Optimizer:
    if config.optimiser == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=config.momentum,
                           weight_decay=config.weight_decay)


def _train_member(model: nn.Module, train: _Split, val: _Split, config: NNTrainingConfig, seed: int,
                  device: torch.device, label: str, progress: bool) -> tuple[nn.Module, list[dict], int]:
    """Train one member; return it (CPU, best epoch's weights), its history rows and its best epoch."""
    optimiser = _optimiser(model, config)
    shuffle = torch.Generator().manual_seed(seed)
    n_train = len(train)
    rows: list[dict] = []
    best, best_epoch, best_state = -np.inf, 0, None
    bar = tqdm(range(1, config.epochs + 1), desc=label, disable=not progress)
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n_train, generator=shuffle).to(device)
        loss_sum = torch.zeros((), device=device)
        for first in range(0, n_train, config.batch_size):
            batch = order[first : first + config.batch_size]
            loss = train.loss(model(*_rows(train.inputs, batch)), batch)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_sum += loss.detach() * train.share(batch)
        seconds = time.perf_counter() - start
        model.eval()
        row: dict[str, Any] = {"epoch": epoch, "train_loss": float(loss_sum) / train.total_share()}
        score = val_loss = float("nan")
        if len(val):
            val_logits = val.logits(model)
            val_loss = float(val.loss(val_logits, slice(None)))
            row["val_loss"] = val_loss
            if config.loss == "binary":
                val_metrics = classification_metrics(val.y_numpy, torch.sigmoid(val_logits).double().cpu().numpy(),
                                                     config.selection_threshold)
                score = selection_score(val_metrics)
                row.update({**{f"val_{k}": v for k, v in val_metrics.items() if k != "threshold"},
                            "val_selection_score": score})
        else:
            row["val_loss"] = val_loss
        rows.append({**row, "train_seconds": seconds,
                     "train_events_per_s": n_train / seconds if seconds > 0 else float("nan")})
        if config.model_selection == "val_loss":
            monitor = -(val_loss if np.isfinite(val_loss) else row["train_loss"])
        else:
            monitor = score
        if monitor > best:
            best, best_epoch = monitor, epoch
            best_state = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
        bar.set_postfix(val_loss=f"{val_loss:.4f}", sel=f"{score:.4f}", best=best_epoch)
        if config.patience is not None and epoch - best_epoch >= config.patience:
            logger.info("%s: no better %s for %d epochs, stopped after epoch %d", label, config.model_selection,
                        config.patience, epoch)
            break
    if best_state is None:
        raise ConfigError(f"{label}: training produced no finite validation {config.model_selection} "
                          "(empty validation set?)")
    model = model.to("cpu")
    model.load_state_dict(best_state)
    model.eval()
    logger.info("%s: best epoch %d of %d (%s %.4f)", label, best_epoch, len(rows), config.model_selection, abs(best))
    return model, rows, best_epoch


def train_blocks(
    train: TrainingData, val: TrainingData, standardisations: Sequence[Standardisation], network: Any,
    config: NNTrainingConfig, progress: bool = True, model_factory: ModelFactory = build_classifier, label: str = "nn",
) -> NNTrainingResult:
    """Train ``config.n_members`` networks of ``model_factory(network, member_seed(seed, k))`` on the raw blocks of ``train``
    (standardised with ``standardisations``), each keeping its best validation epoch."""
    device = resolve_device(config.device)
    members, rows, best_epochs = [], [], []
    with deterministic(config.seed):  # before the first CUDA tensor (cuBLAS workspace setting)
        train_split = _Split(train, standardisations, config, device)
        val_split = _Split(val, standardisations, config, device)
        for k in range(config.n_members):
            seed = member_seed(config.seed, k)
            name = label if config.n_members == 1 else f"{label} member {k}"
            with deterministic(seed):
                model = model_factory(network, seed).to(device)
                model, history, best_epoch = _train_member(model, train_split, val_split, config, seed, device,
                                                           name, progress)
            members.append(model)
            best_epochs.append(best_epoch)
            rows += [{"member": k, **row} for row in history] if config.n_members > 1 else history
    return NNTrainingResult(members=members, history=pd.DataFrame(rows), best_epochs=best_epochs, device=str(device),
                            network=network, model_factory=factory_name(model_factory),
                            standardisations=tuple(standardisations))


def dataset_block_names(dataset: PreparedDataset) -> list[str]:
    """The array blocks of a dataset written from event tables with blocks, in the order of its meta JSON's
    ``blocks`` (empty for a dataset of feature columns only)."""
    return list(dataset.info.get("blocks") or {})


def split_inputs(dataset: PreparedDataset, split: Split) -> tuple[np.ndarray, ...]:
    """The model's raw input blocks of one split of ``dataset``: its features ``X`` (a dataset without array
    blocks, one block), or its array blocks in the order of :func:`dataset_block_names`. A dataset with both array
    blocks and flat features is refused (ConfigError naming the region): no model reads both yet."""
    names = dataset_block_names(dataset)
    if not names:
        return (split.X,)
    where = f"dataset of region {dataset.info.get('region')!r}"
    if dataset.feature_names:
        raise ConfigError(f"{where}: array blocks {names} and flat features {dataset.feature_names}; the shared "
                          "trainer reads either the features or the blocks")
    missing = [name for name in names if name not in split.blocks]
    if missing:
        raise FeatureError(f"{where}: a split lacks the array blocks {missing} recorded in its meta JSON")
    return tuple(split.blocks[name] for name in names)


def dataset_standardisations(dataset: PreparedDataset,
                             padding_keys: Mapping[str, str] | None = None) -> list[Standardisation]:
    """The standardisation of each model input block of ``dataset`` (:func:`split_inputs`).

    Without array blocks: the dataset's own (``info["standardisation"]``, fitted on the train split). With them:
    each block fitted on the train split (``Standardisation.fit``, field names from the meta JSON), leaving out the
    value that the input tables record as missing: ``padding_keys`` maps a block to the key of ``input_metadata``
    holding it (e.g. the sentinel of a flat block, the padding value of a slot block); a block without an entry has
    no missing value. A key absent from ``input_metadata``, or a block the dataset does not have, is a ConfigError
    naming them."""
    names = dataset_block_names(dataset)
    keys = dict(padding_keys or {})
    where = f"dataset of region {dataset.info.get('region')!r}"
    unknown = sorted(set(keys) - set(names))
    if unknown:
        raise ConfigError(f"{where}: padding values given for blocks {unknown}; its array blocks are {names}")
    if not names:
        return [dataset.standardisation]
    metadata = dataset.info.get("input_metadata") or {}
    absent = sorted({key for key in keys.values() if key not in metadata})
    if absent:
        raise ConfigError(f"{where}: input_metadata has no {absent} (padding values of blocks "
                          f"{sorted(b for b, k in keys.items() if k in absent)}); it has {sorted(metadata)}")
    out = []
    for name in names:
        fields = dataset.info["blocks"][name].get("fields")
        if not fields:
            raise FeatureError(f"{where}: array block {name!r} has no field names in its meta JSON")
        padding = float(metadata[keys[name]]) if name in keys else None
        out.append(Standardisation.fit(dataset.train.blocks[name], fields, name, padding))
    return out


def train_classifier(
    dataset: PreparedDataset, network: Any, config: NNTrainingConfig, progress: bool = True,
    model_factory: ModelFactory = build_classifier, padding_keys: Mapping[str, str] | None = None,
    event_weights: Callable[[str, Split], np.ndarray] | None = None,
) -> NNTrainingResult:
    """Train on the training split of a prepared dataset (its features, or its array blocks:
    :func:`split_inputs`, standardised by :func:`dataset_standardisations` with ``padding_keys``), keep each
    member's best epoch on the validation split.

    ``model_factory`` (the analysis' ``AnalysisSpec.model_factory``) builds the initialised network from
    ``network`` (:class:`NetworkConfig` for the shared MLP). The loss weightings read the split's expected events
    ``weight``, or ``event_weights(name, split)`` (an analysis' per-event training weights of the split named
    ``"train"`` or ``"val"``) when given."""
    def data(name: str) -> TrainingData:
        split = getattr(dataset, name)
        weight = split.weight if event_weights is None else event_weights(name, split)
        return TrainingData(split_inputs(dataset, split), split.y, weight)

    return train_blocks(data("train"), data("val"), dataset_standardisations(dataset, padding_keys),
                        network, config, progress, model_factory, f"nn {dataset.info.get('region', '')}")


def save_trained(result: NNTrainingResult, path: str, provenance: Mapping[str, Any]) -> None:
    """Save the members' state dicts with the architecture settings, the model factory's name, the standardisation
    of each block and ``provenance`` (model.pt), atomically. A single-block, single-member model keeps the keys
    ``state_dict`` and ``standardisation``; otherwise ``state_dicts`` and ``standardisations`` (lists)."""
    from susyscan.training.io_utils import atomic_path

    network = result.network if result.network is not None else getattr(result.members[0], "config", None)
    if network is None or not hasattr(network, "to_dict"):
        raise ConfigError(f"{path}: no architecture settings (with to_dict) to save with the model")
    states = [member.state_dict() for member in result.members]
    blocks = [s.to_dict() for s in result.standardisations]
    payload: dict[str, Any] = {
        **({"state_dict": states[0]} if len(states) == 1 else {"state_dicts": states}),
        "network_config": network.to_dict(),
        "model_factory": result.model_factory or factory_name(build_classifier),
        **({"standardisation": blocks[0]} if len(blocks) == 1 else {"standardisations": blocks}),
        **provenance,
        "best_epoch": result.best_epoch,
        **({"best_epochs": result.best_epochs} if len(states) > 1 else {}),
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(payload, handle)


def save_model(result: NNTrainingResult, dataset: PreparedDataset, path: str,
               provenance: Mapping[str, Any] | None = None) -> None:
    """:func:`save_trained` with the provenance of a prepared dataset (feature names, mass region, data hash) and the
    caller's ``provenance`` (an analysis' own keys; it may name the features, never replace the data hash)."""
    extra = dict(provenance or {})
    if "training_data_hash" in extra:
        raise ConfigError(f"{path}: the training-data hash is the dataset's; provenance may not replace it")
    save_trained(result, path, {"feature_names": dataset.feature_names, "mass_region": dataset.info["region"],
                                **extra, "training_data_hash": dataset.info["training_data_hash"]})


@dataclass
class TrainedModel:
    """A loaded model.pt: members (CPU, eval mode), the standardisation of each block, the full payload."""

    members: list[nn.Module]
    standardisations: list[Standardisation]
    payload: dict[str, Any]

    def predict(self, blocks: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """Scores of raw input blocks (:func:`predict_raw`)."""
        return predict_raw(self.members, self.standardisations, blocks)


def load_trained(path: str, model_factory: ModelFactory = build_classifier,
                 network_type: Any = NetworkConfig) -> TrainedModel:
    """Load model.pt. ``model_factory`` (the analysis spec's, the one it was trained with) rebuilds each member
    from ``network_type.from_dict`` of the stored settings before its weights are loaded."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    network = network_type.from_dict(payload["network_config"])
    states = payload["state_dicts"] if "state_dicts" in payload else [payload["state_dict"]]
    members = []
    for state in states:
        model = model_factory(network, 0)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:  # torch: missing/unexpected keys or shape mismatch
            raise ModelMetadataError(f"{path}: trained with model factory {payload.get('model_factory', '?')}; "
                                     f"{factory_name(model_factory)} builds another architecture: {exc}") from exc
        members.append(model.eval())
    blocks = payload["standardisations"] if "standardisations" in payload else [payload["standardisation"]]
    return TrainedModel(members, [Standardisation.from_dict(b) for b in blocks], payload)


def load_model(path: str, model_factory: ModelFactory = build_classifier) -> tuple[nn.Module, Standardisation, dict]:
    """Load a single-block, single-member model.pt: (network on CPU in eval mode, standardisation, full payload)."""
    trained = load_trained(path, model_factory)
    if len(trained.members) != 1 or len(trained.standardisations) != 1:
        raise ModelMetadataError(f"{path}: {len(trained.members)} members and {len(trained.standardisations)} input "
                                 "blocks; load it with load_trained")
    return trained.members[0], trained.standardisations[0], trained.payload
