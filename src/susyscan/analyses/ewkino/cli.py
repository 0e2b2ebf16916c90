"""``susyscan ewkino <step>``: click commands of the squark + electroweakino analysis."""

from __future__ import annotations

import json

import click

from susyscan.cliutil import WORKFLOW_SEED
from susyscan.logutil import setup_logging


@click.group("ewkino")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Also log to this file.")
def ewkino(log_path: str | None) -> None:
    """Squark + electroweakino analysis with particle-flow networks."""
    setup_logging(log_path)


@ewkino.command("inputs")
@click.option("--events", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--inputs-out", required=True, type=click.Path(dir_okay=False))
@click.option("--cutflow-out", required=True, type=click.Path(dir_okay=False))
@click.option("--pfcand-pt-min", required=True, type=float, help="Soft-particle threshold (GeV), e.g. 1 or 10.")
@click.option("--max-candidates", default=None, type=int, help="Default: config inputs.max_candidates.")
def inputs_command(events: str, config_path: str, inputs_out: str, cutflow_out: str, pfcand_pt_min: float,
                   max_candidates: int | None) -> None:
    """Select one event file and write its network inputs (.npz) and cutflow (.json)."""
    from susyscan.analyses.ewkino.prepare import prepare_chunk

    prepare_chunk(events, config_path, inputs_out, cutflow_out, pfcand_pt_min, max_candidates)


@ewkino.command("multiplicity")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False))
def multiplicity_command(inputs: tuple[str, ...], out: str) -> None:
    """PF-candidate multiplicity quantiles per sample and the fraction of events truncated by the budget."""
    from susyscan.analyses.ewkino.stages import run_multiplicity

    run_multiplicity(list(inputs), out)


training_option = click.option("--training", default="{}",
                               help="JSON of analyses.ewkino.training keys (n_members, epochs, kfold, split, seed, ...).")
fold_option = click.option("--fold", default=0, show_default=True, type=int,
                           help="The fold held out (0 <= fold < kfold; kfold 1: the test split).")


@ewkino.command("train")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="model.pt, metrics.json, history.csv, loss.png, roc.png are written here.")
@training_option
@fold_option
def train_command(inputs: tuple[str, ...], output_dir: str, training: str, fold: int) -> None:
    """Train the seed ensemble on INPUTS through the shared stages (the workflow's rules prepare_block_dataset and
    train_nn, the dataset built in memory)."""
    from susyscan.analyses.ewkino.stages import inputs_dataset, train_shared
    from susyscan.analyses.ewkino.train import TrainConfig
    from susyscan.training.outputs import ModelOutputs

    cfg = TrainConfig.from_dict(json.loads(training))
    train_shared(inputs_dataset(list(inputs), cfg, fold), cfg, str(inputs[0]),
                 ModelOutputs.in_directory(output_dir, "model.pt"))


@ewkino.command("export")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--onnx-out", required=True, type=click.Path(dir_okay=False))
@click.option("--parity-out", required=True, type=click.Path(dir_okay=False))
@click.option("--score-threshold", default=0.9, show_default=True, type=float,
              help="Score cut of the scan's 'nn' region (recorded in the ONNX metadata).")
@training_option
@fold_option
def export_command(inputs: tuple[str, ...], model_path: str, onnx_out: str, parity_out: str,
                   score_threshold: float, training: str, fold: int) -> None:
    """Export model.pt to one ONNX graph through the shared export (rule export_onnx), parity on the test split of
    the dataset of INPUTS (the --training and --fold of the training)."""
    from susyscan.analyses.ewkino.stages import export_options, inputs_dataset
    from susyscan.analyses.ewkino.train import TrainConfig
    from susyscan.training.stages import export_model

    dataset = inputs_dataset(list(inputs), TrainConfig.from_dict(json.loads(training)), fold)
    export_model(model_path, "nn", dataset, onnx_out, parity_out, score_threshold, **export_options(score_threshold))


@ewkino.command("significance")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--onnx", "onnx_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--lumi", "lumis", multiple=True, type=float, default=(300.0, 3000.0), show_default=True)
@click.option("--score-cut", default=None, type=float, help="Fixed cut; default: maximise S/sqrt(S+B).")
@click.option("--min-background", default=1.0, show_default=True, type=float)
def significance_command(inputs: tuple[str, ...], onnx_path: str, out: str, lumis: tuple[float, ...],
                         score_cut: float | None, min_background: float) -> None:
    """Network vs kinematic-baseline S/sqrt(S+B) per mass point."""
    from susyscan.analyses.ewkino.stages import run_significance

    run_significance(onnx_path, list(inputs), out, list(lumis), score_cut, min_background)


@ewkino.command("importance")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--onnx", "onnx_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--csv-out", required=True, type=click.Path(dir_okay=False))
@click.option("--plot-out", required=True, type=click.Path(dir_okay=False))
@click.option("--seed", default=WORKFLOW_SEED, show_default=True, type=int, help="the workflow's seed by default")
def importance_command(inputs: tuple[str, ...], onnx_path: str, csv_out: str, plot_out: str, seed: int) -> None:
    """Permutation importance (AUC drop) of the high-level features and the PF block."""
    from susyscan.analyses.ewkino.stages import run_importance

    run_importance(onnx_path, list(inputs), csv_out, plot_out, seed)


main = ewkino
