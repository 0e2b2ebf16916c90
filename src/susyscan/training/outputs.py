"""Output files of one trained model and the test-set evaluation written for both NN and BDT."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.plotting.training import plot_loss, plot_roc
from susyscan.training.dataset import PreparedDataset
from susyscan.training.io_utils import atomic_path, write_json
from susyscan.training.metrics import classification_metrics, selection_score

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelOutputs:
    """Files of the training rule (names as in ``workflow/rules/training.smk``). The fold's score plot is written
    by the export (:func:`susyscan.training.stages.export_model`), which knows the scan's score cut."""

    model: Path
    metrics: Path
    history: Path
    loss: Path
    roc: Path

    @classmethod
    def in_directory(cls, directory: str | Path, model_filename: str) -> ModelOutputs:
        """Standard names under ``results/training/<analysis>/<region>/<model>/``."""
        base = Path(directory)
        return cls(base / model_filename, base / "metrics.json", base / "history.csv", base / "loss.png",
                   base / "roc.png")

    @classmethod
    def from_mapping(cls, paths: object) -> ModelOutputs:
        """Build from an object with the field names as attributes or keys (e.g. ``snakemake.output``)."""
        get = paths.get if isinstance(paths, dict) else lambda key: getattr(paths, key)
        return cls(**{f.name: Path(str(get(f.name))) for f in fields(cls)})


def write_csv(table: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def evaluation_title(model_type: str, dataset: PreparedDataset) -> str:
    """Title of the plots of one trained model: model, mass region and fold."""
    title = f"{model_type.upper()}, {dataset.info['region']} mass region"
    if dataset.fold is not None:
        title += f", fold {dataset.fold}/{dataset.info['kfold']}"
    return title


def write_evaluation(
    outputs: ModelOutputs,
    dataset: PreparedDataset,
    test_scores: np.ndarray,
    history: pd.DataFrame,
    best_epoch: int,
    model_type: str,
    selection_threshold: float,
    extra_metrics: dict,
) -> dict:
    """Write history, loss/ROC plots and metrics.json on the test set (metrics last)."""
    region = dataset.info["region"]
    test = dataset.test
    write_csv(history, outputs.history)
    title = evaluation_title(model_type, dataset)
    plot_loss(history, outputs.loss, title=title, best_epoch=best_epoch, model_type=model_type)
    plot_roc(test.y, test_scores, outputs.roc, title=title)
    test_metrics = classification_metrics(test.y, test_scores, selection_threshold)
    metrics = {
        "model_type": model_type,
        "mass_region": region,
        "split": "test",
        "fold": dataset.fold,
        "kfold": dataset.info.get("kfold"),
        **test_metrics,
        "selection_score": selection_score(test_metrics),
        "best_epoch": int(best_epoch),
        "n_epochs_run": int(history.groupby("member").size().max() if "member" in history.columns else len(history)),
        "n_test": int(len(test.y)),
        "n_test_signal": int(test.y.sum()),
        "training_data_hash": dataset.info["training_data_hash"],
        **extra_metrics,
    }
    write_json(outputs.metrics, metrics)
    logger.info("%s %s test metrics: %s", model_type, region, {k: metrics[k] for k in ("roc_auc", "f1", "precision")})
    return metrics
