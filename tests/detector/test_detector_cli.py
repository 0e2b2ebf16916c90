"""click commands of the detector stage."""

from __future__ import annotations

from click.testing import CliRunner

from susyscan.detector.cli import detector


def test_card_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(detector, ["card"])
    assert result.exit_code == 0 and "jet R=0.4" in result.output
    for command in ("simulate", "card"):
        assert runner.invoke(detector, [command, "--help"]).exit_code == 0
