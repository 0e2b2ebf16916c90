"""Stage entry points: train (NN or BDT), export to ONNX with parity check, performance table."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, fields
from pathlib import Path

from susyscan.errors import ConfigError, ModelMetadataError
from susyscan.training.dataset import PreparedDataset, load_dataset
from susyscan.training.export import DEFAULT_PARITY_TOLERANCE, check_parity, export_bdt, export_nn, model_metadata
from susyscan.training.io_utils import write_json
from susyscan.training.network import NetworkConfig
from susyscan.training.onnx_model import load_checked
from susyscan.training.outputs import ModelOutputs, write_csv, write_evaluation
from susyscan.training.performance import performance_table
from susyscan.training.train_bdt import BDTConfig, load_booster, predict_bdt, save_booster, train_bdt
from susyscan.training.train_nn import (
    NNTrainingConfig,
    load_model,
    predict_raw,
    save_model,
    train_classifier,
)

logger = logging.getLogger(__name__)

NETWORK_KEYS = ("hidden_layers", "activation", "init_std")


def _check_keys(section: str, given: Mapping[str, object], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigError(f"{section}: unknown keys {unknown}; allowed {sorted(allowed)}")


def split_nn_hyper(hyper: Mapping[str, object], seed: int | None = None) -> tuple[dict, dict]:
    """Split the flat ``training.nn`` config into network and optimiser/training settings."""
    _check_keys("training.nn", hyper, set(NETWORK_KEYS) | {f.name for f in fields(NNTrainingConfig)})
    network = {k: v for k, v in hyper.items() if k in NETWORK_KEYS}
    training = {k: v for k, v in hyper.items() if k not in NETWORK_KEYS}
    if seed is not None:
        training["seed"] = int(seed)
    return network, training


def run_nn(
    dataset: PreparedDataset, outputs: ModelOutputs, hyper: Mapping[str, object] | None = None,
    seed: int | None = None, progress: bool = True,
) -> dict:
    """Train the MLP (flat ``training.nn`` settings), write model.pt and the evaluation; return metrics."""
    network, training = split_nn_hyper(hyper or {}, seed)
    if "hidden_layers" in network:
        network["hidden_layers"] = tuple(network["hidden_layers"])  # type: ignore[arg-type]
    network_config = NetworkConfig(n_inputs=len(dataset.feature_names), **network)  # type: ignore[arg-type]
    training_config = NNTrainingConfig(**training)  # type: ignore[arg-type]
    result = train_classifier(dataset, network_config, training_config, progress=progress)
    save_model(result, dataset, str(outputs.model))
    test_scores = predict_raw(result.model, dataset.standardisation, dataset.test.X)
    extra = {"device": result.device, "network": network_config.to_dict(), "training": asdict(training_config)}
    return write_evaluation(outputs, dataset, test_scores, result.history, result.best_epoch, "nn",
                            training_config.selection_threshold, extra)


def run_bdt(
    dataset: PreparedDataset, outputs: ModelOutputs, hyper: Mapping[str, object] | None = None,
    seed: int | None = None, threads: int = 1,
) -> dict:
    """Train the xgboost BDT (``training.bdt`` settings), write model.json and the evaluation; return metrics."""
    settings = dict(hyper or {})
    selection_threshold = float(settings.pop("selection_threshold", 0.5))  # type: ignore[arg-type]
    if seed is not None:
        settings["seed"] = int(seed)
    _check_keys("training.bdt", settings, {f.name for f in fields(BDTConfig)} - {"threads"})
    config = BDTConfig(**{**settings, "threads": threads})  # type: ignore[arg-type]
    result = train_bdt(dataset, config)
    result.booster.set_attr(training_data_hash=dataset.info["training_data_hash"], mass_region=dataset.info["region"])
    save_booster(result.booster, str(outputs.model))
    test_scores = predict_bdt(result.booster, dataset.test.X)
    extra = {"bdt": asdict(config), "n_trees": int(result.booster.num_boosted_rounds())}
    return write_evaluation(outputs, dataset, test_scores, result.history, result.best_epoch, "bdt",
                            selection_threshold, extra)


def _check_provenance(model_path: str | Path, model_hash: str | None, dataset: PreparedDataset) -> None:
    """Refuse to export a model trained on other data than ``dataset`` (training-data hash)."""
    if model_hash is not None and model_hash != dataset.info["training_data_hash"]:
        raise ModelMetadataError(f"{model_path}: trained on data {model_hash[:12]}, but the dataset "
                                 f"{dataset.info['region']} has hash {dataset.info['training_data_hash'][:12]}")


def export_model(
    model_path: str | Path, model_type: str, dataset: PreparedDataset, onnx_path: str | Path,
    parity_path: str | Path | None, score_threshold: float = 0.7,
    parity_tolerance: float = DEFAULT_PARITY_TOLERANCE,
) -> float:
    """Export model.pt / model.json to ONNX with metadata, check parity on the test split, write parity JSON."""
    metadata = model_metadata(dataset.feature_names, dataset.info["region"], score_threshold,
                              dataset.info["training_data_hash"], model_type)
    if model_type == "nn":
        model, standardisation, payload = load_model(str(model_path))
        _check_provenance(model_path, payload.get("training_data_hash"), dataset)
        export_nn(model, standardisation, metadata, onnx_path)
        native = predict_raw(model, standardisation, dataset.test.X)
    elif model_type == "bdt":
        booster = load_booster(str(model_path))
        _check_provenance(model_path, booster.attr("training_data_hash"), dataset)
        export_bdt(booster, len(dataset.feature_names), metadata, onnx_path)
        native = predict_bdt(booster, dataset.test.X)
    else:
        raise ConfigError(f"model type {model_type!r} is not 'nn' or 'bdt'")
    deviation = check_parity(onnx_path, dataset.test.X, native, parity_tolerance)
    if parity_path is not None:
        write_json(parity_path, {"model_type": model_type, "mass_region": dataset.info["region"], "split": "test",
                                 "n_events": int(len(native)), "max_abs_deviation": deviation,
                                 "tolerance": parity_tolerance, "onnx": str(onnx_path)})
    return deviation


def performance_from_onnx(
    onnx_path: str | Path, dataset: PreparedDataset, table_path: str | Path, score_threshold: float,
    lumi_fb: float | None = None,
) -> None:
    """Performance table of an exported model on the test split, rescaled to ``lumi_fb`` when given."""
    model = load_checked(onnx_path, dataset.feature_names)
    scale = 1.0 if lumi_fb is None else float(lumi_fb) / float(dataset.info["lumi_fb"])
    test = dataset.test
    scaled = type(test)(test.X, test.y, test.weight * scale, test.sample, test.m_parent, test.m_lsp)
    table = performance_table(scaled, model.predict(test.X), dataset.info["samples"], score_threshold)
    table["lumi_fb"] = float(lumi_fb if lumi_fb is not None else dataset.info["lumi_fb"])
    table["model_type"] = model.model_type
    write_csv(table, table_path)


def _load(dataset_paths: Mapping[str, str | Path]) -> PreparedDataset:
    return load_dataset(dataset_paths, dataset_paths["meta"])


def train_nn_from_files(dataset_paths: Mapping[str, str | Path], outputs: ModelOutputs, **kwargs: object) -> dict:
    """File-based :func:`run_nn`; ``dataset_paths`` has keys train, val, test, meta."""
    return run_nn(_load(dataset_paths), outputs, **kwargs)  # type: ignore[arg-type]


def train_bdt_from_files(dataset_paths: Mapping[str, str | Path], outputs: ModelOutputs, **kwargs: object) -> dict:
    """File-based :func:`run_bdt`; ``dataset_paths`` has keys train, val, test, meta."""
    return run_bdt(_load(dataset_paths), outputs, **kwargs)  # type: ignore[arg-type]


def export_from_files(model_path: str | Path, model_type: str, dataset_paths: Mapping[str, str | Path],
                      onnx_path: str | Path, parity_path: str | Path | None, **kwargs: object) -> float:
    """File-based :func:`export_model`."""
    dataset = _load(dataset_paths)
    return export_model(model_path, model_type, dataset, onnx_path, parity_path, **kwargs)  # type: ignore[arg-type]


def performance_from_files(onnx_path: str | Path, dataset_paths: Mapping[str, str | Path], table_path: str | Path,
                           score_threshold: float, lumi_fb: float | None = None) -> None:
    """File-based :func:`performance_from_onnx`."""
    performance_from_onnx(onnx_path, _load(dataset_paths), table_path, score_threshold, lumi_fb)
