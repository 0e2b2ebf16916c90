"""multiclass.smk in the DAG: with the stau demo config (the stau spec declares multiclass=True) every category gets
one DNN and one DNN+SIGN job (the rules generic over {analysis}) feeding one comparison, whose yield tables go through
the shared limits and contours rules as the result set "stau/ml" (no stau copy of them); with the default config
(stau off) no multiclass rule runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.workflow.conftest import dry_run, job_counts, make_workdir

needs_stau = pytest.mark.skipif(importlib.util.find_spec("susyscan.analyses.stau") is None,
                                reason="the stau analysis package is not in this checkout")


@needs_stau
def test_stau_config_schedules_the_ml_rules(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    output = dry_run(work, "--configfile", "config/stau.yaml")
    counts = job_counts(output)
    assert "wildcards: analysis=stau/ml" in output and "results/stau_demo/scan/stau/ml/background_yields.csv" in output
    assert counts["multiclass_dnn"] == 2 and counts["multiclass_sign"] == 2  # categories 0j and 1j
    assert counts["multiclass_compare_stau"] == 1
    assert "results/stau_demo/training/stau/1j/sign/fold4/model.onnx" in output  # the paths of the stau rules
    # the shared statistics and plot rules, once for the cut-and-count analysis "stau" and once for "stau/ml"
    assert counts["limits"] == 2 and counts["workspaces"] == 2 and counts["contours"] == 2
    assert not any(rule.startswith("stau_ml") for rule in counts)


def test_default_config_has_no_stau_jobs(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    counts = job_counts(dry_run(work))
    assert counts and not any(rule.startswith(("stau_", "multiclass_")) for rule in counts)


@needs_stau
def test_run_config_ml_settings_reach_the_rules(tmp_path: Path) -> None:
    """analyses.stau.ml.kfold of the run config sets the number of fold models the multiclass rules expect."""
    import yaml

    work = make_workdir(tmp_path / "run")
    cfg = yaml.safe_load((work / "config" / "stau.yaml").read_text())
    cfg["analyses"]["stau"]["ml"] = {"kfold": 3}
    (work / "config" / "stau_k3.yaml").write_text(yaml.safe_dump(cfg))
    output = dry_run(work, "--configfile", "config/stau_k3.yaml")
    assert "0j/dnn/fold2/model.onnx" in output and "fold3/model.onnx" not in output
