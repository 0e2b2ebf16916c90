"""The slurm profile on a real single-node Slurm cluster (workflow/local_slurm.py): a subset of the tiny workflow.

Brings up munged, slurmctld and slurmd in a temporary folder, runs generation (one bundled cluster job), the
feature selection and merging (one bundled analysis job), the dataset and one fold of NN and BDT training
through ``workflow/profiles/slurm``, and checks the outputs and what each cluster job asked Slurm for.
A few minutes on 2 cores. Skipped when the Slurm programs are absent (``.ci/run`` installs them).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("local_slurm", REPO / "workflow" / "local_slurm.py")
assert _spec is not None and _spec.loader is not None
local_slurm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_slurm)

_MISSING = local_slurm.missing_binaries()
pytestmark = [pytest.mark.slurm, pytest.mark.workflow]
needs_slurm = pytest.mark.skipif(bool(_MISSING), reason=f"Slurm not installed ({', '.join(_MISSING)} missing): "
                                                        f"apt-get install {local_slurm.PACKAGES}")

RUN_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory: pytest.TempPathFactory):
    """(run directory, snakemake output, squeue records, scontrol records) of the subset on a fresh cluster."""
    root = tmp_path_factory.mktemp("slurm")
    work = root / "run"
    local_slurm.prepare_subset(work)
    with local_slurm.LocalSlurm(root / "cluster") as cluster:
        proc = local_slurm.run_snakemake(cluster, work, local_slurm.subset_args(), timeout_s=RUN_TIMEOUT_S)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"snakemake exited with {proc.returncode}:\n{output[-6000:]}\n" \
                                     f"slurmctld:\n{cluster.daemon_log('slurmctld')}"
        jobs = local_slurm.finished_jobs(cluster)
        details = {job["id"]: cluster.client("scontrol", "show", "job", job["id"]) for job in jobs}
    return work, output, jobs, details


def _by_rule(jobs: list[dict[str, str]], prefix: str) -> list[dict[str, str]]:
    return [job for job in jobs if job["comment"].startswith(prefix)]


@needs_slurm
def test_outputs_of_every_stage(slurm_run) -> None:
    work, _, _, _ = slurm_run
    for sample in ("ttbar", "ww", "zz", "smuon_150_0", "smuon_300_0"):
        assert (work / f"results/tiny/events/{sample}/chunk0.root").stat().st_size > 1000, sample
        assert (work / f"results/tiny/analysis/smuon/features/{sample}.csv.gz").stat().st_size > 100, sample
        assert "INFO" in (work / f"results/tiny/logs/generation/{sample}/chunk0.log").read_text(), sample
    for model, native in (("nn", "model.pt"), ("bdt", "model.json")):
        out = work / "results/tiny/training/smuon/low" / model / "fold0"
        assert (out / native).stat().st_size > 100
        metrics = json.loads((out / "metrics.json").read_text())
        assert 0.0 <= metrics["roc_auc"] <= 1.0


@needs_slurm
def test_jobs_are_bundled_and_complete(slurm_run) -> None:
    _, output, jobs, _ = slurm_run
    assert all(job["state"] == "COMPLETED" for job in jobs), jobs
    # 5 generation chunks -> one cluster job; 5 x (select + merge) -> one; dataset, NN, BDT: one each
    assert len(jobs) == 5, jobs
    assert len(_by_rule(jobs, "rule_generation_generate_chunk")) == 1
    assert len(_by_rule(jobs, "rule_analysis_")) == 1
    assert output.count("has been submitted with SLURM jobid") == 5


@needs_slurm
def test_jobs_get_the_profile_resources(slurm_run) -> None:
    _, _, jobs, details = slurm_run
    (generation,) = _by_rule(jobs, "rule_generation_")
    # the group job is capped by the profile (cores: 4, resources: mem_mb 8000), not 5 x the chunk request
    assert generation["partition"] == "standard"
    assert (generation["cpus"], generation["memory"]) == ("4", "8000M")
    (nn,) = _by_rule(jobs, "rule_train_nn_")
    assert nn["partition"] == "gpu"
    assert "gres:gpu:1" in details[nn["id"]]  # sbatch --gpus=1 from the profile's gpu: 1
    assert nn["timelimit"] == "4:00:00" and "TimeLimit=04:00:00" in details[nn["id"]]  # runtime: 240
    (bdt,) = _by_rule(jobs, "rule_train_bdt_")
    assert bdt["partition"] == "standard" and bdt["cpus"] == "4"  # cpus_per_task: 4


def test_missing_slurm_is_reported(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The user script names the missing programs and the packages to install, without a traceback."""
    monkeypatch.setattr(local_slurm, "missing_binaries", lambda: ["slurmctld"])
    assert local_slurm.main([]) == 2
    err = capsys.readouterr().err
    assert "slurmctld not found" in err and local_slurm.PACKAGES in err


def test_script_help() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "workflow/local_slurm.py"), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "--shell" in proc.stdout
