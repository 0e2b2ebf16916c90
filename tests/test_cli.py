"""The assembled ``susyscan`` CLI: every step of issue 'CLI' is present and every command has --help."""

from __future__ import annotations

import click
from click.testing import CliRunner

from susyscan.cli import main


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, cmd in group.commands.items():
        paths.append((*prefix, name))
        if isinstance(cmd, click.Group):
            paths += _walk(cmd, (*prefix, name))
    return paths


def test_expected_steps_exist() -> None:
    paths = {" ".join(p) for p in _walk(main)}
    for step in ("generate generate", "ingest file", "analysis select", "training train-nn", "training export",
                 "scan point", "stats limits", "stats contours"):
        assert step in paths, f"missing CLI step '{step}'"


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in _walk(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, f"susyscan {' '.join(path)} --help failed: {result.output}"
        assert "Usage:" in result.output
