"""Atomic file writing shared by every stage: a temporary name in the target folder, then ``os.replace``.

An interrupted or failing writer leaves neither the output nor its temporary behind, so a killed job
never leaves a file that looks complete.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (same suffix); move it into place only on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.stem}.tmp{os.getpid()}{final.suffix}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(text: str, path: str | Path) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes_atomic(data: bytes, path: str | Path) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(obj: Any, path: str | Path, **dumps_kwargs: Any) -> None:
    """Write ``obj`` as JSON atomically (``dumps_kwargs`` go to ``json.dumps``, default indent 1)."""
    dumps_kwargs.setdefault("indent", 1)
    write_text_atomic(json.dumps(obj, **dumps_kwargs), path)


def write_csv_atomic(df: pd.DataFrame, path: str | Path, **to_csv_kwargs: Any) -> None:
    """Write ``df`` as CSV atomically (no index); a ``.gz`` name is gzip-compressed.

    Gzip output carries neither a timestamp nor a file name in its header, so the same table gives
    byte-identical files (reproducible runs compare equal).
    """
    to_csv_kwargs.setdefault("index", False)
    text = df.to_csv(**to_csv_kwargs)
    if str(path).endswith(".gz"):
        write_bytes_atomic(gzip.compress(text.encode(), mtime=0), path)
    else:
        write_text_atomic(text, path)
