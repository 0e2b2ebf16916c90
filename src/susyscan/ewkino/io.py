"""Atomic writers (temp name in the target folder, then os.replace)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def write_atomic(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` then move the temp file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(data: Any, path: str | Path) -> None:
    """Write JSON (indented, sorted keys kept in insertion order)."""
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"))


def write_text_atomic(text: str, path: str | Path) -> None:
    """Write a text file."""
    write_atomic(path, lambda tmp: tmp.write_text(text))


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV without index."""
    write_atomic(path, lambda tmp: df.to_csv(tmp, index=False, float_format="%.9g"))


def write_npz_atomic(arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Write a compressed .npz (the temp file keeps the .npz suffix numpy expects)."""

    def _write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    write_atomic(path, _write)
