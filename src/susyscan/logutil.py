"""Logging set-up shared by the Snakemake scripts and the CLI."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(log_path: str | Path | None = None, level: int = logging.INFO) -> None:
    """Send package logs to stderr and, when given, to ``log_path`` (the rule's ``log:`` file).

    Also redirects warnings to the log so recorded physics warnings are never lost.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=level, format=_FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)


def script_logging(snakemake: object) -> None:
    """Set up logging for a Snakemake ``script:`` from its ``log`` directive (first entry)."""
    logs = list(getattr(snakemake, "log", []))
    setup_logging(logs[0] if logs else None)
