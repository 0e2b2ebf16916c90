"""surrogate.analysis: recast - the label source, its start-up checks naming the key, and a dry run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from susyscan.config import validate_config
from susyscan.errors import ConfigError
from susyscan.surrogate.workflow import (
    BUNDLE,
    check_settings,
    heldout_points,
    recast_source,
    source_description,
    source_name,
    targets,
)
from tests.workflow.conftest import dry_run, make_workdir

REPO = Path(__file__).resolve().parents[2]
RECAST = {"enabled": True, "analyses": {"atlas_1908_08215": {"config": "config/recast/atlas_1908_08215.yaml"}}}
GRIDS = {"smuon": []}
POINTS = [SimpleNamespace(name=f"smuon_{p:g}_{l:g}", m_parent=p, m_lsp=l, train=False)
          for p, l in ((200.0, 0.0), (400.0, 0.0), (400.0, 200.0))]


def _config(**surrogate: object) -> dict:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["surrogate"] = {"enabled": True, "analysis": "recast", "heldout_points": [[400.0, 200.0]],
                        "fast_scan": {"enabled": False}, **surrogate}
    validate_config(cfg)  # the schema shipped in the package
    return cfg


def test_recast_source_defaults_and_targets() -> None:
    cfg = _config()
    settings = cfg["surrogate"]
    assert settings["recast"] == {"analysis": "", "grid": ""}  # schema defaults
    assert recast_source(settings, RECAST, GRIDS) == ("atlas_1908_08215", "smuon")
    name = source_name(settings, RECAST, GRIDS)
    assert name == "atlas_1908_08215_smuon"
    check_settings(settings, cfg, POINTS)
    assert heldout_points(settings, POINTS) == [[400.0, 200.0]]
    out = targets(settings, ["png"], name, results="/scratch/run")
    assert out == [f"/scratch/run/surrogate/atlas_1908_08215_smuon/bundle/{f}" for f in BUNDLE.values()]
    assert source_name(_config(analysis="smuon")["surrogate"], RECAST, GRIDS) == "smuon"
    text = source_description(str(REPO / RECAST["analyses"]["atlas_1908_08215"]["config"]))
    assert "`Preselection` is the recast's common selection (Exactly 2 signal leptons" in text
    assert "16 signal regions" in text and source_description("") == ""


@pytest.mark.parametrize(("surrogate", "recast", "key"), [
    ({}, {"enabled": False}, "surrogate.analysis"),
    ({"recast": {"analysis": "cms_typo"}}, RECAST, "surrogate.recast.analysis"),
    ({"recast": {"grid": "slepton_lr"}}, RECAST, "surrogate.recast.grid"),
])
def test_bad_recast_source_names_the_key(surrogate: dict, recast: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=f"config key '{key}'"):
        recast_source(_config(**surrogate)["surrogate"], recast, GRIDS)


def test_two_recast_grids_need_a_name() -> None:
    with pytest.raises(ConfigError, match=r"'surrogate.recast.grid': empty, and the recast declares \['slepton_lr', "):
        recast_source(_config()["surrogate"], RECAST, {"smuon": [], "slepton_lr": []})


@pytest.mark.parametrize(("surrogate", "key"), [
    ({"fast_scan": {"enabled": True}}, "surrogate.fast_scan.enabled"),
    ({"heldout_points": []}, "surrogate.heldout_points"),
    ({"heldout_points": [[300.0, 0.0]]}, "surrogate.heldout_points"),
])
def test_bad_recast_settings_name_the_key(surrogate: dict, key: str) -> None:
    cfg = _config(**surrogate)
    with pytest.raises(ConfigError, match=f"config key '{key}'"):
        check_settings(cfg["surrogate"], cfg, POINTS)


def test_unknown_label_source_is_refused_at_start_up() -> None:
    from susyscan.surrogate.workflow import check_analysis

    cfg = _config(analysis="atlas")  # any analysis name passes the schema; the start-up check knows the analyses
    with pytest.raises(ConfigError, match="config key 'surrogate.analysis'"):
        check_analysis(cfg["surrogate"], ["smuon"])


@pytest.mark.workflow
def test_dry_run_plans_recast_surrogate_jobs(tmp_path: Path) -> None:
    work = make_workdir(tmp_path / "run")
    (work / "on.yaml").write_text("surrogate:\n  enabled: true\n  analysis: recast\n  heldout_points: [[400, 200]]\n"
                                      "  fast_scan: {enabled: false}\n")
    out = dry_run(work, "--configfile", "config/recast_tiny.yaml", "on.yaml")
    n_points = len((REPO / "config/grids/recast_smuon_tiny.tsv").read_text().strip().splitlines()) - 1
    for rule, count in (("surrogate_truth", n_points), ("surrogate_recast_labels", n_points), ("recast_select", n_points),
                        ("surrogate_train", 1), ("surrogate_validate", 1), ("surrogate_bundle", 1)):
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), (rule, out[-3000:])
    assert "results/recast_tiny/surrogate/atlas_1908_08215_smuon/bundle/model.onnx" in out
    assert not any(line.split()[:1] in (["surrogate_fast_scan"], ["surrogate_labels"]) for line in out.splitlines())
    # the fast scan left on is refused at start-up, naming the key
    (work / "on.yaml").write_text("surrogate:\n  enabled: true\n  analysis: recast\n  heldout_points: [[400, 200]]\n")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--dry-run", "--cores", "2", "--configfile", "config/recast_tiny.yaml", "on.yaml"]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0 and "surrogate.fast_scan.enabled" in proc.stdout + proc.stderr
