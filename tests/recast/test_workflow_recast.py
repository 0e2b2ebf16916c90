"""The recast in the workflow: DAG of the tiny recast config, config errors at start-up, and (slow) the tiny
run end to end followed by a two-round refinement that simulates only the new points."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from susyscan.recast.refine import iterate

REPO = Path(__file__).resolve().parents[2]
CONFIG = "config/recast_tiny.yaml"


def workdir(tmp: Path) -> Path:
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, tmp / sub)
    return tmp


def snakemake(wd: Path, *args: str, configfile: str = CONFIG, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(wd),
           "--cores", "2", "--configfile", configfile, *args]
    proc = subprocess.run(cmd, cwd=wd, capture_output=True, text=True, timeout=1200)
    if check:
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def jobs(output: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.M) if m.group(1) != "total"}


def test_tiny_recast_dag(tmp_path) -> None:
    wd = workdir(tmp_path)
    counts = jobs(snakemake(wd, "--dry-run").stdout)
    n_points = len(pd.read_csv(wd / "config/grids/recast_smuon_tiny.tsv", sep="\t"))
    assert counts["generate_chunk"] == counts["recast_select"] == counts["recast_yields"] == n_points
    for rule in ("recast_limits", "recast_upper_limits", "recast_plots", "recast_refine", "recast_multi"):
        assert counts[rule] == 1
    assert not {r for r in counts if r.startswith(("train", "scan", "limits"))}  # no network analysis


def test_recast_config_errors_at_start_up(tmp_path) -> None:
    wd = workdir(tmp_path)
    raw = yaml.safe_load((wd / CONFIG).read_text())
    raw["recast"]["pseudo_data"] = {"mode": "asimov", "inject_sample": "smuon_999_0"}
    (wd / "bad.yaml").write_text(yaml.safe_dump(raw))
    proc = snakemake(wd, "--dry-run", configfile="bad.yaml", check=False)
    assert proc.returncode != 0 and "smuon_999_0" in proc.stdout + proc.stderr
    raw["recast"]["pseudo_data"] = {"mode": "asimov", "inject_sampel": "smuon_400_0"}
    (wd / "bad.yaml").write_text(yaml.safe_dump(raw))
    proc = snakemake(wd, "--dry-run", configfile="bad.yaml", check=False)
    assert proc.returncode != 0 and "inject_sampel" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_tiny_recast_runs_and_refines_only_new_points(tmp_path) -> None:
    wd = workdir(tmp_path)
    snakemake(wd)
    base = wd / "results/recast_tiny/recast/atlas_1908_08215"
    for name in ("upper_limits.csv", "upper_limits.md", "smuon/best.csv", "smuon/small_excess.csv",
                 "smuon/contour.png", "smuon/small_excess.png", "smuon/contour_lines.csv"):
        assert (base / name).is_file(), name
    assert len(pd.read_csv(base / "upper_limits.csv")) == 16
    curves = set(pd.read_csv(base / "smuon/contour_lines.csv")["curve"])
    assert {"observed", "expected"} <= curves
    events = {p: p.stat().st_mtime_ns for p in (wd / "results/recast_tiny/events").glob("*/chunk0.root")}
    history = iterate(Path(CONFIG), 2, 2, [], python=sys.executable, run=subprocess.run, workdir=wd)
    assert len(history) >= 1 and history["n_new"].iloc[0] > 0
    grid = pd.read_csv(wd / "config/grids/recast_smuon_tiny.tsv", sep="\t")
    assert len(grid) == len(events) + int(history["n_new"].sum())
    after = {p: p.stat().st_mtime_ns for p in (wd / "results/recast_tiny/events").glob("*/chunk0.root")}
    assert all(after[p] == t for p, t in events.items())  # old points were not regenerated
    assert len(after) == len(grid)
    assert len(pd.read_csv(base / "smuon/best.csv")) == len(grid)
    assert jobs(snakemake(wd, "--dry-run").stdout) == {}  # everything up to date
