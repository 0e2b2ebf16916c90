"""File helpers: the event-file reader adapter and atomic writers (temp name, then os.replace)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import awkward as ak
import pandas as pd

from susyscan.atomic import write_csv_atomic, write_text_atomic
from susyscan.errors import EventFileError

logger = logging.getLogger(__name__)

"""Deterministic gzip (no timestamp in the header), so reruns give byte-identical files."""


def read_event_file(path: str | Path) -> tuple[ak.Array, dict[str, Any]]:
    """Read a reconstructed event file: ``susyscan.eventio.read_events`` when available,
    else uproot directly (tree ``events``, JSON ``metadata`` TObjString)."""
    path = Path(path)
    try:
        from susyscan.eventio import read_events
    except ImportError:
        read_events = None  # type: ignore[assignment]
    if read_events is not None:
        return read_events(path)
    import uproot

    if not path.is_file():
        raise EventFileError(f"event file {path} does not exist")
    try:
        with uproot.open(path) as root_file:
            events = root_file["events"].arrays()
            metadata = json.loads(str(root_file["metadata"]))
    except (OSError, KeyError, ValueError) as exc:
        raise EventFileError(f"event file {path}: cannot read tree 'events' / key 'metadata': {exc}") from exc
    return events, metadata


def write_csv_gz_atomic(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as gzip CSV (float format %.9g, no index) atomically and reproducibly."""
    write_csv_atomic(df, path, float_format="%.9g")


def write_json_atomic(data: Any, path: str | Path) -> None:
    """Write ``data`` as indented JSON atomically."""
    write_text_atomic(json.dumps(data, indent=2, sort_keys=False) + "\n", path)
