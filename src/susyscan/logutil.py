"""Logging set-up shared by the Snakemake scripts and the CLI."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

log = logging.getLogger("susyscan")


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


def log_uncaught(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` of the scripts: the error that ends the job goes through logging, so it reaches the
    rule's log file (and stderr) as ``job failed: <Type>: <message>`` followed by the traceback.

    Ctrl-C keeps Python's default report.
    """
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.error("job failed: %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
    logging.shutdown()  # flush and close the log file before the interpreter exits with status 1


def script_logging(snakemake: object) -> None:
    """Set up logging for a Snakemake ``script:`` from its ``log`` directive (first entry), and send an uncaught
    exception there too (:func:`log_uncaught`), so the log Snakemake points to on failure holds the error."""
    logs = list(getattr(snakemake, "log", []))
    setup_logging(logs[0] if logs else None)
    sys.excepthook = log_uncaught
