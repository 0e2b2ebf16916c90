"""The workflow parses, lints and plans the expected jobs with each profile (dry runs, no execution)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from susyscan.config import load_grid, load_samples

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

pytestmark = pytest.mark.workflow


def _expected_chunks() -> int:
    samples = load_samples(REPO / "config/samples.tsv")
    grid = load_grid(REPO / "config/grids/smuon.tsv", "smuon")
    return sum(s.n_chunks for s in samples if s.source == "generate") + sum(p.n_chunks for p in grid)


@pytest.fixture(scope="module")
def clean_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh working directory with the default config and resources, and no results."""
    work = tmp_path_factory.mktemp("wf")
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, work / sub)
    return work


def test_default_dry_run_plans_full_chain(clean_workdir: Path, snakemake_dry_run, job_table) -> None:
    counts = job_table(snakemake_dry_run(clean_workdir))
    grid = load_grid(REPO / "config/grids/smuon.tsv", "smuon")
    assert counts["generate_chunk"] == _expected_chunks()
    assert counts["kfactor_reference"] == 0  # no smuon process is normalised with a table K-factor
    assert counts["select_features"] == _expected_chunks()
    kfold = 3  # config/config.yaml training.kfold: one model per (mass region, fold)
    assert counts["prepare_dataset"] == 2 * kfold
    assert counts["train_nn"] == 2 * kfold and counts["train_bdt"] == 2 * kfold
    assert counts["export_onnx"] == 4 * kfold and counts["performance_table"] == 4
    assert counts["scan_point"] == len(grid)
    assert counts["limits"] == 1 and counts["contours"] == 1 and counts["all"] == 1


HTCONDOR_PLUGIN = importlib.util.find_spec("snakemake_executor_plugin_htcondor") is not None
needs_htcondor = pytest.mark.skipif(not HTCONDOR_PLUGIN, reason="htcondor executor plugin not installed "
                                    "(optional extra: pip install -e '.[htcondor]'; .ci/run installs it)")


@pytest.mark.parametrize("profile", ["default", "slurm", pytest.param("htcondor", marks=needs_htcondor)])
def test_profiles_plan_the_same_jobs(clean_workdir: Path, profile: str, snakemake_dry_run, job_table) -> None:
    out = snakemake_dry_run(clean_workdir, "--workflow-profile", str(REPO / "workflow/profiles" / profile))
    counts = job_table(out)
    assert counts["generate_chunk"] == _expected_chunks()
    assert counts["train_nn"] == 2 * 3  # two mass regions x three folds
    if profile in ("slurm", "htcondor"):
        # generation chunks are bundled 20 per cluster job (group-components in the profile)
        assert out.count("Group job generation") == -(-_expected_chunks() // 20)


def test_unknown_config_key_fails_naming_it(clean_workdir: Path) -> None:
    cmd = [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--dry-run", "--cores", "1",
           "--config", "scan={'score_treshold': 0.5}"]
    proc = subprocess.run(cmd, cwd=clean_workdir, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "score_treshold" in proc.stdout + proc.stderr


def test_lint_is_clean() -> None:
    proc = subprocess.run([*SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_paper_scale_config_plans_154_points(clean_workdir: Path, snakemake_dry_run, job_table) -> None:
    counts = job_table(snakemake_dry_run(clean_workdir, "--configfile", "config/paper_scale.yaml"))
    grid = load_grid(REPO / "config/grids/smuon_paper.tsv", "smuon")
    assert len(grid) == 154 and sum(p.train for p in grid) == 18
    assert counts["scan_point"] == 154
    assert counts["train_nn"] == 2 * 5  # paper scale: five folds per mass region
    assert counts["generate_chunk"] == sum(p.n_chunks for p in grid) + sum(
        s.n_chunks for s in load_samples(REPO / "config/samples_paper.tsv"))
