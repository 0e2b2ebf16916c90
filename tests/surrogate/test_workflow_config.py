"""Surrogate config: start-up checks naming the key, targets, and the planned jobs of a dry run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from susyscan.config import validate_config
from susyscan.errors import ConfigError
from susyscan.surrogate.workflow import BUNDLE, check_settings, heldout_points, targets
from tests.workflow.conftest import dry_run, make_workdir

REPO = Path(__file__).resolve().parents[2]
POINTS = [SimpleNamespace(name=f"smuon_{p:g}_{l:g}", m_parent=p, m_lsp=l, train=t)
          for p, l, t in ((200.0, 0.0, True), (300.0, 0.0, True), (300.0, 100.0, False))]


def _config(**surrogate: object) -> dict:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["surrogate"] = {"enabled": True, **surrogate}
    validate_config(cfg)  # the schema shipped in the package
    return cfg


def test_defaults_and_heldout_points() -> None:
    cfg = _config()
    settings = cfg["surrogate"]
    assert settings["fast_scan"]["n_events"] == 2000 and settings["xgboost"]["n_estimators"] == 200
    assert heldout_points(settings, POINTS) == [[300.0, 100.0]]
    check_settings(settings, cfg, POINTS)
    out = targets(settings, ["png"], results="results/x")
    assert all(f"results/x/surrogate/smuon/bundle/{name}" in out for name in BUNDLE.values())
    assert "results/x/plots/smuon/surrogate_contour_139ifb.png" in out


@pytest.mark.parametrize(("surrogate", "key"), [
    ({"isr_features": True}, "surrogate.isr_features"),
    ({"heldout_points": [[250.0, 0.0]]}, "surrogate.heldout_points"),
    ({"heldout_points": [[200.0, 0.0], [300.0, 0.0], [300.0, 100.0]]}, "surrogate.heldout_points"),
    ({"fast_scan": {"luminosities_ifb": [42.0]}}, "surrogate.fast_scan.luminosities_ifb"),
    ({"fast_scan": {"overlay_scenario": "typo"}}, "surrogate.fast_scan.overlay_scenario"),
])
def test_bad_settings_name_the_key(surrogate: dict, key: str) -> None:
    cfg = _config(**surrogate)
    with pytest.raises(ConfigError, match=f"config key '{key}'"):
        check_settings(cfg["surrogate"], cfg, POINTS)


def test_no_heldout_point_is_refused() -> None:
    cfg = _config()
    trained = [SimpleNamespace(**{**vars(p), "train": True}) for p in POINTS]
    with pytest.raises(ConfigError, match="no grid point has train = no"):
        check_settings(cfg["surrogate"], cfg, trained)


@pytest.mark.workflow
def test_dry_run_plans_surrogate_jobs(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    (work / "on.yaml").write_text("surrogate:\n  enabled: true\n")
    out = dry_run(work, "--configfile", "config/config.yaml", "on.yaml")
    n_points = len((REPO / "config/grids/smuon.tsv").read_text().strip().splitlines()) - 1
    for rule, count in (("surrogate_truth", n_points), ("surrogate_labels", n_points), ("surrogate_train", 1),
                        ("surrogate_bundle", 1), ("surrogate_fast_scan", 1), ("surrogate_fast_limits", 3),
                        ("surrogate_compare", 1)):
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), (rule, out[-3000:])


def test_surrogate_analysis_must_be_a_shared_ml_analysis() -> None:
    from susyscan.surrogate.workflow import check_analysis

    check_analysis({"analysis": "toy"}, ["smuon", "toy"])
    check_analysis({"analysis": "recast"}, [])
    with pytest.raises(ConfigError, match=r"config key 'surrogate.analysis': 'ewkino' is neither 'recast' nor"):
        check_analysis({"analysis": "ewkino"}, ["smuon"])


@pytest.mark.workflow
def test_surrogate_of_a_plugin_analysis(tmp_path: Path) -> None:
    """The surrogate rules are generic over the analysis: surrogate.analysis names the toy plug-in analysis
    (tests/analyses/plugin) and its grid, fold models and outputs are used, with no smuon job."""
    import shutil

    work = make_workdir(tmp_path / "run")
    shutil.copytree(REPO / "tests/analyses/plugin", work / "plugin")
    (work / "on.yaml").write_text("surrogate:\n  enabled: true\n  analysis: toy\n"
                                  "  fast_scan: {luminosities_ifb: [139.0], overlay_scenario: optimistic}\n")
    out = dry_run(work, "--configfile", "plugin/config.yaml", "on.yaml")
    for rule, count in (("surrogate_truth", 4), ("surrogate_labels", 4), ("surrogate_train", 1),
                        ("surrogate_bundle", 1), ("surrogate_fast_scan", 1), ("surrogate_fast_limits", 3),
                        ("surrogate_compare", 1)):
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), (rule, out[-3000:])
    assert "results/toy/surrogate/toy/bundle/model.onnx" in out
    assert "results/toy/plots/toy/surrogate_contour_139ifb.png" in out
    assert "/surrogate/smuon/" not in out and "/training/smuon/" not in out
    (work / "bad.yaml").write_text("surrogate:\n  enabled: true\n  analysis: smuon\n")  # smuon is off in this run
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory",
                           str(work), "--dry-run", "--configfile", "plugin/config.yaml", "bad.yaml"],
                          cwd=work, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "config key 'surrogate.analysis': 'smuon'" in proc.stdout + proc.stderr
