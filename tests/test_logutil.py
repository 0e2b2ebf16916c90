"""An uncaught exception in a Snakemake script lands in the rule's log file, with its message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_SCRIPT = """
import logging, types
from susyscan.errors import ConfigError
from susyscan.logutil import script_logging

snakemake = types.SimpleNamespace(log=[{log!r}])
script_logging(snakemake)
logging.getLogger("susyscan.test").info("started")
raise {error}
"""


def _run(tmp_path: Path, error: str) -> tuple[subprocess.CompletedProcess, str]:
    log = tmp_path / "logs" / "rule" / "job.log"
    proc = subprocess.run([sys.executable, "-c", _SCRIPT.format(log=str(log), error=error)], capture_output=True,
                          text=True, timeout=120)
    return proc, log.read_text()


def test_uncaught_error_is_written_to_the_rule_log(tmp_path: Path) -> None:
    proc, text = _run(tmp_path, "ConfigError(\"cut 'mt2_cutt' is not in analysis smuon\")")
    assert proc.returncode == 1
    assert "started" in text
    assert "job failed: ConfigError: cut 'mt2_cutt' is not in analysis smuon" in text
    assert "Traceback" in text  # where it happened, after the message
    # stderr carries it once (through logging), not a second time from Python's default hook
    assert proc.stderr.count("mt2_cutt") == 2  # the message line and the traceback's last line


def test_unexpected_exception_is_logged_too(tmp_path: Path) -> None:
    proc, text = _run(tmp_path, "ZeroDivisionError('division by zero in the test')")
    assert proc.returncode == 1
    assert "job failed: ZeroDivisionError: division by zero in the test" in text


def test_every_script_sets_up_its_rule_log() -> None:
    """The hook is installed by script_logging(snakemake): every Snakemake script must call it first thing."""
    for script in sorted((REPO / "scripts").glob("*.py")):
        assert re.search(r"^script_logging\(snakemake\)", script.read_text(), re.MULTILINE), \
            f"{script.name} does not call script_logging(snakemake)"
