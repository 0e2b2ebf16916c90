"""Fixtures of the end-to-end workflow tests: a tiny config (tests/workflow/tiny/) run once per session."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = Path(__file__).resolve().parent / "tiny"
TINY_CONFIG = "tiny/config.yaml"

Runner = Callable[..., subprocess.CompletedProcess]


def make_workdir(path: Path) -> Path:
    """A run directory holding copies of config/, resources/ and the tiny tables (as tiny/)."""
    path.mkdir(parents=True, exist_ok=True)
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, path / sub)
    shutil.copytree(TINY, path / "tiny")
    return path


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: float = 900,
                  configfile: str = TINY_CONFIG) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile in ``workdir`` with the tiny config on 2 cores."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", configfile, "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    return proc


def dry_run(workdir: Path, *args: str) -> str:
    """Output of a dry run of the repository's Snakefile in ``workdir`` (its own config/), asserting success."""
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--dry-run", "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout + proc.stderr


def job_counts(output: str) -> Counter:
    """Rule name -> job count from snakemake's job table (empty when nothing is to be done)."""
    counts: Counter = Counter()
    in_table = False
    for line in output.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
            if match and match.group(1) != "total":
                counts[match.group(1)] = int(match.group(2))
            elif line.strip().startswith("total"):
                break
    return counts


def feature_targets() -> list[str]:
    """Per-chunk feature CSVs of every tiny sample (the end of the analysis stage)."""
    from susyscan.config import load_grid, load_samples

    samples = list(load_samples(TINY / "samples.tsv")) + list(load_grid(TINY / "grid.tsv", "smuon"))
    return [f"results/tiny/analysis/smuon/features/{s.name}/chunk{c}.csv.gz" for s in samples for c in range(s.n_chunks)]


@pytest.fixture(scope="session")
def snakemake_runner() -> Runner:
    """``run_snakemake(workdir, *args, check=True)``."""
    return run_snakemake


@pytest.fixture(scope="session")
def tiny_workdir() -> Callable[[Path], Path]:
    """``make_workdir(path) -> path``: a fresh run directory with the tiny config."""
    return make_workdir


@pytest.fixture(scope="session")
def snakemake_dry_run() -> Callable[..., str]:
    """``dry_run(workdir, *args) -> output`` of a successful dry run with the workdir's own config."""
    return dry_run


@pytest.fixture(scope="session")
def job_table() -> Callable[[str], Counter]:
    """``job_counts(snakemake_output) -> Counter`` of planned jobs per rule."""
    return job_counts


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run directory of one complete tiny run (all targets), shared by the session's tests."""
    work = make_workdir(tmp_path_factory.mktemp("tiny_run") / "run")
    proc = run_snakemake(work)
    (work / "snakemake.out").write_text(proc.stdout + proc.stderr)
    return work


@pytest.fixture(scope="session")
def tiny_resumed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A second tiny run made in two steps: up to the feature CSVs, then the rest (an interrupted run resumed).

    Returns (run directory, first step's output, second step's output).
    """
    work = make_workdir(tmp_path_factory.mktemp("tiny_resumed") / "run")
    first = run_snakemake(work, *feature_targets())
    second = run_snakemake(work)
    return work, first.stdout + first.stderr, second.stdout + second.stderr
