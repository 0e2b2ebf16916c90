"""Proof of the analysis interface: a third analysis defined by one YAML and one small module (tests/analyses/plugin/:
its own cuts, two model inputs, one signal region) runs end to end through the shared rules - generation,
selection, k-fold training, ONNX export, scan, CLs, contours - on a few hundred events."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = Path(__file__).resolve().parent / "plugin"
SHARED_PACKAGES = ("analysis", "training", "scan", "stats", "plotting", "config")

pytestmark = pytest.mark.workflow


def test_shared_stages_do_not_know_the_toy() -> None:
    """The toy lives only in tests/analyses/plugin: no shared package names it."""
    for package in SHARED_PACKAGES:
        for path in (REPO / "src/susyscan" / package).rglob("*.py"):
            assert "toy" not in path.read_text().lower(), path


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("toy") / "run"
    work.mkdir()
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, work / sub)
    shutil.copytree(PLUGIN, work / "plugin")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", "plugin/config.yaml", "--cores", "2"]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-6000:]
    return work / "results" / "toy"  # run_name toy


def test_toy_analysis_runs_end_to_end(toy_run: Path) -> None:
    cutflow = pd.read_csv(toy_run / "analysis/toy/cutflow.csv")
    assert {"At least 2 muons", "MET > 20 GeV"} <= set(cutflow.astype(str).to_numpy().ravel())
    features = pd.read_csv(toy_run / "analysis/toy/features/ww.csv.gz")
    assert list(features.columns[:2]) == ["met", "met_over_mll"] and len(features) > 20
    assert "mll" not in features.columns  # only the spec's features are written
    meta = json.loads((toy_run / "training/toy/dataset/all/fold0.json").read_text())
    assert meta["feature_names"] == ["met", "met_over_mll"]
    assert (toy_run / "training/toy/all/bdt/fold1/model.onnx").exists()
    assert not (toy_run / "training/toy/all/nn").exists()  # the spec asks for a BDT only
    parity = json.loads((toy_run / "training/toy/all/bdt/fold0/onnx_parity.json").read_text())
    assert parity["max_abs_deviation"] <= 1e-5
    cls = pd.read_csv(toy_run / "limits/toy/cls.csv")
    assert set(cls["region"]) == {"BDT all", "best"}  # its one signal region (and the best-region rows)
    # 4 grid points x (its region + best) x 1 luminosity x the background scenarios (the run config's optimistic and
    # the embedded config's pessimistic, merged by snakemake)
    assert not cls.duplicated(["m_parent", "m_lsp", "region", "lumi_ifb", "scenario"]).any()
    assert len(cls) == 4 * 2 * cls["scenario"].nunique() and cls["cls_exp"].between(0, 1).all()
    png = toy_run / "plots/toy/contour_139ifb.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
