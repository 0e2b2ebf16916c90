"""Each run writes under its own folder (results_dir, default results/<run_name>): configs with different run names
never plan a common output, log or benchmark file (dry runs, no execution)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from susyscan.config import results_dir
from susyscan.recast.refine import _run_results
from tests.workflow.conftest import make_workdir

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh working directory with the configs and resources, and no results."""
    return make_workdir(tmp_path_factory.mktemp("runs"))


def planned_files(output: str) -> set[str]:
    """Every output, log and benchmark file of the jobs of a dry run's output."""
    files: set[str] = set()
    for line in output.splitlines():
        key, _, value = line.strip().partition(": ")
        if key in ("output", "log", "benchmark") and value:
            files.update(value.split(", "))
    return files


def test_default_config_writes_everything_under_results_demo(workdir: Path, snakemake_dry_run) -> None:
    files = planned_files(snakemake_dry_run(workdir))
    assert len(files) > 100
    assert {f for f in files if not f.startswith("results/demo/")} == set()
    assert "results/demo/plots/smuon/contour_139ifb.png" in files  # the headline plot of `make run` (README)
    assert "results/demo/logs/generation/ttbar/chunk0.log" in files


def test_two_run_names_plan_disjoint_files(workdir: Path, snakemake_dry_run) -> None:
    """The same config under another run name, and the shipped ewkino and recast configs, plan no file of the demo
    (and none of each other's)."""
    renamed = yaml.safe_load((workdir / "config/config.yaml").read_text())
    renamed["run_name"] = "demo_again"
    (workdir / "renamed.yaml").write_text(yaml.safe_dump(renamed))
    runs = {"demo": snakemake_dry_run(workdir),
            "demo_again": snakemake_dry_run(workdir, "--configfile", "renamed.yaml"),
            "ewkino": snakemake_dry_run(workdir, "--configfile", "config/ewkino.yaml"),
            "recast_tiny": snakemake_dry_run(workdir, "--configfile", "config/recast_tiny.yaml")}
    files = {name: planned_files(out) for name, out in runs.items()}
    for name, planned in files.items():
        assert planned and all(f.startswith(f"results/{name}/") for f in planned), name
    # the renamed demo plans the same jobs, only elsewhere
    assert {f.removeprefix("results/demo_again/") for f in files["demo_again"]} == \
        {f.removeprefix("results/demo/") for f in files["demo"]}
    for a, b in itertools.combinations(files, 2):
        assert not files[a] & files[b], (a, b, sorted(files[a] & files[b])[:5])


def test_results_dir_overrides_the_run_folder(workdir: Path, tmp_path: Path, snakemake_dry_run) -> None:
    scratch = tmp_path / "scratch" / "demo"
    files = planned_files(snakemake_dry_run(workdir, "--config", f"results_dir={scratch}/"))
    assert files and all(f.startswith(f"{scratch}/") for f in files)
    assert f"{scratch}/plots/smuon/contour_139ifb.png" in files


def test_shipped_configs_have_distinct_run_folders() -> None:
    """Every config/*.yaml (merged on config/config.yaml, as --configfile does) has its own results folder."""
    base = yaml.safe_load((REPO / "config/config.yaml").read_text())
    folders: dict[str, str] = {"config.yaml": results_dir(base)}
    for path in sorted((REPO / "config").glob("*.yaml")):
        if path.name != "config.yaml":
            folders[path.name] = results_dir({**base, **(yaml.safe_load(path.read_text()) or {})})
    clashes = {f: [n for n, g in folders.items() if g == f] for f in folders.values()}
    assert {f: names for f, names in clashes.items() if len(names) > 1} == {}, "set a distinct run_name"
    assert folders["config.yaml"] == "results/demo"


def test_results_dir_default_and_recast_iterate_folder(tmp_path: Path) -> None:
    assert results_dir({}) == "results/demo"
    assert results_dir({"run_name": "paper_scale"}) == "results/paper_scale"
    assert results_dir({"run_name": "x", "results_dir": "/scratch/x/"}) == "/scratch/x"
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.yaml").write_text("run_name: demo\nseed: 3\n")
    (tmp_path / "recast.yaml").write_text("run_name: recast_tiny\nrecast: {enabled: true}\n")
    assert _run_results(tmp_path / "recast.yaml", tmp_path) == tmp_path / "results/recast_tiny"
    (tmp_path / "recast.yaml").write_text("recast: {enabled: true}\n")
    assert _run_results(tmp_path / "recast.yaml", tmp_path) == tmp_path / "results/demo"
