"""CLI user errors are one ``Error: ...`` line with a non-zero exit and no traceback; CLI defaults are the workflow's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from susyscan.cli import main
from susyscan.cliutil import WORKFLOW_SEED

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "src/susyscan/schemas/config.schema.yaml").read_text())


def _run(*args: str) -> subprocess.CompletedProcess:
    """The installed entry point's module in a new interpreter (what a user's shell sees)."""
    return subprocess.run([sys.executable, "-m", "susyscan.cli", *args], capture_output=True, text=True, timeout=300)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error: ")]


def test_bad_input_file_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "random.hepmc"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    proc = _run("ingest", "file", "--input", str(bad), "--out", str(tmp_path / "out.root"), "--sample", "mine")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (line,) = _error_lines(proc.stderr)
    assert "random.hepmc: not a HepMC file" in line and "'mine'" in line


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_value_outside_table_is_one_error_line(tmp_path: Path) -> None:
    result = _invoke("generate", "generate", "--sample", "x", "--process", "smuon_R", "--mass", "m_smuon=5000",
                     "--mass", "m_neutralino=0", "--n-events", "10", "--out", str(tmp_path / "x.root"))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (line,) = _error_lines(result.stderr)
    assert "5000" in line and "outside the range" in line


def test_missing_file_is_one_error_line(tmp_path: Path) -> None:
    result = _invoke("ingest", "inspect", str(tmp_path / "nothing.root"))
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert len(_error_lines(result.stderr)) == 1 and "nothing.root" in result.stderr


def test_verbose_keeps_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "random.hepmc"
    bad.write_bytes(b"\x00\x01" * 100)
    result = _invoke("-v", "ingest", "file", "--input", str(bad), "--out", str(tmp_path / "o.root"), "--sample", "m")
    assert result.exit_code != 0 and type(result.exception).__name__ == "EventFileError"


def test_usage_error_exits_non_zero_without_traceback() -> None:
    result = _invoke("generate", "generate", "--sample", "x", "--process", "no_such_process", "--out", "x.root")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(_error_lines(result.stderr)) == 1


# --- defaults ----------------------------------------------------------------------------------------------------


def _options(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _options(cmd, (*prefix, name))
        else:
            for param in cmd.params:
                if isinstance(param, click.Option):
                    yield " ".join((*prefix, name)), param


# CLI option name -> schema default it must equal (the value the workflow passes for it)
WORKFLOW_DEFAULTS = {
    "seed": SCHEMA["properties"]["seed"]["default"],
    "sqrt_s": SCHEMA["properties"]["sqrt_s_gev"]["default"],
    "pthat_min": SCHEMA["properties"]["generation"]["properties"]["pthat_min_gev"]["default"],
    "large_jet_radius": SCHEMA["properties"]["detector"]["properties"]["large_jet_radius"]["default"],
    "pfcand_pt_min": SCHEMA["properties"]["detector"]["properties"]["pfcand_pt_min"]["default"],
}
# commands whose --seed is another seed than the global one, with the schema default it must equal
OTHER_SEEDS = {"recast limits": 1}  # recast.pseudo_data.seed (src/susyscan/schemas/recast.schema.yaml)


def test_workflow_seed_constant_is_the_schema_default() -> None:
    assert WORKFLOW_SEED == SCHEMA["properties"]["seed"]["default"]


def test_cli_defaults_match_the_workflow() -> None:
    checked = []
    for command, option in _options(main):
        if option.name not in WORKFLOW_DEFAULTS or option.required:  # a required option has no default to compare
            continue
        expected = OTHER_SEEDS.get(command, WORKFLOW_DEFAULTS[option.name]) if option.name == "seed" \
            else WORKFLOW_DEFAULTS[option.name]
        assert option.default == pytest.approx(expected), f"susyscan {command} --{option.name}: {option.default}"
        checked.append(f"{command} --{option.name}")
    # the steps the workflow runs are among them
    for step in ("generate generate --seed", "ingest file --seed",
                 "training prepare --seed", "training train-nn --seed", "generate generate --sqrt_s"):
        assert step in checked, checked


PROPS = SCHEMA["properties"]
# (command, option) -> schema default of the config key the workflow passes for it
STEP_DEFAULTS = {
    ("training prepare", "split"): SCHEMA["$defs"]["training"]["properties"]["split"]["default"],
    ("training prepare", "lumi_fb"): SCHEMA["$defs"]["training"]["properties"]["luminosity_ifb"]["default"],
    ("scan point", "batch_size"): PROPS["scan"]["properties"]["batch_size"]["default"],
    ("scan background", "batch_size"): PROPS["scan"]["properties"]["batch_size"]["default"],
    ("stats limits", "lumis"): PROPS["statistics"]["properties"]["luminosities_ifb"]["default"],
    ("stats limits", "modifier"): PROPS["statistics"]["properties"]["background_modifier"]["default"],
    ("analysis cutflow", "lumi_ifb"): SCHEMA["$defs"]["analysis"]["properties"]["cutflow_luminosity_ifb"]["default"],
    **{(command, "score_threshold"): PROPS["scan"]["properties"]["score_threshold"]["default"]
       for command in ("training train-nn", "training train-bdt", "training export", "training performance",
                       "training out-of-fold")},
}


def test_step_defaults_match_the_schema() -> None:
    options = {(command, option.name): option.default for command, option in _options(main)}
    for key, expected in STEP_DEFAULTS.items():
        assert key in options, f"susyscan {key[0]} has no option {key[1]}"
        value = options[key]
        if isinstance(value, str) and value.startswith("["):  # JSON-valued options, e.g. --split
            value = json.loads(value)
        if isinstance(expected, list):
            assert list(value) == pytest.approx(expected), key
        elif isinstance(expected, float):
            assert value == pytest.approx(expected), key
        else:
            assert value == expected, key
    scenarios = dict(item.split("=") for item in options[("stats limits", "scenarios")])
    expected = PROPS["statistics"]["properties"]["background_uncertainty"]["default"]
    assert {k: float(v) for k, v in scenarios.items()} == expected


def test_help_shows_the_workflow_seed() -> None:
    result = CliRunner().invoke(main, ["generate", "generate", "--help"])
    assert f"[default: {WORKFLOW_SEED}]" in result.output
