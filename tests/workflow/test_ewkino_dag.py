"""The ewkino analysis is wired into the workflow: dry runs with config/ewkino.yaml plan its jobs (no execution)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from susyscan.config import load_grid, load_samples
from susyscan.analyses.ewkino.config import load_ewkino_config

REPO = Path(__file__).resolve().parents[2]
#: shared ML rules of the feature-CSV analyses that ewkino (models on model-input tables, NN only) does not use
SHARED_ML_RULES = ("prepare_dataset", "train_bdt", "performance_table")

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh working directory with the configs and resources, and no results."""
    work = tmp_path_factory.mktemp("wf_ewkino")
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, work / sub)
    return work


def _ewkino_tables(work: Path) -> tuple[list, list, list[float]]:
    cfg = yaml.safe_load((work / "config/ewkino.yaml").read_text())
    samples = [s for s in load_samples(work / cfg["samples"]) if "ewkino" in s.analyses]
    grid = load_grid(work / cfg["grids"]["ewkino"], "ewkino")
    thresholds = list(load_ewkino_config(work / "config/analyses/ewkino.yaml").inputs.pfcand_pt_min_values)
    return samples, grid, thresholds


def test_ewkino_config_plans_the_ewkino_chain(work: Path, snakemake_dry_run, job_table) -> None:
    out = snakemake_dry_run(work, "--configfile", str(work / "config/ewkino.yaml"))
    counts = job_table(out)
    samples, grid, thresholds = _ewkino_tables(work)
    assert {s.process for s in samples} == {"znunu_jets", "wlnu_jets", "ttbar_lep"}
    assert {p.process for p in grid} == {"sq_ewkino_isr"} and {p.filter for p in grid} == {"wino_recoil_150"}
    chunks = sum(s.n_chunks for s in samples) + sum(p.n_chunks for p in grid)
    n_thr = len(thresholds)
    assert n_thr == 2 and sorted(thresholds) == [1.0, 10.0]
    assert counts["generate_chunk"] == chunks  # the shared generation rule, backgrounds + grid points
    assert counts["kfactor_reference"] == len(grid)  # the wino-pair K-factor: one LO reference run per mass point
    assert counts["model_inputs"] == chunks * n_thr  # the shared rule (spec write_inputs), per chunk and PF threshold
    assert counts["select_features"] == chunks  # the shared selection rule runs the spec's select (no copy rule)
    assert "ewkino_chunk_cutflow" not in counts
    assert counts["cutflow"] == 1  # the shared cutflow table rule
    # the ensemble per threshold from the shared train_nn / export_onnx (spec train_nn / export_nn), no copy rules
    for rule in ("train_nn", "export_onnx", "ewkino_significance", "ewkino_importance"):
        assert counts[rule] == n_thr, rule
    assert "ewkino_train" not in counts and "ewkino_export" not in counts
    # ewkino's datasets come from the shared dataset stage (on the inputs tables; region = PF threshold, kfold 1)
    assert counts["prepare_block_dataset"] == n_thr
    assert re.search(r"input: results/ewkino/training/ewkino/dataset/pt1/fold0\.train\.npz", out)
    assert counts["ewkino_threshold_gain"] == 1
    # the shared scan (spec scan_variant / scan_regions): the merged feature CSVs give events, weights and the
    # baseline flag, the model-input tables of the scan threshold the network inputs; no ewkino yield rules
    assert counts["scan_point"] == len(grid) and counts["background_yields"] == 1
    assert counts["merge_features"] == len(samples) + len(grid)
    assert "ewkino_point_yields" not in counts and "ewkino_background_yields" not in counts
    assert counts["limits"] == 1 and counts["contours"] == 1 and counts["cross_section_table"] == 1
    for rule in SHARED_ML_RULES:  # ewkino's datasets are the block datasets, its models NN ensembles
        assert counts[rule] == 0, rule
    # both thresholds trained, the scan reads the 1 GeV network, and contours at Run-3 and HL-LHC luminosities
    for thr in ("pt1", "pt10"):
        assert f"results/ewkino/training/ewkino/{thr}/nn/fold0/model.onnx" in out
        assert f"results/ewkino/analysis/ewkino/inputs/{thr}/znunu_jets/chunk0.npz" in out
    assert "results/ewkino/scan/ewkino/background_yields.csv" in out
    point = re.escape(grid[0].name)
    assert re.search(r"input: results/ewkino/training/ewkino/pt1/nn/fold0/model\.onnx, results/ewkino/analysis/ewkino/"
                     rf"features/{point}\.csv\.gz, results/ewkino/analysis/ewkino/inputs/pt1/{point}/chunk0\.npz", out)
    assert "results/ewkino/training/ewkino/pt10/nn/fold0/model.onnx, results/ewkino/analysis/ewkino/features" not in out
    for lumi in ("300", "3000"):
        assert f"results/ewkino/plots/ewkino/contour_{lumi}ifb.png" in out


def test_both_analyses_plan_side_by_side(work: Path, snakemake_dry_run, job_table) -> None:
    both = yaml.safe_load((work / "config/ewkino.yaml").read_text())
    both["analyses"]["smuon"]["enabled"] = True
    path = work / "config/both.yaml"
    path.write_text(yaml.safe_dump(both))
    counts = job_table(snakemake_dry_run(work, "--configfile", str(path)))
    smuon_grid = load_grid(work / "config/grids/smuon.tsv", "smuon")
    _, grid, _ = _ewkino_tables(work)
    assert counts["scan_point"] == len(smuon_grid) + len(grid)  # the shared scan, once per grid point of each
    assert counts["background_yields"] == 2
    samples, _, thresholds = _ewkino_tables(work)  # model-input tables for ewkino's samples only (smuon writes none)
    assert counts["model_inputs"] == len(thresholds) * (sum(s.n_chunks for s in samples) + sum(p.n_chunks for p in grid))
    assert counts["limits"] == 2 and counts["contours"] == 2 and counts["cutflow"] == 2


def test_default_config_plans_no_ewkino_job(work: Path, snakemake_dry_run, job_table) -> None:
    counts = job_table(snakemake_dry_run(work))
    assert counts["scan_point"] > 0
    assert not [rule for rule in counts if rule.startswith("ewkino_")] and counts["model_inputs"] == 0


def test_kfold_overlay_plans_every_fold(work: Path, snakemake_dry_run, job_table) -> None:
    """analyses.ewkino.training.kfold (config/ewkino_kfold5.yaml): one dataset, training and export per PF threshold
    and fold; the evaluation and scan rules read every fold's model."""
    overlay = yaml.safe_load((work / "config/ewkino_kfold5.yaml").read_text())
    k = overlay["analyses"]["ewkino"]["training"]["kfold"]
    base = job_table(snakemake_dry_run(work, "--configfile", "config/ewkino.yaml"))
    out = snakemake_dry_run(work, "--configfile", "config/ewkino.yaml", "config/ewkino_kfold5.yaml")
    counts = job_table(out)
    assert k == 5 and base["train_nn"] == 2  # one ensemble per PF threshold at kfold 1
    for rule in ("prepare_block_dataset", "train_nn", "export_onnx"):
        assert counts[rule] == k * base[rule], rule
    for rule in ("ewkino_significance", "ewkino_importance", "ewkino_threshold_gain", "limits"):
        assert counts[rule] == base[rule], rule
    run = "results/ewkino_kfold5"
    for fold in range(k):
        assert re.search(rf"output: {run}/training/ewkino/dataset/pt1/fold{fold}\.train\.npz", out), fold
    # significance and importance of a threshold, and the shared scan (scan threshold 1 GeV: fold_onnx_models), read
    # all k fold models (out-of-fold scores)
    models = ", ".join(f"{run}/training/ewkino/pt1/nn/fold{f}/model.onnx" for f in range(k))
    assert re.search(rf"input: {re.escape(models)}, {run}/analysis/ewkino/inputs/pt1/", out)
    assert counts["scan_point"] == base["scan_point"] > 0 and counts["background_yields"] == 1
    assert out.count(f"input: {models}") == 2 + counts["scan_point"] + counts["background_yields"]
