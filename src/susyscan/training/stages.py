"""Stage entry points: train (NN or BDT), export to ONNX with parity check, performance table.

With k-fold datasets, each fold's model is trained, evaluated (in-fold test split) and exported on its own;
:func:`out_of_fold_evaluation` then scores every event of the region with the model of the fold that held it out
and writes the region's metrics.json, performance table, ROC and score plots from those out-of-fold scores.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from susyscan.errors import ConfigError
import numpy as np
import pandas as pd

from susyscan.training.dataset import (HELDOUT, PreparedDataset, Split, load_dataset, load_heldout,
                                      split_from_frame)
from susyscan.training.folds import LeakageError, check_heldout, event_ids
from susyscan.training.export import (DEFAULT_PARITY_TOLERANCE, check_parity, check_training_data, export_bdt,
                                      export_nn, model_metadata)
from susyscan.training.io_utils import read_json, write_json
from susyscan.training.metrics import classification_metrics, selection_score
from susyscan.seeds import model_seed
from susyscan.training.network import ModelFactory, NetworkConfig, build_classifier
from susyscan.training.onnx_model import load_checked
from susyscan.training.outputs import ModelOutputs, evaluation_title, write_csv, write_evaluation
from susyscan.training.performance import performance_table
from susyscan.training.train_bdt import BDTConfig, load_booster, predict_bdt, save_booster, train_bdt
from susyscan.training.train_nn import (NNTrainingConfig, NNTrainingResult, dataset_block_names, load_trained, save_model,
                                        split_inputs, train_classifier)

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


def _network(dataset: PreparedDataset, settings: dict, network: Any | None) -> Any:
    """The architecture: ``network`` (an analysis' settings, then ``training.nn`` holds none of the MLP's keys),
    else the shared MLP's :class:`NetworkConfig` on the dataset's features (a block dataset needs ``network``)."""
    where = f"training.nn of region {dataset.info.get('region')!r}"
    if network is not None:
        if settings:
            raise ConfigError(f"{where}: MLP settings {sorted(settings)} given with the analysis' own network "
                              f"settings {type(network).__name__}")
        return network
    if dataset_block_names(dataset):
        raise ConfigError(f"{where}: a dataset with array blocks {dataset_block_names(dataset)} needs the "
                          "analysis' network settings (the shared MLP reads flat features)")
    if "hidden_layers" in settings:
        settings["hidden_layers"] = tuple(settings["hidden_layers"])
    return NetworkConfig(n_inputs=len(dataset.feature_names), **settings)


def run_nn(
    dataset: PreparedDataset, outputs: ModelOutputs, hyper: Mapping[str, object] | None = None,
    seed: int | None = None, progress: bool = True, model_factory: ModelFactory | None = None,
    network: Any | None = None, padding_keys: Mapping[str, str] | None = None,
    event_weights: Callable[[str, Split], np.ndarray] | None = None, provenance: Mapping[str, Any] | None = None,
    extra_metrics: Callable[[NNTrainingResult], Mapping[str, Any]] | None = None,
) -> dict:
    """Train the network (flat ``training.nn`` settings; ``model_factory``: the analysis spec's network builder,
    default ``build_classifier``), write model.pt and the evaluation; return metrics. ``seed``: the global seed;
    the model's own seed is its stream ``("model", region, "nn", fold)`` (``susyscan.seeds.model_seed``).

    A dataset with array blocks (``split_inputs``) needs ``network``, the settings ``model_factory`` builds from
    (then ``hyper`` holds training settings only), and ``padding_keys`` (``dataset_standardisations``: block ->
    ``input_metadata`` key of its missing-value marker). An analysis' hooks: ``event_weights`` (per-event weights
    of a split for the loss weightings, called with the split's name, ``"train"`` or ``"val"``, and the split;
    default its expected events), ``provenance`` (more keys of model.pt, which
    ``export_model``'s ``metadata`` can turn into ONNX metadata) and ``extra_metrics`` (more keys of metrics.json
    from the trained result)."""
    if seed is not None:
        seed = model_seed(seed, str(dataset.info["region"]), "nn", dataset.fold)
    network_settings, training = split_nn_hyper(hyper or {}, seed)
    network_config = _network(dataset, network_settings, network)
    training_config = NNTrainingConfig(**training)  # type: ignore[arg-type]
    result = train_classifier(dataset, network_config, training_config, progress=progress,
                              model_factory=model_factory or build_classifier, padding_keys=padding_keys,
                              event_weights=event_weights)
    save_model(result, dataset, str(outputs.model), provenance)
    test_scores = result.predict(split_inputs(dataset, dataset.test))
    extra = {"device": result.device, "network": network_config.to_dict(), "training": asdict(training_config),
             **({"best_epochs": result.best_epochs} if len(result.best_epochs) > 1 else {}),
             **(extra_metrics(result) if extra_metrics is not None else {})}
    return write_evaluation(outputs, dataset, test_scores, result.history, result.best_epoch, "nn",
                            training_config.selection_threshold, extra)


def run_bdt(
    dataset: PreparedDataset, outputs: ModelOutputs, hyper: Mapping[str, object] | None = None,
    seed: int | None = None, threads: int = 1,
) -> dict:
    """Train the xgboost BDT (``training.bdt`` settings), write model.json and the evaluation; return metrics.
    ``seed``: the global seed; the model's own seed is stream ``("model", region, "bdt", fold)``."""
    _refuse_blocks(dataset, "bdt")
    settings = dict(hyper or {})
    selection_threshold = float(settings.pop("selection_threshold", 0.5))  # type: ignore[arg-type]
    if seed is not None:
        settings["seed"] = model_seed(seed, str(dataset.info["region"]), "bdt", dataset.fold)
    _check_keys("training.bdt", settings, {f.name for f in fields(BDTConfig)} - {"threads"})
    config = BDTConfig(**{**settings, "threads": threads})  # type: ignore[arg-type]
    result = train_bdt(dataset, config)
    result.booster.set_attr(training_data_hash=dataset.info["training_data_hash"], mass_region=dataset.info["region"])
    save_booster(result.booster, str(outputs.model))
    test_scores = predict_bdt(result.booster, dataset.test.X)
    extra = {"bdt": asdict(config), "n_trees": int(result.booster.num_boosted_rounds())}
    return write_evaluation(outputs, dataset, test_scores, result.history, result.best_epoch, "bdt",
                            selection_threshold, extra)


def _refuse_blocks(dataset: PreparedDataset, model_type: str) -> None:
    """The BDT reads flat features: a dataset with array blocks is a ConfigError naming the region."""
    if dataset_block_names(dataset):
        raise ConfigError(f"dataset of region {dataset.info.get('region')!r}: model type {model_type!r} reads flat "
                          f"features, not the array blocks {dataset_block_names(dataset)}")


def _check_provenance(model_path: str | Path, model_hash: str | None, dataset: PreparedDataset) -> None:
    """Refuse to export a model trained on other data than ``dataset`` (training-data hash)."""
    check_training_data(model_path, model_hash, dataset.info["training_data_hash"],
                        f"the dataset of region {dataset.info['region']}")


def export_model(
    model_path: str | Path, model_type: str, dataset: PreparedDataset, onnx_path: str | Path,
    parity_path: str | Path | None, score_threshold: float = 0.7,
    parity_tolerance: float = DEFAULT_PARITY_TOLERANCE, model_factory: ModelFactory | None = None,
    scores_plot: str | Path | None = None, network_type: Any = NetworkConfig,
    metadata: Callable[[dict[str, Any]], Mapping[str, str]] | None = None,
) -> float:
    """Export model.pt / model.json to ONNX with metadata, check parity on the test split, write parity JSON and,
    when ``scores_plot`` is given, the test-split score distributions with the scan's cut ``score_threshold``.
    ``model_factory``: the analysis spec's network builder (the NN's architecture; default ``build_classifier``),
    ``network_type``: its settings class (``from_dict`` of the stored settings). A dataset with array blocks gives
    the parity check its blocks (``split_inputs``); their standardisations come from model.pt. ``metadata``: an
    analysis' ONNX metadata from the NN's model.pt payload (its provenance), over the shared keys (it may not
    replace the training-data hash)."""
    shared = model_metadata(dataset.feature_names, dataset.info["region"], score_threshold,
                            dataset.info["training_data_hash"], model_type, fold_info=dataset.info)
    inputs = split_inputs(dataset, dataset.test) if model_type == "nn" else (dataset.test.X,)
    if model_type == "nn":
        trained = load_trained(str(model_path), model_factory or build_classifier, network_type)
        _check_provenance(model_path, trained.payload.get("training_data_hash"), dataset)
        extra = dict(metadata(trained.payload)) if metadata is not None else {}
        if extra.get("training_data_hash", shared["training_data_hash"]) != shared["training_data_hash"]:
            raise ConfigError(f"{onnx_path}: the analysis' metadata replaces the dataset's training-data hash")
        export_nn(trained.members, trained.standardisations, {**shared, **extra}, onnx_path)
        native = trained.predict(inputs)
    elif model_type == "bdt":
        _refuse_blocks(dataset, model_type)
        booster = load_booster(str(model_path))
        _check_provenance(model_path, booster.attr("training_data_hash"), dataset)
        export_bdt(booster, len(dataset.feature_names), shared, onnx_path)
        native = predict_bdt(booster, dataset.test.X)
    else:
        raise ConfigError(f"model type {model_type!r} is not 'nn' or 'bdt'")
    deviation = check_parity(onnx_path, inputs, native, parity_tolerance)
    if parity_path is not None:
        write_json(parity_path, {"model_type": model_type, "mass_region": dataset.info["region"], "split": "test",
                                 "fold": dataset.fold,
                                 "n_events": int(len(native)), "max_abs_deviation": deviation,
                                 "tolerance": parity_tolerance, "onnx": str(onnx_path)})
    if scores_plot is not None:
        from susyscan.plotting.training import plot_scores

        test = dataset.test
        plot_scores(test.y, native, test.weight, scores_plot, score_cut=score_threshold,
                    title=evaluation_title(model_type, dataset), lumi_ifb=dataset.info.get("lumi_fb"))
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


@dataclass(frozen=True)
class OutOfFoldOutputs:
    """Files of the region-level evaluation rule (``performance_table`` in ``workflow/rules/training.smk``)."""

    table: Path
    metrics: Path
    roc: Path
    scores: Path

    @classmethod
    def from_mapping(cls, paths: object) -> OutOfFoldOutputs:
        """Build from an object with the field names as attributes or keys (e.g. ``snakemake.output``)."""
        get = paths.get if isinstance(paths, dict) else lambda key: getattr(paths, key)
        return cls(**{f.name: Path(str(get(f.name))) for f in fields(cls)})


def out_of_fold_scores(onnx_paths: Sequence[str | Path], dataset_paths: Sequence[Mapping[str, str | Path]]
                       ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[dict], dict]:
    """Score each fold's held-out table with that fold's model: (rows, scores, fold, samples, info of fold 0).

    Checks that model ``i`` holds out fold ``i`` of the same k, seed and training data, that the held-out ids
    are the ones recorded in the model, and that no event appears in two held-out tables.
    """
    if len(onnx_paths) != len(dataset_paths) or len(onnx_paths) < 2:
        raise ConfigError(f"out-of-fold evaluation needs one model per fold (k >= 2), got {len(onnx_paths)} models "
                          f"and {len(dataset_paths)} datasets")
    frames, scores, folds = [], [], []
    first: dict = {}
    for index, (onnx_path, paths) in enumerate(zip(onnx_paths, dataset_paths)):
        info = read_json(paths["meta"])
        first = first or info
        if info.get("kfold") != len(onnx_paths) or info.get("fold") != index:
            raise ConfigError(f"{paths['meta']}: fold {info.get('fold')}/{info.get('kfold')}, expected "
                              f"{index}/{len(onnx_paths)}")
        if info["feature_names"] != first["feature_names"] or info["fold_seed"] != first["fold_seed"]:
            raise ConfigError(f"{paths['meta']}: features or fold seed differ from fold 0")
        model = load_checked(onnx_path, info["feature_names"])
        if (model.fold, model.kfold, model.fold_seed) != (index, info["kfold"], info["fold_seed"]):
            raise LeakageError(f"{onnx_path}: holds out fold {model.fold}/{model.kfold} (seed {model.fold_seed}), "
                               f"but scores fold {index}/{info['kfold']} (seed {info['fold_seed']})")
        check_training_data(onnx_path, model.training_data_hash, info["training_data_hash"], str(paths["meta"]))
        heldout = load_heldout(paths[HELDOUT], info)
        check_heldout(heldout.frame["sample"].astype(str).to_numpy(), event_ids(heldout.frame, str(paths[HELDOUT])),
                      model.heldout_ids or {}, str(onnx_path), str(paths[HELDOUT]))
        frames.append(heldout.frame)
        scores.append(model.predict(heldout.X))
        folds.append(np.full(len(heldout.y), index, dtype=np.int8))
    rows = pd.concat(frames, ignore_index=True)
    event_ids(rows, "out-of-fold tables")  # raises on an event held out by two folds
    return rows, np.concatenate(scores), np.concatenate(folds), first["samples"], first


def out_of_fold_evaluation(
    onnx_paths: Sequence[str | Path], dataset_paths: Sequence[Mapping[str, str | Path]], outputs: OutOfFoldOutputs,
    score_threshold: float, lumi_fb: float | None = None, fold_metrics: Sequence[str | Path] = (),
) -> dict:
    """Region metrics.json, performance.csv, ROC and score plots from the out-of-fold scores of every event.

    Weights are the full-sample expected events (each event is scored once, by the model that did not train on
    it), rescaled to ``lumi_fb`` when given. ``fold_metrics`` (the folds' in-fold test metrics.json) give the
    selection threshold of F1/precision and are summarised in the output.
    """
    from susyscan.plotting.training import plot_roc, plot_scores

    rows, scores, folds, samples, info = out_of_fold_scores(onnx_paths, dataset_paths)
    names = [s["sample"] for s in samples]
    split = split_from_frame(rows, info["feature_names"], names)
    scale = 1.0 if lumi_fb is None else float(lumi_fb) / float(info["lumi_fb"])
    weight = split.weight * scale
    scaled = type(split)(split.X, split.y, weight, split.sample, split.m_parent, split.m_lsp)
    model_type = load_checked(onnx_paths[0], info["feature_names"]).model_type
    table = performance_table(scaled, scores, samples, score_threshold)
    table["lumi_fb"] = float(lumi_fb if lumi_fb is not None else info["lumi_fb"])
    table["model_type"] = model_type
    per_fold = [read_json(path) for path in fold_metrics]
    threshold = float(per_fold[0].get("threshold", 0.5)) if per_fold else 0.5
    title = f"{model_type.upper()}, {info['region']} mass region, out-of-fold ({info['kfold']} folds)"
    auc = plot_roc(split.y, scores, outputs.roc, title=title)
    plot_scores(split.y, scores, weight, outputs.scores, score_cut=score_threshold, title=title,
                lumi_ifb=float(table["lumi_fb"].iloc[0]))
    oof = classification_metrics(split.y, scores, threshold)
    metrics = {
        "model_type": model_type,
        "mass_region": info["region"],
        "split": "out-of-fold",
        "kfold": int(info["kfold"]),
        **oof,
        "roc_auc_mc_unc": auc.error,  # Hanley-McNeil, unweighted events (susyscan.plotting.training)
        "selection_score": selection_score(oof),
        "n_events": int(len(split.y)),
        "n_signal": int(split.y.sum()),
        "n_events_per_fold": np.bincount(folds, minlength=int(info["kfold"])).tolist(),
        "folds": [{"fold": index, **{k: m.get(k) for k in ("roc_auc", "f1", "best_epoch", "n_test",
                                                           "training_data_hash")}}
                  for index, m in enumerate(per_fold)],
    }
    write_csv(table, outputs.table)
    write_json(outputs.metrics, metrics)
    logger.info("%s %s out-of-fold metrics: %s", model_type, info["region"],
                {k: metrics[k] for k in ("roc_auc", "f1", "precision", "n_events")})
    return metrics
