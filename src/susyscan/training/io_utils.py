"""Atomic file writing helpers shared by the training stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from susyscan.atomic import atomic_path

__all__ = ["atomic_path", "read_json", "write_json"]


def write_json(path: str | Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text())
