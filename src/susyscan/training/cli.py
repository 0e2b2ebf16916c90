"""``susyscan training ...`` commands: prepare, train-nn, train-bdt, export, performance, inspect."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from susyscan.cliutil import WORKFLOW_SEED
from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)

DEFAULT_BOUNDS = {"low": "[0, 250]", "high": "[250, 100000]"}


def _json_option(text: str | None) -> dict:
    """Parse a JSON object given inline or as a path to a .json file."""
    if not text:
        return {}
    path = Path(text)
    return json.loads(path.read_text()) if path.is_file() else json.loads(text)


def _dataset_paths(dataset_dir: str, region: str, fold: int | None = None) -> dict[str, Path]:
    from susyscan.training.dataset import split_paths_in

    return split_paths_in(dataset_dir, region, fold)


dataset_dir_option = click.option("--dataset-dir", required=True, type=click.Path(exists=True, file_okay=False),
                                  help="Folder with <region>.{train,val,test}.csv.gz and <region>.json "
                                       "(k-fold: <region>/fold<F>.{train,val,test,heldout}.csv.gz and fold<F>.json).")
region_option = click.option("--region", required=True, help="Mass region name (e.g. low, high).")
fold_option = click.option("--fold", default=None, type=int, help="Fold of a k-fold dataset (default: no k-fold).")


analysis_config_option = click.option(
    "--analysis-config", default=None, type=click.Path(exists=True, dir_okay=False),
    help="Analysis YAML: the NN is built by its spec's model factory (default: the paper's MLP).")


@click.group(name="training")
def training() -> None:
    """Dataset preparation, NN/BDT training and ONNX export per mass region."""


@training.command("prepare")
@click.argument("feature_csvs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="Writes <region>.{train,val,test}.csv.gz and <region>.json.")
@region_option
@click.option("--bounds", default=None,
              help="JSON [min, max) of m_parent in GeV (default low [0,250], high [250,1e5]).")
@click.option("--lumi-fb", default=139.0, show_default=True, help="Luminosity of the event weights (fb^-1).")
@click.option("--seed", default=WORKFLOW_SEED, show_default=True, help="Seed of the split and balancing.")
@click.option("--split", default="[0.8, 0.1, 0.1]", show_default=True, help="JSON train/val/test fractions.")
@click.option("--analysis-config", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Analysis YAML: its spec's model inputs are the features (or give --features).")
@click.option("--features", default=None, help="JSON list of input features (instead of --analysis-config).")
@click.option("--kfold", default=None, type=click.IntRange(min=2),
              help="Number of folds (with --fold). Without: one model, which the scan refuses for tables holding "
                   "the samples it trained on (its ONNX records them) unless a region sets allow_trained_events.")
@fold_option
def prepare_command(feature_csvs: tuple[str, ...], output_dir: str, region: str, bounds: str | None, lumi_fb: float,
                    seed: int, split: str, analysis_config: str | None, features: str | None, kfold: int | None,
                    fold: int | None) -> None:
    """Prepare the 8:1:1 split, balanced, with standardisation and hash, of one mass region (and fold)."""
    from susyscan.training.dataset import prepare_dataset

    setup_logging()
    bounds_text = bounds or DEFAULT_BOUNDS.get(region)
    if bounds_text is None:
        raise click.BadParameter(f"no default bounds for region {region!r}; give --bounds")
    if (kfold is None) != (fold is None):
        raise click.BadParameter("give both --kfold and --fold, or neither")
    if (analysis_config is None) == (features is None):
        raise click.BadParameter("give --analysis-config or --features (one of them)")
    if analysis_config is not None:
        from susyscan.analyses import load_spec

        names = load_spec(analysis_config).model_inputs
    else:
        names = json.loads(str(features))
    paths = _dataset_paths(output_dir, region, fold)
    dataset = prepare_dataset(list(feature_csvs), paths, paths["meta"], region, json.loads(bounds_text), lumi_fb,
                              seed, json.loads(split), feature_names=names, kfold=kfold, fold=fold)
    click.echo(json.dumps(dataset.info["n_events"]))


def _model_factory(analysis_config: str | None):  # noqa: ANN202  # -> ModelFactory | None (torch imported late)
    """The model factory of the analysis spec of ``analysis_config`` (None: the default network)."""
    if analysis_config is None:
        return None
    from susyscan.analyses import load_spec

    return load_spec(analysis_config).model_factory


def _train(model_type: str, dataset_dir: str, region: str, output_dir: str, hyper: str | None, seed: int,
           threads: int, score_threshold: float, export: bool, fold: int | None,
           analysis_config: str | None = None) -> dict:
    """Train, then (optionally) export with parity check and write the performance table."""
    from susyscan.training.dataset import load_dataset
    from susyscan.training.outputs import ModelOutputs
    from susyscan.training.stages import export_model, performance_from_onnx, run_bdt, run_nn

    setup_logging()
    paths = _dataset_paths(dataset_dir, region, fold)
    paths.pop("heldout", None)  # training never reads the held-out events
    dataset = load_dataset(paths, paths["meta"])
    outputs = ModelOutputs.in_directory(output_dir, "model.pt" if model_type == "nn" else "model.json")
    factory = _model_factory(analysis_config)
    if model_type == "nn":
        import torch

        torch.set_num_threads(threads)
        metrics = run_nn(dataset, outputs, _json_option(hyper), seed, model_factory=factory)
    else:
        metrics = run_bdt(dataset, outputs, _json_option(hyper), seed, threads)
    if export:
        onnx_path = Path(output_dir) / "model.onnx"
        export_model(outputs.model, model_type, dataset, onnx_path, Path(output_dir) / "onnx_parity.json",
                     score_threshold, model_factory=factory, scores_plot=Path(output_dir) / "scores.png")
        performance_from_onnx(onnx_path, dataset, Path(output_dir) / "performance.csv", score_threshold)
    return metrics


def _train_options(function):  # noqa: ANN001, ANN202
    options = [
        dataset_dir_option,
        region_option,
        fold_option,
        click.option("--output-dir", required=True, type=click.Path(file_okay=False)),
        click.option("--hyper", default=None,
                     help='JSON (or .json file) of training.<model> settings, e.g. {"epochs": 20}.'),
        click.option("--seed", default=WORKFLOW_SEED, show_default=True),
        click.option("--threads", default=1, show_default=True, help="CPU threads."),
        click.option("--score-threshold", default=0.7, show_default=True, help="Analysis cut written into the ONNX."),
        click.option("--export/--no-export", default=True, show_default=True,
                     help="Also write model.onnx, onnx_parity.json, scores.png (with the cut) and performance.csv."),
        analysis_config_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@training.command("train-nn")
@_train_options
def train_nn_command(**kwargs: object) -> None:
    """Train the MLP of one region: model.pt, metrics.json, history.csv, loss/roc plots (+ export)."""
    metrics = _train("nn", **kwargs)  # type: ignore[arg-type]
    click.echo(json.dumps({k: metrics[k] for k in ("roc_auc", "f1", "precision", "best_epoch")}))


@training.command("train-bdt")
@_train_options
def train_bdt_command(**kwargs: object) -> None:
    """Train the xgboost BDT of one region: model.json, metrics.json, history.csv, plots."""
    metrics = _train("bdt", **kwargs)  # type: ignore[arg-type]
    click.echo(json.dumps({k: metrics[k] for k in ("roc_auc", "f1", "precision", "best_epoch")}))


@training.command("export")
@click.argument("model_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--model-type", type=click.Choice(["nn", "bdt"]), required=True)
@dataset_dir_option
@region_option
@fold_option
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="The .onnx file to write.")
@click.option("--parity", default=None, type=click.Path(dir_okay=False), help="Optional parity JSON to write.")
@click.option("--score-threshold", default=0.7, show_default=True)
@click.option("--scores-plot", default=None, type=click.Path(dir_okay=False),
              help="Optional test-split score plot (with the --score-threshold cut) to write.")
@analysis_config_option
def export_command(model_path: str, model_type: str, dataset_dir: str, region: str, fold: int | None, output: str,
                   parity: str | None, score_threshold: float, scores_plot: str | None,
                   analysis_config: str | None) -> None:
    """Export a saved model.pt / model.json to ONNX with metadata and a parity check."""
    from susyscan.training.stages import export_from_files

    setup_logging()
    paths = _dataset_paths(dataset_dir, region, fold)
    paths.pop("heldout", None)
    deviation = export_from_files(model_path, model_type, paths, output, parity, score_threshold=score_threshold,
                                  model_factory=_model_factory(analysis_config), scores_plot=scores_plot)
    click.echo(f"max |onnx - native| = {deviation:.3g}")


@training.command("performance")
@click.argument("onnx_path", type=click.Path(exists=True, dir_okay=False))
@dataset_dir_option
@region_option
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="performance.csv to write.")
@click.option("--score-threshold", default=0.7, show_default=True)
@click.option("--lumi-fb", default=None, type=float, help="Rescale to this luminosity (default: the dataset's).")
def performance_command(onnx_path: str, dataset_dir: str, region: str, output: str, score_threshold: float,
                        lumi_fb: float | None) -> None:
    """Expected signal per sample and total background passing the score cut (test split)."""
    from susyscan.training.stages import performance_from_files

    setup_logging()
    performance_from_files(onnx_path, _dataset_paths(dataset_dir, region), output, score_threshold, lumi_fb)


@training.command("out-of-fold")
@click.argument("onnx_paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@dataset_dir_option
@region_option
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="Writes performance.csv, metrics.json, roc.png, scores.png.")
@click.option("--score-threshold", default=0.7, show_default=True)
@click.option("--lumi-fb", default=None, type=float, help="Rescale to this luminosity (default: the dataset's).")
def out_of_fold_command(onnx_paths: tuple[str, ...], dataset_dir: str, region: str, output_dir: str,
                        score_threshold: float, lumi_fb: float | None) -> None:
    """Out-of-fold evaluation: the k fold models (in fold order), each scoring the events its fold held out."""
    from susyscan.training.stages import OutOfFoldOutputs, out_of_fold_evaluation

    setup_logging()
    out = Path(output_dir)
    outputs = OutOfFoldOutputs(out / "performance.csv", out / "metrics.json", out / "roc.png", out / "scores.png")
    metrics = out_of_fold_evaluation(list(onnx_paths), [_dataset_paths(dataset_dir, region, f)
                                                        for f in range(len(onnx_paths))], outputs, score_threshold,
                                     lumi_fb)
    click.echo(json.dumps({k: metrics[k] for k in ("roc_auc", "f1", "precision", "n_events")}))


@training.command("inspect")
@click.argument("onnx_path", type=click.Path(exists=True, dir_okay=False))
def inspect_command(onnx_path: str) -> None:
    """Print the metadata of an exported model."""
    from susyscan.training.onnx_model import read_metadata

    click.echo(json.dumps(read_metadata(onnx_path), indent=2))
