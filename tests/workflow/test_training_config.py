"""Training settings per analysis (analyses.<name>.training) in the workflow, and the deprecated top-level
training block of older run configs: still honoured (snakemake merges config/config.yaml under every run config,
which must not override it), with a warning naming the key to move."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.workflow.conftest import TINY_CONFIG, dry_run, job_counts, make_workdir

pytestmark = pytest.mark.workflow


def test_per_analysis_kfold_sets_the_fold_jobs(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    counts = job_counts(dry_run(work, "--configfile", TINY_CONFIG))
    assert counts["prepare_dataset"] == 2 * 2 and counts["export_onnx"] == 2 * 2 * 2  # regions x folds (x models)
    config = yaml.safe_load((work / TINY_CONFIG).read_text())
    config["analyses"]["smuon"]["training"]["kfold"] = 3
    (work / "k3.yaml").write_text(yaml.safe_dump(config))
    assert job_counts(dry_run(work, "--configfile", "k3.yaml"))["prepare_dataset"] == 2 * 3


def test_old_top_level_training_block_still_applies(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    config = yaml.safe_load((work / TINY_CONFIG).read_text())
    config["training"] = config["analyses"]["smuon"].pop("training")  # the layout before analyses.<name>.training
    config["training"]["kfold"] = 4
    (work / "old.yaml").write_text(yaml.safe_dump(config))
    out = dry_run(work, "--configfile", "old.yaml")
    assert job_counts(out)["prepare_dataset"] == 2 * 4  # not the embedded config's (schema default) k = 3
    assert "config key 'training' is deprecated: move its settings to 'analyses.<name>.training'" in out
