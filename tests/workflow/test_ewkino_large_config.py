"""config/ewkino_large.yaml (issue 17: the larger 1 vs 10 GeV comparison) plans the ewkino chain (dry run only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from susyscan.config import load_grid, load_samples

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.workflow


def test_large_config_plans_the_larger_ewkino_run(tmp_path: Path, snakemake_dry_run, job_table) -> None:  # noqa: ANN001
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    cfg = yaml.safe_load((tmp_path / "config/ewkino_large.yaml").read_text())
    samples = [s for s in load_samples(tmp_path / cfg["samples"]) if "ewkino" in s.analyses]
    grid = load_grid(tmp_path / cfg["grids"]["ewkino"], "ewkino")
    events = {s.process: s.n_events for s in samples}
    # at least 10x the demo's Z(->nunu)+jet statistics, every grid point used for training
    demo = yaml.safe_load((tmp_path / "config/ewkino.yaml").read_text())
    demo_z = {s.process: s.n_events for s in load_samples(tmp_path / demo["samples"])}["znunu_jets"]
    assert events["znunu_jets"] >= 10 * demo_z
    assert all(p.train for p in grid) and all(p.process == "sq_ewkino_isr" for p in grid)
    assert cfg["analyses"]["ewkino"]["min_background"] >= 20
    counts = job_table(snakemake_dry_run(tmp_path, "--configfile", str(tmp_path / "config/ewkino_large.yaml")))
    chunks = sum(s.n_chunks for s in samples) + sum(p.n_chunks for p in grid)
    assert counts["generate_chunk"] == chunks
    # the wino-pair K-factor's LO reference runs once per mass point, not once per chunk
    assert sum(p.n_chunks for p in grid) > len(grid) and counts["kfactor_reference"] == len(grid)
    assert counts["model_inputs"] == 2 * chunks
    assert counts["train_nn"] == 2 and counts["ewkino_threshold_gain"] == 1 and counts["ewkino_importance"] == 2
