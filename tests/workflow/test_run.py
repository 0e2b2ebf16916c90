"""End-to-end runs of the tiny config: outputs, selective reruns, reproducibility, resume, killed jobs.

The full chain runs twice per session (~1 min each on 2 cores): ``tiny_run`` in one go, and
``tiny_resumed_run`` interrupted after the feature CSVs and resumed (see conftest.py).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.smuon.derived import DERIVED
from susyscan.analysis.features import FEATURES
from susyscan.eventio import read_events
from susyscan.training.onnx_model import load_checked, read_metadata

REPO = Path(__file__).resolve().parents[2]
TINY = Path(__file__).resolve().parent / "tiny"

pytestmark = pytest.mark.workflow

LUMIS = ["139", "3000"]
REGIONS = ["low", "high"]
MODELS = ["nn", "bdt"]
KFOLD = 2  # tiny/config.yaml training.kfold
GENERATION_RULES = {"generate_chunk", "select_features", "merge_features", "cutflow", "cross_section_table"}
TRAINING_RULES = {"prepare_dataset", "train_nn", "train_bdt"}
THRESHOLD_RULES = {"export_onnx", "performance_table", "scan_point", "background_yields", "limits_part", "limits",
                   "workspaces", "contours"}


def _n_chunks() -> int:
    samples = pd.read_csv(TINY / "samples.tsv", sep="\t")
    grid = pd.read_csv(TINY / "grid.tsv", sep="\t")
    return int(samples["n_chunks"].sum() + grid["n_chunks"].sum())


# --- outputs of one complete run ---------------------------------------------------------------


def test_contour_plots_exist(tiny_run: Path) -> None:
    for lumi in LUMIS:
        png = tiny_run / f"results/tiny/plots/smuon/contour_{lumi}ifb.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000
    reach = pd.read_csv(tiny_run / "results/tiny/plots/smuon/mass_reach.csv")
    assert {"region", "lumi_ifb", "scenario", "mass_reach_gev", "status"} <= set(reach.columns)
    assert set(reach["lumi_ifb"]) == {139.0, 3000.0}


def test_cls_table_complete_and_in_range(tiny_run: Path) -> None:
    cls = pd.read_csv(tiny_run / "results/tiny/limits/smuon/cls.csv")
    grid = pd.read_csv(TINY / "grid.tsv", sep="\t")
    points = set(zip(cls["m_parent"], cls["m_lsp"]))
    assert points == set(zip(grid["m_smuon"].astype(float), grid["m_neutralino"].astype(float)))
    # every (point, region, lumi, scenario) exactly once: 4 ML + 7 cut-and-count regions + 'best'
    keys = ["m_parent", "m_lsp", "region", "lumi_ifb", "scenario"]
    assert not cls.duplicated(keys).any()
    assert len(cls) == len(grid) * 12 * 2 * 2
    for column in ["cls_exp_m2", "cls_exp_m1", "cls_exp", "cls_exp_p1", "cls_exp_p2"]:
        values = cls[column].to_numpy()
        assert np.isfinite(values).all(), column
        assert ((values >= 0) & (values <= 1)).all(), column
    # expected band ordered: a larger signal-like fluctuation of the background gives a smaller CLs
    assert (cls["cls_exp_m2"] <= cls["cls_exp_p2"] + 1e-9).all()
    # a real test: at least one point/region is excluded and at least one is not
    assert (cls["cls_exp"] < 0.05).any() and (cls["cls_exp"] > 0.05).any()
    # more luminosity never weakens the optimistic (no-uncertainty) expected limit on the baselines
    opt = cls[(cls["scenario"] == "optimistic") & cls["region"].str.startswith("Static")]
    by_lumi = opt.pivot_table(index=["m_parent", "m_lsp"], columns="lumi_ifb", values="cls_exp")
    assert (by_lumi[3000.0] <= by_lumi[139.0] + 1e-6).all()


def test_cutflow_monotonic_and_normalised(tiny_run: Path) -> None:
    cutflow = pd.read_csv(tiny_run / "results/tiny/analysis/smuon/cutflow.csv")
    assert cutflow["cut"].iloc[0] == "initial"
    samples = [c for c in cutflow.columns if c not in ("cut", "label", "for_comparison_only") and not c.endswith(("_stat", "_neff"))]
    assert len(samples) == 3 + 4  # three background processes, four grid points
    for sample in samples:
        yields = cutflow[sample].to_numpy()
        assert yields[0] > 0, sample
        assert (np.diff(yields) <= 1e-6 * yields[0]).all(), f"{sample}: cutflow increases: {yields}"
        assert (cutflow[f"{sample}_stat"] >= 0).all()
    # the initial yield of a grid point is sigma x L (cutflow luminosity 139 fb^-1), with sigma from the event file
    meta = read_events(tiny_run / "results/tiny/events/smuon_300_0/chunk0.root", branches=["weight"])[1]
    assert cutflow["smuon_300_0"].iloc[0] == pytest.approx(meta["xsec_pb"] * 1000 * 139.0, rel=1e-5)


def test_training_outputs_and_onnx_metadata(tiny_run: Path) -> None:
    features = FEATURES + DERIVED
    assert len(features) == 37
    for region in REGIONS:
        for model in MODELS:
            out = tiny_run / f"results/tiny/training/smuon/{region}/{model}"
            for fold in range(KFOLD):
                meta = read_metadata(out / f"fold{fold}/model.onnx")
                assert json.loads(meta["feature_names"]) == features
                assert meta["mass_region"] == region and meta["model_type"] == model
                assert (int(meta["fold"]), int(meta["kfold"])) == (fold, KFOLD)
                assert float(meta["score_threshold"]) == pytest.approx(0.7)
                load_checked(out / f"fold{fold}/model.onnx", features)  # must not raise
                assert (out / f"fold{fold}/loss.png").stat().st_size > 1000
                assert (out / f"fold{fold}/scores.png").stat().st_size > 1000  # with the cut, by export_onnx
            metrics = json.loads((out / "metrics.json").read_text())  # out-of-fold, every event of the region
            assert 0.0 <= metrics["roc_auc"] <= 1.0 and metrics["split"] == "out-of-fold"
            perf = pd.read_csv(out / "performance.csv")
            assert "total_background" in set(perf["sample"])
            assert ((perf["efficiency"] >= 0) & (perf["efficiency"] <= 1)).all()
            assert (perf["expected_pass"] <= perf["expected"] + 1e-9).all()
            for plot in ("roc.png", "scores.png"):
                assert (out / plot).stat().st_size > 1000


def test_scan_yields_respect_masses(tiny_run: Path) -> None:
    for path in (tiny_run / "results/tiny/scan/smuon/yields").glob("*.csv"):
        table = pd.read_csv(path)
        m_parent, m_lsp = (float(x) for x in path.stem.split("_")[1:3])
        assert (table["m_parent"] == m_parent).all() and (table["m_lsp"] == m_lsp).all()
        assert (table["yield_pb"] >= 0).all() and (table["n_raw"] >= 0).all()


# --- changing a parameter reruns only what depends on it ----------------------------------------


def test_nothing_to_do_after_complete_run(tiny_run: Path, snakemake_runner) -> None:
    proc = snakemake_runner(tiny_run, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_threshold_change_reruns_only_export_and_downstream(tiny_run: Path, snakemake_runner, job_table) -> None:
    config = (tiny_run / "tiny/config.yaml").read_text()
    assert "score_threshold: 0.7" in config
    (tiny_run / "tiny/config_threshold.yaml").write_text(config.replace("score_threshold: 0.7", "score_threshold: 0.5"))
    proc = snakemake_runner(tiny_run, "--dry-run", configfile="tiny/config_threshold.yaml")
    counts = job_table(proc.stdout + proc.stderr)
    assert not (set(counts) & (GENERATION_RULES | TRAINING_RULES)), counts
    assert counts["export_onnx"] == 4 * KFOLD and counts["performance_table"] == 4
    assert counts["scan_point"] == 4 and counts["background_yields"] == 1
    assert counts["limits"] == 1 and counts["contours"] == 1
    assert set(counts) == THRESHOLD_RULES | {"all"}, counts
    assert "params" in proc.stdout + proc.stderr  # the reason given is the changed parameter


# --- reproducibility and resume -----------------------------------------------------------------


def test_rerun_reproduces_physics_numbers(tiny_run: Path, tiny_resumed_run: tuple[Path, str, str]) -> None:
    """Same config, another directory: identical event arrays, features, cutflow, datasets and CLs.

    Event ROOT files and gzip files are not byte-identical (uproot writes a file UUID and timestamps,
    gzip headers hold the temporary file name); their contents are compared instead.
    """
    other = tiny_resumed_run[0]
    for chunk in ("ttbar/chunk0", "smuon_300_100/chunk0"):
        events_a, meta_a = read_events(tiny_run / f"results/tiny/events/{chunk}.root")
        events_b, meta_b = read_events(other / f"results/tiny/events/{chunk}.root")
        assert meta_a == meta_b
        assert len(events_a) == meta_a["n_events"] > 0
        for field in events_a.fields:
            assert ak.all(ak.flatten(events_a[field], axis=None) == ak.flatten(events_b[field], axis=None)), field
    for rel in ("analysis/smuon/features/ttbar/chunk1.csv.gz", "analysis/smuon/features/ww.csv.gz",
                "training/smuon/dataset/low/fold0.train.csv.gz", "training/smuon/dataset/high/fold1.heldout.csv.gz"):
        assert gzip.decompress((tiny_run / "results/tiny" / rel).read_bytes()) == \
            gzip.decompress((other / "results/tiny" / rel).read_bytes()), rel
    for rel in ("analysis/smuon/cutflow.csv", "analysis/smuon/features/zz/chunk0.cutflow.json",
                "limits/smuon/cls.csv", "scan/smuon/background_yields.csv", "plots/smuon/mass_reach.csv",
                "training/smuon/dataset/low/fold0.json"):
        assert (tiny_run / "results/tiny" / rel).read_text() == (other / "results/tiny" / rel).read_text(), rel


def test_resume_does_not_redo_finished_work(tiny_resumed_run: tuple[Path, str, str], job_table) -> None:
    work, first, second = tiny_resumed_run
    first_jobs, second_jobs = job_table(first), job_table(second)
    assert first_jobs["generate_chunk"] == first_jobs["select_features"] == _n_chunks()
    assert not (set(first_jobs) & (TRAINING_RULES | THRESHOLD_RULES))
    assert "generate_chunk" not in second_jobs and "select_features" not in second_jobs, second_jobs
    assert second_jobs["train_nn"] == 2 * KFOLD and second_jobs["limits"] == 1
    assert (work / "results/tiny/limits/smuon/cls.csv").exists()


def test_killed_job_leaves_no_complete_looking_output(tmp_path: Path, tiny_workdir, snakemake_runner,
                                                      job_table) -> None:
    """SIGKILL snakemake and its generation job mid-chunk: the event file must not exist, and the next
    run plans to generate it again (no partial file is taken for a finished one)."""
    work = tiny_workdir(tmp_path / "run")
    # one bigger chunk, so that the job is surely still running when it is killed
    config = (work / "tiny/config.yaml").read_text().replace("events_per_chunk_max: 400", "events_per_chunk_max: 5000")
    (work / "tiny/config_big.yaml").write_text(config.replace("samples: tiny/samples.tsv", "samples: tiny/big.tsv"))
    (work / "tiny/big.tsv").write_text("sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\n"
                                       "ttbar\tttbar_mumu\tgenerate\t5000\t1\t\tsmuon\n")
    target = "results/tiny/events/ttbar/chunk0.root"
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", "tiny/config_big.yaml", "--cores", "1", target]
    log = tmp_path / "snakemake.out"  # the job's progress bar (stderr) shows up here
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while "evt/s" not in log.read_text(errors="replace"):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "generation did not start"
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group of the snakemake we started
            proc.wait()
    assert "Finished job" not in log.read_text()
    assert not (work / target).exists()
    leftovers = [p.name for p in (work / "results/tiny/events/ttbar").iterdir()] if (work / "results/tiny/events/ttbar").exists() else []
    assert all(not name.endswith(".root") for name in leftovers), leftovers
    snakemake_runner(work, "--unlock", configfile="tiny/config_big.yaml")
    plan = snakemake_runner(work, "--dry-run", target, configfile="tiny/config_big.yaml")
    assert job_table(plan.stdout + plan.stderr)["generate_chunk"] == 1
