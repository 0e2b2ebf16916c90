"""The click command group."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from susyscan.analysis.cli import analysis


@pytest.mark.parametrize("command", [[], ["select"], ["merge"], ["cutflow"]])
def test_help(command: list[str]) -> None:
    result = CliRunner().invoke(analysis, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
