"""Bad configuration values and tables: refused at start-up naming the key, sample or mass point.

``validate_config`` is called directly for many wrong types; a few cases go through ``snakemake -n``
(the way users meet them) on a copy of the tiny test config.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from susyscan.config import validate_config
from susyscan.errors import ConfigError, CrossSectionRangeError
from susyscan.generation import xsec

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "src/susyscan/schemas/config.schema.yaml"
SLEP_R = "pp13_slep_R_NLO+NLL_PDF4LHC.json"


@pytest.mark.parametrize(("config", "key"), [
    ({"seed": "abc"}, "'seed'"),
    ({"seed": 0}, "'seed'"),
    ({"sqrt_s_gev": -13000.0}, "'sqrt_s_gev'"),
    ({"samples": 3}, "'samples'"),
    ({"generation": {"events_per_chunk_max": 2.5}}, "'generation.events_per_chunk_max'"),
    ({"statistics": {"luminosities_ifb": [139, "x"]}}, "'statistics.luminosities_ifb.1'"),
    ({"statistics": {"luminosities_ifb": []}}, "'statistics.luminosities_ifb'"),
    ({"statistics": {"background_uncertainty": {"pessimistic": "20%"}}}, "background_uncertainty.pessimistic"),
    ({"training": {"regions": {"low": [0]}}}, "'training.regions.low'"),
    ({"training": {"split": [0.8, 0.2]}}, "'training.split'"),
    ({"training": {"nn": {"epochs": 2.5}}}, "'training.nn.epochs'"),
    ({"training": {"nn": {"hidden_layers": 50}}}, "'training.nn.hidden_layers'"),
    ({"training": {"nn": {"device": "tpu"}}}, "'training.nn.device'"),
    ({"analyses": {"smuon": {"enabled": "yes"}}}, "'analyses.smuon.enabled'"),
    ({"analyses": {"smuon": {"cut_overrides": {"mt2_cut": 60}}}}, "analyses.smuon.cut_overrides.mt2_cut"),
    ({"plots": {"formats": ["jpg"]}}, "'plots.formats.0'"),
])
def test_wrong_types_name_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config, SCHEMA)


@pytest.mark.parametrize("mass", [float("nan"), -100.0, 0.0, 1300.0001])
def test_xsec_lookup_refuses_masses_outside_the_table(mass: float) -> None:
    with pytest.raises(CrossSectionRangeError, match=r"pp13_slep_R_NLO\+NLL_PDF4LHC\.json"):
        xsec.lookup(SLEP_R, mass)


def test_xsec_lookup_accepts_the_table_edges() -> None:
    table = xsec.load_table(SLEP_R)
    for index in (0, -1):
        value, unc = xsec.lookup(SLEP_R, float(table.masses[index]))
        assert value == pytest.approx(float(table.xsec_pb[index]), rel=1e-9) and unc > 0


# --- the same mistakes met through snakemake (parse time, nothing runs) --------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("cfg")
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, work / sub)
    shutil.copytree(REPO / "tests/workflow/tiny", work / "tiny")
    return work


def _dry_run(work: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", "tiny/config.yaml", "--cores", "1", "--dry-run", *args]
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)


def test_snakemake_refuses_wrong_type_from_command_line(workdir: Path) -> None:
    proc = _dry_run(workdir, "--config", "seed=not_a_number")
    assert proc.returncode != 0
    assert "'seed'" in proc.stdout + proc.stderr and "integer" in proc.stdout + proc.stderr
    assert not (workdir / "results").exists()


def test_snakemake_refuses_unknown_process_and_out_of_table_mass(workdir: Path) -> None:
    """A typo in a process name and a grid point beyond the NLO table both fail before any job runs."""
    (workdir / "tiny/bad_samples.tsv").write_text(
        (workdir / "tiny/samples.tsv").read_text().replace("ww_mumu", "ww_mumuu"))
    (workdir / "tiny/bad_grid.tsv").write_text((workdir / "tiny/grid.tsv").read_text() + "5000\t0\tno\t300\t1\n")
    proc = _dry_run(workdir, "--config", "samples=tiny/bad_samples.tsv")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "UnknownSampleError" in out and "'ww'" in out and "ww_mumuu" in out
    proc = _dry_run(workdir, "--config", "grids={'smuon': 'tiny/bad_grid.tsv'}")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "CrossSectionRangeError" in out and "smuon_5000_0" in out
    assert not (workdir / "results").exists()


def test_snakemake_names_an_unknown_sample_in_a_target(workdir: Path) -> None:
    proc = _dry_run(workdir, "results/tiny/analysis/smuon/features/smuon_999_0.csv.gz")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "UnknownSampleError" in out and "'smuon_999_0'" in out and "smuon_300_100" in out
