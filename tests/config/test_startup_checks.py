"""Inputs checked at start-up: cut_overrides naming unknown cuts or variables, ingested files that do not exist.

Unit tests of the check plus dry runs of the workflow, which must fail at parse time naming the key, the cut or
the file - also when the outputs of the sample already exist.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from susyscan.config.startup_checks import check_analysis_selection
from susyscan.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SMUON = {"enabled": True, "config": "config/analyses/smuon.yaml", "cutflow_luminosity_ifb": 139.0}


def test_known_overrides_pass() -> None:
    check_analysis_selection("smuon", {**SMUON, "cut_overrides": {"mt2_cut": "mt2 > 0.0"}}, REPO)
    check_analysis_selection("smuon", {**SMUON, "cut_overrides": {}}, REPO)


@pytest.mark.parametrize(("overrides", "named"), [
    ({"mt2_cutt": "mt2 > 0.0"}, "mt2_cutt"),                      # unknown cut
    ({"mt2_cut": "mt22 > 0.0"}, "mt22"),                          # unknown variable
    ({"muon_pt": "mu1_pt > 20 and"}, "muon_pt"),                  # does not parse
])
def test_bad_override_names_key_and_culprit(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match="analyses.smuon.cut_overrides") as err:
        check_analysis_selection("smuon", {**SMUON, "cut_overrides": overrides}, REPO)
    assert named in str(err.value)


def test_analysis_without_yaml_cuts_is_not_loaded() -> None:
    """The ewkino block has no cut_overrides key (its selection is code): nothing to check here."""
    check_analysis_selection("ewkino", {"enabled": True, "config": "config/analyses/ewkino.yaml"}, REPO)


# --- the workflow refuses to start -------------------------------------------------------------------------


def _workdir(tmp_path: Path) -> Path:
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    shutil.copytree(REPO / "tests/workflow/tiny", tmp_path / "tiny")
    return tmp_path


def _dry_run(work: Path, configfile: str, *targets: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", configfile, "--cores", "1", "--dry-run", *targets]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)


@pytest.mark.workflow
def test_dry_run_fails_on_unknown_override(tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    config = (work / "tiny/config.yaml").read_text()
    assert 'mt2_cut: "mt2 > 0.0"' in config
    (work / "tiny/bad.yaml").write_text(config.replace('mt2_cut: "mt2 > 0.0"', 'mt2_cutt: "mt2 > 0.0"'))
    proc = _dry_run(work, "tiny/bad.yaml")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "analyses.smuon.cut_overrides" in out and "mt2_cutt" in out


@pytest.mark.workflow
def test_missing_ingest_file_fails_even_with_results(tmp_path: Path) -> None:
    """A sample read from a user file that is gone: an error at start-up, not 'Nothing to be done'."""
    work = _workdir(tmp_path)
    table = (work / "tiny/samples.tsv").read_text()
    (work / "tiny/samples.tsv").write_text(table + "user_zz\tzz_mumununu\tingest\t100\t1\tdata/gone.hepmc\tsmuon\n")
    for path in ("results/tiny/events/user_zz/chunk0.root", "results/tiny/analysis/smuon/features/user_zz/chunk0.csv.gz"):
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(b"an output of an earlier run")
    proc = _dry_run(work, "tiny/config.yaml", "results/tiny/analysis/smuon/features/user_zz/chunk0.csv.gz")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Nothing to be done" not in out
    assert "user_zz" in out and "data/gone.hepmc" in out and "does not exist" in out


def test_semantic_checks_load_each_selection_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stau demo (generator filters, tau truth tagging): semantic_checks loads its YAML selection once and hands
    it to the filter and truth-tagging checks, which reach the same verdict (the demo passes; a looser tau count
    still fails naming the cut)."""
    import yaml

    import susyscan.analysis.config as analysis_config
    from susyscan.config import semantic_checks, validate_config

    raw = yaml.safe_load((REPO / "config" / "stau.yaml").read_text())
    config = validate_config(raw, REPO / "src" / "susyscan" / "schemas" / "config.schema.yaml")
    assert config["detector"]["tau_truth_tagging"] and config["analyses"]["stau"]["enabled"]
    loaded: list[str] = []
    load = analysis_config.load_analysis_config

    def counted(*args: object, **kwargs: object) -> analysis_config.AnalysisConfig:
        loaded.append(str(args[0]))
        return load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis_config, "load_analysis_config", counted)
    assert list(semantic_checks(config, REPO)) == ["stau"]
    assert len(loaded) == 1 and loaded[0].endswith("config/analyses/stau.yaml")
    config["analyses"]["stau"]["cut_overrides"] = {"one_tau": "n_taus >= 1"}
    with pytest.raises(ConfigError, match="detector.tau_truth_tagging.*analysis 'stau'.*cut 'one_tau'"):
        semantic_checks(config, REPO)
