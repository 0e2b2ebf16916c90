"""The ewkino seed ensemble on the shared trainer: its config section, its input blocks and its test-split AUCs.

Training, save/load, standardisation and prediction are ``susyscan.training.train_nn``'s: Adam on the
class-balanced weighted BCE, the best validation-loss epoch of each member kept, member 0 seeded ``seed``, member
k >= 1 ``susyscan.seeds.member_seed(seed, k)``.
What is ewkino's own: the mapping of ``analyses.ewkino.training`` to the shared settings, the two input blocks
(high-level features with ``SENTINEL`` for missing jets; PF candidates padded with ``PADDING_VALUE``) and the
provenance stored in model.pt. The train/val/test split is the shared id-based one
(``susyscan.training.splitting.split_by_id`` on the events' (sample, chunk, event) ids, seeded by ``seed``): the
evaluation stages score the events the ONNX model held out, as the shared scan does
(``susyscan.scan.inference.FoldEnsemble``: the split recomputed from the ids with the fractions and scheme the
model's fold metadata records, checked against its held-out fingerprints), so a model trained with another split is
refused there instead of scoring events it trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from susyscan.analyses.ewkino.inputs import SENTINEL, InputSet, inputs_from_split
from susyscan.analyses.ewkino import DATASET_OPTIONS
from susyscan.analyses.ewkino import SPEC
from susyscan.analyses.ewkino.model import SHAPE_KEYS, NetConfig, build_member
from susyscan.errors import ConfigError, EmptySelectionError
from susyscan.training.dataset import PreparedDataset
from susyscan.training.metrics import weighted_auc
from susyscan.training.splitting import SPLIT_ID_SCHEME, SPLIT_NAMES
from susyscan.training.standardise import Standardisation
from susyscan.training.train_nn import NNTrainingConfig, NNTrainingResult, TrainedModel, load_trained, predict_raw

logger = logging.getLogger(__name__)

#: Names of the two input blocks (the ONNX input names).
HIGHLEVEL, PFCANDS = "highlevel", "pfcands"
#: ``mass_region`` of the ewkino model: one network for the whole grid.
MASS_REGION = "all"
#: Mass bounds of ewkino's training region: the whole grid.
WHOLE_GRID = (0.0, float("inf"))
#: Choices of ``analyses.ewkino.training.signal_weighting`` (see :func:`training_weights`).
SIGNAL_WEIGHTINGS = ("cross_section", "per_point")


@dataclass(frozen=True)
class TrainConfig:
    """Ensemble training options (config section ``analyses.ewkino.training``)."""

    n_members: int = 3
    epochs: int = 10
    learning_rate: float = 1e-3
    batch_size: int = 256
    weight_decay: float = 1e-5
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    seed: int = 1
    kfold: int = 1
    device: str = "auto"
    signal_weighting: str = "cross_section"
    net: NetConfig = field(default_factory=NetConfig)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """Build from a config mapping; ``net`` keys (layer sizes) go to NetConfig."""
        raw = dict(raw)
        net_raw = raw.pop("net", {}) or {}
        known = set(cls.__dataclass_fields__) - {"net"}
        unknown = sorted(set(raw) - known) + sorted(set(net_raw) - (set(NetConfig.__dataclass_fields__) - set(SHAPE_KEYS)))
        if unknown:
            raise ConfigError(f"ewkino training config: unknown keys {unknown}")
        if "split" in raw:
            raw["split"] = tuple(float(x) for x in raw["split"])
        cfg = cls(**raw, net=NetConfig.from_dict(dict(net_raw)))
        if cfg.signal_weighting not in SIGNAL_WEIGHTINGS:
            raise ConfigError(f"ewkino training config: signal_weighting {cfg.signal_weighting!r} is not one of "
                              f"{list(SIGNAL_WEIGHTINGS)}")
        if cfg.kfold < 1:
            raise ConfigError(f"ewkino training config: kfold {cfg.kfold} is not >= 1")
        cfg.shared()  # checks epochs, batch size, members and learning rate
        return cfg

    def shared(self) -> NNTrainingConfig:
        """The shared trainer's settings: Adam, class-balanced |weight| loss, best validation-loss epoch."""
        return NNTrainingConfig(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                                weight_decay=self.weight_decay, seed=self.seed, device=self.device, optimiser="adam",
                                loss_weighting="balanced", model_selection="val_loss", n_members=self.n_members)


def blocks(inputs: InputSet) -> tuple[np.ndarray, np.ndarray]:
    """The raw input blocks (high-level [N, F], candidates [N, M, C]) in model order."""
    return inputs.highlevel, inputs.pfcands


def training_weights(inputs: InputSet, per_point: bool = False) -> np.ndarray:
    """Per-event training weights before the shared trainer's class balancing (``per_point``: the validated
    ``TrainConfig.signal_weighting == "per_point"``).

    ``cross_section`` (not ``per_point``): |weight_pb| for every event, so the grid points with the largest cross
    sections after the preselection set the signal class (with the wino pairs of ``sq_ewkino_isr``, the
    m_chi = 100 GeV points). ``per_point``: a signal event's |weight_pb| divided by the summed |weight_pb| of its grid
    point (signal sample) in ``inputs``, so that every point counts the same and keeps its own mixture of components;
    background events keep |weight_pb|. A signal sample whose weights sum to zero is an error (it cannot be
    normalised). The per-point sums are taken over each point's events in input order (one stable sort, not one mask
    per point), so they equal ``weights[sample == name].sum()`` bit for bit."""
    if not per_point:
        return inputs.weight_pb  # the shared trainer's class balancing takes |w|
    weights = np.abs(np.asarray(inputs.weight_pb, dtype=np.float64))
    rows = np.flatnonzero(inputs.is_signal.astype(bool))
    names, codes = np.unique(inputs.sample[rows].astype(str), return_inverse=True)
    counts = np.bincount(codes, minlength=len(names))
    grouped = np.split(weights[rows][np.argsort(codes, kind="stable")], np.cumsum(counts)[:-1])
    totals = np.array([group.sum() for group in grouped], dtype=np.float64)
    bad = np.flatnonzero(~(totals > 0))
    if len(bad):
        first = bad[0]
        raise EmptySelectionError(f"ewkino training: signal sample {names[first]!r} has summed |weight_pb| "
                                  f"{totals[first]} over {int(counts[first])} events; per_point weighting cannot "
                                  "normalise it")
    out = weights.copy()
    out[rows] = weights[rows] / totals[codes]
    return out


def test_split_metrics(result: NNTrainingResult, test: InputSet) -> dict[str, Any]:
    """Weighted ROC AUC of the ensemble and of each member on the test split (empty without both classes)."""
    if not (len(test) and test.is_signal.any() and (~test.is_signal.astype(bool)).any()):
        return {}
    weights = np.abs(test.weight_pb)
    members = [weighted_auc(predict_raw(m, result.standardisations, blocks(test)), test.is_signal, weights)
               for m in result.members]
    ensemble = weighted_auc(result.predict(blocks(test)), test.is_signal, weights)
    logger.info("test AUC: ensemble %.4f, members %s", ensemble, ", ".join(f"{a:.4f}" for a in members))
    return {"test_auc": ensemble, "test_auc_members": members}


def dataset_parts(dataset: PreparedDataset, cfg: TrainConfig, source: str) -> dict[str, InputSet]:
    """train / val / test InputSets of a dataset of the shared dataset stage, which must have been built with
    ``DATASET_OPTIONS``, ``cfg``'s number of folds, split fractions and seed (the evaluation stages recompute its
    test events, or each event's fold, from the ids with those): another dataset is an error naming ``source``."""
    info = dataset.info
    expected = {"split_scheme": DATASET_OPTIONS["split_scheme"], "kfold": cfg.kfold,
                "balance": DATASET_OPTIONS["balance"], "seed": cfg.seed, "split_fractions": list(cfg.split)}
    found = {key: info.get(key, True if key == "balance" else None) for key in expected}
    if found != expected:
        raise ConfigError(f"{source}: dataset built with {found}; ewkino training needs {expected} "
                          "(analyses.ewkino.training kfold, split and seed)")
    return {name: inputs_from_split(getattr(dataset, name).frame, getattr(dataset, name).blocks, info, source)
            for name in SPLIT_NAMES}


def network_settings(cfg: TrainConfig, inputs: InputSet) -> NetConfig:
    """The members' architecture: ``cfg.net`` with the input shapes of ``inputs`` (features, candidate features,
    budget M)."""
    return replace(cfg.net, n_highlevel=inputs.highlevel.shape[1], n_pfcand=inputs.pfcands.shape[2],
                   max_candidates=inputs.max_candidates)


def candidate_budget_info(parts: Sequence[InputSet]) -> dict[str, Any]:
    """Budget M, multiplicity quantiles and truncated fraction of the events of ``parts`` (a dataset's splits, in
    order; their ``n_candidates`` only, no block is copied)."""
    from susyscan.analyses.ewkino.budget import multiplicity_row

    first = parts[0]
    counts = np.concatenate([part.n_candidates for part in parts])
    return {"pfcand_pt_min": first.pfcand_pt_min, **multiplicity_row(counts, first.max_candidates)}


def ensemble_provenance(parts: Mapping[str, InputSet], cfg: TrainConfig) -> dict[str, Any]:
    """ewkino's keys of model.pt (``export.ewkino_metadata`` turns them into ONNX metadata): feature names, budget,
    padding and sentinel, PF threshold, members, split, its scheme and seed, signal weighting and the candidate
    budget of ``parts`` (:func:`dataset_parts`: the dataset's train, val and test events)."""
    inputs = parts["train"]
    return {
        "feature_names": inputs.feature_names, "pfcand_feature_names": inputs.pfcand_feature_names,
        "mass_region": MASS_REGION, "n_members": cfg.n_members, "max_candidates": inputs.max_candidates,
        "padding_value": inputs.padding_value, "sentinel": SENTINEL, "pfcand_pt_min": inputs.pfcand_pt_min,
        "seed": cfg.seed, "split": list(cfg.split), "split_scheme": SPLIT_ID_SCHEME,
        "signal_weighting": cfg.signal_weighting,
        "candidate_budget": candidate_budget_info(list(parts.values())),
    }


def load_ensemble(path: str | Path) -> TrainedModel:
    """The saved ensemble (members on CPU in eval mode, block standardisations, payload with the provenance); a
    model.pt written before the shared trainer (:func:`from_legacy`) is read too."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if "network_config" not in payload and "net" in payload:
        return from_legacy(payload)
    return load_trained(str(path), SPEC.model_factory, NetConfig)


def from_legacy(payload: dict[str, Any]) -> TrainedModel:
    """The ensemble of a model.pt of ewkino's former own trainer: one state dict of its ``Ensemble`` module
    (members ``members.<k>.*``, standardisation buffers ``hl_mean/hl_std/pf_mean/pf_std``), architecture in ``net``
    and ``n_highlevel``/``n_pfcand``/``max_candidates``; no training-data hash (recorded as "")."""
    state = payload["state_dict"]
    net = NetConfig.from_dict({**payload["net"], **{key: int(payload[key]) for key in SHAPE_KEYS}})
    members: list[torch.nn.Module] = []
    for k in range(int(payload["n_members"])):
        prefix = f"members.{k}."
        member = build_member(net, 0)
        member.load_state_dict({key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)})
        members.append(member.eval())

    def moments(name: str) -> tuple[np.ndarray, np.ndarray]:
        return state[f"{name}_mean"].double().numpy(), state[f"{name}_std"].double().numpy()

    standardisations = [
        Standardisation(tuple(payload["feature_names"]), *moments("hl"), HIGHLEVEL, float(payload["sentinel"])),
        Standardisation(tuple(payload["pfcand_feature_names"]), *moments("pf"), PFCANDS,
                        float(payload["padding_value"]), int(payload["max_candidates"])),
    ]
    info = {key: value for key, value in payload.items() if key != "state_dict"}
    return TrainedModel(members, standardisations, {**info, "mass_region": MASS_REGION, "training_data_hash": ""})
