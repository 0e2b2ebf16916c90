"""multiclass.smk in the DAG: with the stau demo config (the stau spec declares multiclass=True) every category gets
one DNN and one DNN+SIGN job (rules multiclass_dnn_stau, multiclass_sign_stau: one set per multiclass analysis, each
with its own k) feeding one comparison, whose yield tables go through the shared limits and contours rules as the
result set "stau/ml" (no stau copy of them); with the default config (stau off) no multiclass rule runs."""

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
    assert counts["multiclass_dnn_stau"] == 2 and counts["multiclass_sign_stau"] == 2  # categories 0j and 1j
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


@needs_stau
def test_two_multiclass_analyses_with_different_k(tmp_path: Path) -> None:
    """Two multiclass analyses with their own k: stau at analyses.stau.ml.kfold=3 and a plug-in copy of it, "stau2"
    (its YAML, ML YAML and a spec module renaming the stau spec), at the schema default 5. Each gets its own DNN and
    DNN+SIGN rules, with its own fold models and only its own categories."""
    import yaml

    work = make_workdir(tmp_path / "run")
    analyses = work / "config" / "analyses"
    stau_yaml = (analyses / "stau.yaml").read_text()
    assert stau_yaml.count("\nname: stau\n") == 1
    (analyses / "stau2.yaml").write_text(stau_yaml.replace("\nname: stau\n", "\nname: stau2\nmodule: stau2.py\n"))
    (analyses / "stau2.py").write_text("import dataclasses\n\nfrom susyscan.analyses.stau import SPEC as STAU\n\n"
                                       "SPEC = dataclasses.replace(STAU, name='stau2')\n")
    ml = yaml.safe_load((analyses / "stau_ml.yaml").read_text())
    ml["categories"] = {"0j": ml["categories"]["0j"], "any": {**ml["categories"]["1j"], "range": [0, 1000000]}}
    (analyses / "stau2_ml.yaml").write_text(yaml.safe_dump(ml))
    samples = (work / "config" / "samples_stau.tsv").read_text().splitlines()
    header = samples[0].split("\t")
    column = header.index("analyses")
    rows = [row.split("\t") for row in samples[1:] if row.strip()]
    for row in rows:
        row[column] = "stau,stau2" if row[column] == "stau" else row[column]
    (work / "config" / "samples_stau2.tsv").write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    cfg = yaml.safe_load((work / "config" / "stau.yaml").read_text())
    cfg["samples"] = "config/samples_stau2.tsv"
    cfg["grids"]["stau2"] = cfg["grids"]["stau"]
    cfg["analyses"]["stau"]["ml"] = {"kfold": 3}
    cfg["analyses"]["stau2"] = {"enabled": True, "config": "config/analyses/stau2.yaml", "ml": {},
                                "cutflow_luminosity_ifb": 139.0}
    (work / "config" / "two_multiclass.yaml").write_text(yaml.safe_dump(cfg))

    output = dry_run(work, "--configfile", "config/two_multiclass.yaml")
    counts = job_counts(output)
    for analysis in ("stau", "stau2"):
        for rule in ("dnn", "sign"):
            assert counts[f"multiclass_{rule}_{analysis}"] == 2, counts
        assert counts[f"multiclass_compare_{analysis}"] == 1
    run = "results/stau_demo/training"
    for method in ("dnn", "sign"):
        assert f"{run}/stau/1j/{method}/fold2/model.onnx" in output
        assert f"{run}/stau/1j/{method}/fold3/model.onnx" not in output  # stau: k = 3
        assert f"{run}/stau2/any/{method}/fold4/model.onnx" in output  # stau2: k = 5 (schema default)
        assert f"{run}/stau2/any/{method}/fold5/model.onnx" not in output
    assert f"{run}/stau2/1j/" not in output and f"{run}/stau/any/" not in output  # each its own categories
