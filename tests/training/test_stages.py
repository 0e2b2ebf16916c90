"""Stage functions, Snakemake scripts (with a stand-in ``snakemake`` object) and the CLI, end to end."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from susyscan.errors import ConfigError
from susyscan.seeds import model_seed
from susyscan.training.cli import training
from susyscan.training.dataset import split_paths_in
from susyscan.training.onnx_model import load_checked
from susyscan.training.outputs import ModelOutputs
from susyscan.training.stages import export_model, performance_from_onnx, run_bdt, run_nn

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
METRIC_KEYS = {"roc_auc", "f1", "precision", "recall", "auprc", "accuracy", "best_epoch", "selection_score"}
NN_HYPER = {"hidden_layers": [20, 20], "epochs": 5, "learning_rate": 0.1, "device": "cpu"}


def _check_training_outputs(outputs: ModelOutputs, model_type: str) -> dict:
    for path in outputs.__dict__.values():
        assert path.exists() and path.stat().st_size > 0, path
    metrics = json.loads(outputs.metrics.read_text())
    assert METRIC_KEYS <= set(metrics)
    assert metrics["model_type"] == model_type and metrics["mass_region"] == "low"
    assert metrics["roc_auc"] > 0.9
    history = pd.read_csv(outputs.history)
    assert {"epoch", "train_loss", "val_loss"} <= set(history.columns)
    return metrics


def _check_performance(path: Path) -> None:
    table = pd.read_csv(path)
    rows = table[(table["is_signal"] == 0) & (table["sample"] != "total_background")]
    background = table[table["sample"] == "total_background"].iloc[0]
    assert background["expected"] == pytest.approx(rows["expected"].sum())
    signal = table[table["is_signal"] == 1]
    assert set(signal["sample"]) == {"smuon_150_0", "smuon_200_50"}
    assert ((signal["efficiency"] >= 0.0) & (signal["efficiency"] <= 1.0)).all()
    assert (signal["efficiency"] > 3 * background["efficiency"]).all()
    assert (signal["expected_pass"] <= signal["expected"]).all()


def test_run_nn_export_and_performance(low_dataset, tmp_path):
    outputs = ModelOutputs.in_directory(tmp_path, "model.pt")
    metrics = run_nn(low_dataset, outputs, NN_HYPER, seed=3, progress=False)
    _check_training_outputs(outputs, "nn")
    # the model's seed is its own stream of the global seed 3 (susyscan.seeds)
    assert metrics["network"]["hidden_layers"] == [20, 20] and metrics["training"]["seed"] == model_seed(3, "low", "nn", None)
    deviation = export_model(outputs.model, "nn", low_dataset, tmp_path / "model.onnx", tmp_path / "parity.json")
    assert deviation < 1e-5
    assert json.loads((tmp_path / "parity.json").read_text())["max_abs_deviation"] == deviation
    assert load_checked(tmp_path / "model.onnx", low_dataset.feature_names).model_type == "nn"
    performance_from_onnx(tmp_path / "model.onnx", low_dataset, tmp_path / "performance.csv", 0.7)
    _check_performance(tmp_path / "performance.csv")


def test_run_nn_with_the_schema_trainer_settings(low_dataset, tmp_path):
    """The smuon schema's trainer keys (Adam, balanced loss, validation-loss selection with patience, an ensemble)
    reach the shared trainer; the ensemble exports as one ONNX graph with parity."""
    hyper = {**NN_HYPER, "epochs": 12, "learning_rate": 0.01, "optimiser": "adam", "loss_weighting": "balanced",
             "model_selection": "val_loss", "patience": 2, "n_members": 2}
    outputs = ModelOutputs.in_directory(tmp_path, "model.pt")
    metrics = run_nn(low_dataset, outputs, hyper, seed=3, progress=False)
    _check_training_outputs(outputs, "nn")
    training = metrics["training"]
    assert {k: training[k] for k in ("optimiser", "loss_weighting", "model_selection", "patience", "n_members")} == {
        "optimiser": "adam", "loss_weighting": "balanced", "model_selection": "val_loss", "patience": 2, "n_members": 2}
    history = pd.read_csv(outputs.history)
    assert sorted(history["member"].unique()) == [0, 1] and len(metrics["best_epochs"]) == 2
    for member, best in enumerate(metrics["best_epochs"]):
        rows = history[history["member"] == member]
        assert best == int(rows.loc[rows["val_loss"].idxmin(), "epoch"])
        assert len(rows) == 12 or len(rows) - best == 2  # all epochs, or stopped 2 epochs after the best
    assert metrics["n_epochs_run"] == history.groupby("member").size().max()
    assert export_model(outputs.model, "nn", low_dataset, tmp_path / "model.onnx", None) < 1e-5


def test_schema_trainer_defaults_are_the_trainer_defaults(repo_root):
    """The default run's training.nn (schema defaults) builds the NNTrainingConfig of the code defaults, apart from
    the number of epochs (schema 300) and the seed: exposing the trainer keys changed no default."""
    from dataclasses import asdict

    from susyscan.config.validate import validate_config
    from susyscan.training.stages import split_nn_hyper
    from susyscan.training.train_nn import NNTrainingConfig

    schema = repo_root / "src" / "susyscan" / "schemas" / "config.schema.yaml"
    nn = validate_config({}, schema)["analyses"]["smuon"]["training"]["nn"]
    _, training = split_nn_hyper(nn)
    assert {"optimiser", "loss_weighting", "model_selection", "patience", "n_members"} <= set(training)
    built, code = asdict(NNTrainingConfig(**training)), asdict(NNTrainingConfig())
    assert {k: v for k, v in built.items() if built[k] != code[k]} == {"epochs": 300}


def test_run_bdt_export_and_luminosity_rescaling(low_dataset, tmp_path):
    outputs = ModelOutputs.in_directory(tmp_path, "model.json")
    run_bdt(low_dataset, outputs, {"n_estimators": 30, "max_depth": 3}, seed=1)
    _check_training_outputs(outputs, "bdt")
    assert export_model(outputs.model, "bdt", low_dataset, tmp_path / "model.onnx", None) < 1e-5
    performance_from_onnx(tmp_path / "model.onnx", low_dataset, tmp_path / "p139.csv", 0.7)
    performance_from_onnx(tmp_path / "model.onnx", low_dataset, tmp_path / "p278.csv", 0.7, lumi_fb=278.0)
    at_139, at_278 = pd.read_csv(tmp_path / "p139.csv"), pd.read_csv(tmp_path / "p278.csv")
    assert at_278["expected_pass"].to_numpy() == pytest.approx(2 * at_139["expected_pass"].to_numpy())
    _check_performance(tmp_path / "p139.csv")


def test_export_refuses_model_of_other_dataset(low_dataset, feature_table, feature_names, tmp_path):
    from susyscan.errors import ModelMetadataError
    from susyscan.training.dataset import build_dataset

    outputs = ModelOutputs.in_directory(tmp_path, "model.json")
    run_bdt(low_dataset, outputs, {"n_estimators": 5})
    other = build_dataset(feature_table, "low", [0.0, 300.0], 139.0, seed=99, feature_names=feature_names)
    with pytest.raises(ModelMetadataError, match="model.json"):
        export_model(outputs.model, "bdt", other, tmp_path / "model.onnx", None)
    assert not (tmp_path / "model.onnx").exists()


def test_unknown_hyperparameter_is_a_config_error(low_dataset, tmp_path):
    with pytest.raises(ConfigError, match="lr"):
        run_nn(low_dataset, ModelOutputs.in_directory(tmp_path, "model.pt"), {"lr": 0.1})


def _namespace(**entries: object) -> SimpleNamespace:
    return SimpleNamespace(**{k: str(v) if isinstance(v, Path) else v for k, v in entries.items()})


def test_snakemake_scripts(tmp_path):
    """prepare_dataset -> train_bdt -> export_onnx per fold, then the out-of-fold performance_table script, on the
    smuon model inputs (FEATURES + the derived columns, written once as the selection does)."""
    from susyscan.analyses.smuon import SPEC
    from susyscan.analyses.smuon.derived import add_derived
    from susyscan.analysis.features import FEATURES
    from susyscan.training.synthetic import synthetic_feature_table

    table = synthetic_feature_table(n_per_sample=200, seed=2, separation=1.0, feature_names=list(FEATURES))
    table[list(FEATURES)] = table[list(FEATURES)].abs() * 50.0
    table = add_derived(table)
    features = []
    for sample, frame in table.groupby("sample"):
        features.append(str(tmp_path / f"{sample}.csv.gz"))
        frame.to_csv(features[-1], index=False)
    kfold = 2
    evaluation: dict[str, Path] = {}
    for fold in range(kfold):
        data = split_paths_in(tmp_path / "dataset", "low", fold)
        prepare = SimpleNamespace(
            input=SimpleNamespace(features=features), output=_namespace(**data),
            params=SimpleNamespace(region="low", bounds=[0.0, 250.0], split=[0.8, 0.1, 0.1], luminosity_ifb=139.0,
                                   seed=4, kfold=kfold, fold=fold, feature_names=SPEC.model_inputs),
            log=[str(tmp_path / f"prepare{fold}.log")], threads=1,
        )
        runpy.run_path(str(SCRIPTS / "prepare_dataset.py"), init_globals={"snakemake": prepare})
        meta = json.loads(data["meta"].read_text())
        assert meta["region_bounds_gev"] == [0.0, 250.0] and (meta["kfold"], meta["fold"]) == (kfold, fold)
        inputs = {k: v for k, v in data.items() if k != "heldout"}  # training never gets the held-out table
        out = tmp_path / "low" / "bdt" / f"fold{fold}"
        files = {"model": out / "model.json", "metrics": out / "metrics.json", "history": out / "history.csv",
                 "loss": out / "loss.png", "roc": out / "roc.png"}
        train = SimpleNamespace(input=_namespace(**inputs), output=_namespace(**files),
                                params=SimpleNamespace(hyper={"n_estimators": 20}, seed=4),
                                log=[str(tmp_path / f"bdt{fold}.log")], threads=1)
        runpy.run_path(str(SCRIPTS / "train_bdt.py"), init_globals={"snakemake": train})
        assert json.loads(files["metrics"].read_text())["n_trees"] <= 20
        export = SimpleNamespace(input=_namespace(model=files["model"], **inputs),
                                 output=_namespace(onnx=out / "model.onnx", parity=out / "onnx_parity.json",
                                                   scores=out / "scores.png"),
                                 params=SimpleNamespace(model_type="bdt", region="low", score_threshold=0.7),
                                 log=[str(tmp_path / f"export{fold}.log")], threads=1)
        runpy.run_path(str(SCRIPTS / "export_onnx.py"), init_globals={"snakemake": export})
        assert json.loads((out / "onnx_parity.json").read_text())["max_abs_deviation"] < 1e-5
        assert (out / "scores.png").stat().st_size > 1000  # the fold's score plot, written by the export
        model = load_checked(out / "model.onnx", meta["feature_names"])
        assert model.mass_region == "low" and (model.fold, model.kfold) == (fold, kfold)
        assert "max |dscore|" in (tmp_path / f"export{fold}.log").read_text()
        evaluation.update({f"onnx_{fold}": out / "model.onnx", f"metrics_{fold}": files["metrics"],
                           f"heldout_{fold}": data["heldout"], f"meta_{fold}": data["meta"]})
    region = tmp_path / "low" / "bdt"
    outputs = {"table": region / "performance.csv", "metrics": region / "metrics.json", "roc": region / "roc.png",
               "scores": region / "scores.png"}
    perf = SimpleNamespace(input=_namespace(**evaluation), output=_namespace(**outputs),
                           params=SimpleNamespace(score_threshold=0.7, luminosity_ifb=139.0, kfold=kfold),
                           log=[str(tmp_path / "performance.log")], threads=1)
    runpy.run_path(str(SCRIPTS / "performance_table.py"), init_globals={"snakemake": perf})
    metrics = json.loads(outputs["metrics"].read_text())
    assert metrics["split"] == "out-of-fold" and metrics["roc_auc"] > 0.8
    in_region = table[(table["is_signal"] == 0) | (table["m_parent"] < 250.0)]
    assert metrics["n_events"] == len(in_region) == sum(metrics["n_events_per_fold"])  # every event scored once
    _check_performance(outputs["table"])
    perf_table = pd.read_csv(outputs["table"]).set_index("sample")
    expected = in_region.groupby("sample")["weight_pb"].sum() * 1000 * 139.0  # full weights, no split scaling
    for sample, value in expected.items():
        assert perf_table.loc[sample, "expected"] == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize("command", ["prepare", "train-nn", "train-bdt", "export", "performance", "out-of-fold",
                                     "inspect"])
def test_cli_help(command):
    result = CliRunner().invoke(training, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_cli_prepare_train_export(feature_table, tmp_path):
    paths = []
    for sample, frame in feature_table.groupby("sample"):
        frame.to_csv(tmp_path / f"{sample}.csv.gz", index=False)
        paths.append(str(tmp_path / f"{sample}.csv.gz"))
    features = json.dumps([f"x{i:02d}" for i in range(37)])
    runner = CliRunner()
    prepared = runner.invoke(training, ["prepare", *paths, "--output-dir", str(tmp_path / "ds"), "--region", "high",
                                        "--features", features])
    assert prepared.exit_code == 0, prepared.output
    trained = runner.invoke(training, ["train-bdt", "--dataset-dir", str(tmp_path / "ds"), "--region", "high",
                                       "--output-dir", str(tmp_path / "bdt"), "--hyper", '{"n_estimators": 10}'])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.output.strip().splitlines()[-1])["roc_auc"] > 0.9
    for name in ("model.onnx", "onnx_parity.json", "performance.csv"):
        assert (tmp_path / "bdt" / name).exists()
    inspected = runner.invoke(training, ["inspect", str(tmp_path / "bdt" / "model.onnx")])
    assert json.loads(inspected.output)["mass_region"] == "high"


def test_cli_kfold_chain(feature_table, tmp_path):
    """prepare --kfold/--fold, train-bdt --fold (with export) per fold, then the out-of-fold evaluation."""
    paths = []
    for sample, frame in feature_table.groupby("sample"):
        frame.to_csv(tmp_path / f"{sample}.csv.gz", index=False)
        paths.append(str(tmp_path / f"{sample}.csv.gz"))
    features = json.dumps([f"x{i:02d}" for i in range(37)])
    runner = CliRunner()
    models = []
    for fold in range(2):
        prepared = runner.invoke(training, ["prepare", *paths, "--output-dir", str(tmp_path / "ds"), "--region", "high",
                                            "--features", features, "--kfold", "2", "--fold", str(fold)])
        assert prepared.exit_code == 0, prepared.output
        assert (tmp_path / "ds" / "high" / f"fold{fold}.heldout.csv.gz").exists()
        out = tmp_path / "bdt" / f"fold{fold}"
        trained = runner.invoke(training, ["train-bdt", "--dataset-dir", str(tmp_path / "ds"), "--region", "high",
                                           "--fold", str(fold), "--output-dir", str(out), "--hyper",
                                           '{"n_estimators": 10}'])
        assert trained.exit_code == 0, trained.output
        models.append(str(out / "model.onnx"))
    evaluated = runner.invoke(training, ["out-of-fold", *models, "--dataset-dir", str(tmp_path / "ds"), "--region",
                                         "high", "--output-dir", str(tmp_path / "oof")])
    assert evaluated.exit_code == 0, evaluated.output
    in_region = feature_table[(feature_table["is_signal"] == 0) | (feature_table["m_parent"] >= 250.0)]
    assert json.loads(evaluated.output.strip().splitlines()[-1])["n_events"] == len(in_region)
    assert (tmp_path / "oof" / "performance.csv").exists()
    half = runner.invoke(training, ["prepare", *paths, "--output-dir", str(tmp_path / "x"), "--region", "high",
                                    "--kfold", "2"])
    assert half.exit_code != 0
