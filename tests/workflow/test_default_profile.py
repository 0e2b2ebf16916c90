"""Plain ``snakemake`` picks up workflow/profiles/default (through the ``profiles`` link next to the Snakefile)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.workflow


def test_profiles_link_points_at_the_workflow_profiles() -> None:
    # Snakemake >= 8 looks for profiles/default next to the Snakefile (and in the working directory)
    assert (REPO / "profiles").is_symlink()
    assert (REPO / "profiles/default").resolve() == (REPO / "workflow/profiles/default").resolve()
    profile = yaml.safe_load((REPO / "workflow/profiles/default/config.yaml").read_text())
    assert profile["cores"] == 2 and profile["rerun-incomplete"] is True


def test_plain_snakemake_uses_the_default_profile(tmp_path: Path) -> None:
    """No --cores and no --workflow-profile: the profile supplies the cores (else: 'cores have to be specified')."""
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "no_such_target"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert f"Using workflow specific profile {REPO / 'profiles/default'}" in out
    assert "cores have to be specified" not in out
    assert "No rule to produce no_such_target" in out  # it got as far as planning

    explicit = subprocess.run([*cmd, "--workflow-profile", "none"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
    assert "cores have to be specified" in explicit.stdout + explicit.stderr  # the same without the profile
