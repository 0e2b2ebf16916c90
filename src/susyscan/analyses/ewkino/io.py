"""Atomic writers of the ewkino stage, on top of the shared :mod:`susyscan.atomic` helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan import atomic
from susyscan.atomic import write_text_atomic

__all__ = ["write_atomic", "write_csv_atomic", "write_json_atomic", "write_npz_atomic", "write_text_atomic"]


def write_atomic(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` then move the temp file onto ``path``."""
    with atomic.atomic_path(path) as tmp:
        writer(tmp)


def write_json_atomic(data: Any, path: str | Path) -> None:
    """Write indented JSON (keys in insertion order)."""
    write_text_atomic(json.dumps(data, indent=2) + "\n", path)


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV without index (floats to 9 significant digits)."""
    atomic.write_csv_atomic(df, path, float_format="%.9g")


def write_npz_atomic(arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Write a compressed .npz through an open handle (numpy would append .npz to a bare name)."""

    def _write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]

    write_atomic(path, _write)
