"""Train the surrogate: one xgboost binary classifier per region on the truth features of many grid points.

Split (all deterministic): the mass points listed as held out are never trained on (held-out validation); the
events of the other points are split by the stable event id (``susyscan.training.folds.assign_folds`` with
``test_folds`` folds, fold 0 = test), so the training-point validation also uses events the model never saw.
Output: the merged ONNX model with the contract in its metadata, the native models, the parity check
(onnxruntime vs xgboost, required < 1e-5), and the per-event predictions read by the validation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.atomic import write_bytes_atomic, write_csv_atomic, write_json_atomic
from susyscan.errors import FeatureError, ModelMetadataError
from susyscan.surrogate.contract import MISSING, Contract, check_columns, input_names, write_contract
from susyscan.surrogate.labels import PRESELECTION
from susyscan.surrogate.onnx_merge import convert_classifier, merge_region_models, run_onnx
from susyscan.training.folds import assign_folds, event_ids

logger = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-5
CATEGORICAL = ("n_leptons", "lep1_flavour", "lep1_charge", "lep2_flavour", "lep2_charge")
ROLES = ("train", "test", "heldout")


@dataclass(frozen=True)
class TrainSettings:
    """xgboost and split settings (config ``surrogate.xgboost``, ``surrogate.test_folds``, ``seed``)."""

    n_estimators: int = 200
    max_depth: int = 4
    learning_rate: float = 0.1
    min_child_weight: float = 5.0
    min_positive: int = 10
    test_folds: int = 4
    seed: int = 1
    threads: int = 1

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], seed: int, threads: int = 1) -> "TrainSettings":
        xgb = cfg.get("xgboost", {})
        return cls(n_estimators=int(xgb.get("n_estimators", 200)), max_depth=int(xgb.get("max_depth", 4)),
                   learning_rate=float(xgb.get("learning_rate", 0.1)),
                   min_child_weight=float(xgb.get("min_child_weight", 5.0)),
                   min_positive=int(cfg.get("min_positive", 10)), test_folds=int(cfg.get("test_folds", 4)),
                   seed=int(seed), threads=int(threads))


def read_labels(paths: Sequence[str | Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        df = pd.read_csv(path)
        if df.empty:
            raise FeatureError(f"{path}: no events")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def region_columns(df: pd.DataFrame) -> list[str]:
    """Label columns of a label table: Preselection and the regions, in file order."""
    start = list(df.columns).index(PRESELECTION)
    return list(df.columns[start:])


def assign_roles(df: pd.DataFrame, heldout_points: Sequence[Sequence[float]], seed: int, test_folds: int) -> np.ndarray:
    """'heldout' for events of held-out mass points, else 'test' (fold 0 of ``test_folds``) or 'train'."""
    held = {(float(a), float(b)) for a, b in heldout_points}
    points = list(zip(df["m_parent"].astype(float), df["m_lsp"].astype(float)))
    is_held = np.array([p in held for p in points], dtype=bool)
    folds = assign_folds(df["sample"].astype(str).to_numpy(), event_ids(df, "surrogate labels"), seed, test_folds)
    return np.where(is_held, "heldout", np.where(folds == 0, "test", "train"))


def training_ranges(x: pd.DataFrame) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per input [min, max] over the training events (sentinel excluded); values of the categorical inputs."""
    ranges, categories = {}, {}
    for name in x.columns:
        values = x[name].to_numpy(dtype=float)
        values = values[values != MISSING]
        if len(values):
            ranges[name] = [float(values.min()), float(values.max())]
        if name in CATEGORICAL:
            categories[name] = sorted(float(v) for v in np.unique(values))
    return ranges, categories


def fit_regions(x: np.ndarray, labels: pd.DataFrame, settings: TrainSettings) -> list[Any]:
    """One fitted XGBClassifier per label column, or the constant positive rate when it has too few positives."""
    import xgboost as xgb

    models: list[Any] = []
    for region in labels.columns:
        y = labels[region].to_numpy(dtype=int)
        n_pos = int(y.sum())
        if n_pos < settings.min_positive or n_pos > len(y) - settings.min_positive:
            rate = float(y.mean())
            logger.warning("region %r: %d positive of %d training events (< %d on one side): constant "
                           "probability %.4g instead of a classifier", region, n_pos, len(y), settings.min_positive,
                           rate)
            models.append(rate)
            continue
        model = xgb.XGBClassifier(n_estimators=settings.n_estimators, max_depth=settings.max_depth,
                                  learning_rate=settings.learning_rate, min_child_weight=settings.min_child_weight,
                                  objective="binary:logistic", tree_method="hist", random_state=settings.seed,
                                  n_jobs=settings.threads)
        model.fit(x, y)
        if all(tree.startswith("0:leaf=") for tree in model.get_booster().get_dump()):
            # no tree could split (min_child_weight with few positives): the model is its base score, which the
            # ONNX converter does not carry for split-less trees (parity 0.48 seen), so keep the constant itself
            rate = float(model.predict_proba(x[:1])[0, 1])
            logger.warning("region %r: %d positive of %d training events and no tree split: constant probability "
                           "%.4g", region, n_pos, len(y), rate)
            models.append(rate)
            continue
        models.append(model)
    return models


def native_predict(models: Sequence[Any], x: np.ndarray) -> np.ndarray:
    """[n, n_regions] probabilities from the native models."""
    cols = [np.full(len(x), m, dtype=np.float64) if isinstance(m, float) else m.predict_proba(x)[:, 1]
            for m in models]
    return np.column_stack(cols)


def data_hash(df: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()[:16]


@dataclass
class TrainedSurrogate:
    models: list[Any]
    onnx_bytes: bytes
    contract: Contract
    parity: float


def train_surrogate(df: pd.DataFrame, roles: np.ndarray, inputs: Sequence[str], settings: TrainSettings,
                    analysis: str = "smuon") -> TrainedSurrogate:
    """Fit, convert and merge; the parity (max |onnx - native| on the test events) must be < 1e-5."""
    check_columns(df.columns, list(inputs), "surrogate labels")
    regions = region_columns(df)
    train = roles == "train"
    if not train.any():
        raise FeatureError("surrogate training: no training events (every mass point held out?)")
    x_all = df[list(inputs)].to_numpy(dtype=np.float32)
    models = fit_regions(x_all[train], df.loc[train, regions], settings)
    parts = [m if isinstance(m, float) else convert_classifier(m, len(inputs)) for m in models]
    ranges, categories = training_ranges(df.loc[train, list(inputs)])
    points = sorted({(float(a), float(b)) for a, b in df.loc[train, ["m_parent", "m_lsp"]].to_numpy()})
    contract = Contract(inputs=list(inputs), regions=regions, ranges=ranges, categories=categories,
                        mass_points=[list(p) for p in points], analysis=analysis)
    metadata = {"feature_contract": json.dumps(contract.to_json()), "feature_names": json.dumps(list(inputs)),
                "regions": json.dumps(regions), "model_type": "xgboost binary per region (onnxmltools)",
                "training_data_hash": data_hash(df.loc[train, list(inputs) + regions])}
    merged = merge_region_models(parts, regions, len(inputs), metadata)
    onnx_bytes = merged.SerializeToString()
    check = roles != "train"
    x_check = x_all[check] if check.any() else x_all
    diff = np.abs(run_onnx(onnx_bytes, x_check) - native_predict(models, x_check))
    parity = float(diff.max()) if diff.size else 0.0
    logger.info("ONNX parity (max |onnxruntime - xgboost| over %d events x %d regions): %.3g", len(x_check),
                len(regions), parity)
    if not parity < PARITY_TOLERANCE:
        raise ModelMetadataError(f"surrogate ONNX parity {parity:.3g} >= {PARITY_TOLERANCE}")
    return TrainedSurrogate(models, onnx_bytes, contract, parity)


def predictions_table(df: pd.DataFrame, roles: np.ndarray, probabilities: np.ndarray, regions: Sequence[str],
                      prefix: str = "p_") -> pd.DataFrame:
    """Per event: ids, masses, role, labels and predicted probabilities (columns ``p_<region>``)."""
    out = df[["sample", "chunk", "event", "m_parent", "m_lsp"]].copy()
    out["role"] = roles
    for i, region in enumerate(regions):
        out[region] = df[region].to_numpy()
        out[prefix + region] = probabilities[:, i]
    return out


def run_training(label_paths: Sequence[str | Path], out_dir: str | Path, heldout_points: Sequence[Sequence[float]],
                 settings: TrainSettings, with_isr: bool = False, compare_isr: bool = True,
                 analysis: str = "smuon") -> dict[str, Any]:
    """Train from label tables and write ``model.onnx``, ``features.json``, ``native/``, ``parity.json`` and
    ``predictions.csv.gz`` (with ``p_isr_<region>`` columns of the ISR variant when ``compare_isr``)."""
    out = Path(out_dir)
    (out / "native").mkdir(parents=True, exist_ok=True)
    df = read_labels(label_paths)
    roles = assign_roles(df, heldout_points, settings.seed, settings.test_folds)
    counts = {r: int((roles == r).sum()) for r in ROLES}
    logger.info("surrogate events per role: %s; held-out points %s", counts, list(map(list, heldout_points)))
    inputs = input_names(with_isr)
    trained = train_surrogate(df, roles, inputs, settings, analysis)
    regions = trained.contract.regions
    write_bytes_atomic(trained.onnx_bytes, out / "model.onnx")
    write_contract(trained.contract, out / "features.json")
    for i, model in enumerate(trained.models):
        if not isinstance(model, float):
            model.get_booster().save_model(str(out / "native" / f"region{i}.json"))
    probabilities = run_onnx(trained.onnx_bytes, df[inputs].to_numpy(dtype=np.float32))
    table = predictions_table(df, roles, probabilities, regions)
    summary: dict[str, Any] = {"parity_max_abs": trained.parity, "tolerance": PARITY_TOLERANCE,
                               "events": counts, "inputs": inputs, "regions": regions}
    if compare_isr:
        other = input_names(not with_isr)
        variant = train_surrogate(df, roles, other, settings, analysis)
        key = "p_isr_" if not with_isr else "p_noisr_"
        extra = run_onnx(variant.onnx_bytes, df[other].to_numpy(dtype=np.float32))
        for i, region in enumerate(regions):
            table[key + region] = extra[:, i]
        summary["comparison_inputs"] = other
    write_csv_atomic(table, out / "predictions.csv.gz")
    write_json_atomic(summary, out / "parity.json", indent=2)
    return summary
