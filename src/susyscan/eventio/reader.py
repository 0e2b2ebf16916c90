"""Read and check the reconstructed event ROOT file; every failure is an EventFileError naming the file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

import awkward as ak
import uproot

from susyscan.errors import EventFileError
import numpy as np

from susyscan.eventio.schema import ALT_WEIGHT_METADATA_KEY, ALT_WEIGHT_PREFIX, BRANCHES, METADATA_KEY, OPTIONAL_SCALARS, TREE_NAME

logger = logging.getLogger(__name__)


def _open(path: Path) -> Any:
    """Open the ROOT file or raise EventFileError (missing, truncated, not ROOT)."""
    if not path.is_file():
        raise EventFileError(f"event file {path}: not found")
    try:
        handle = uproot.open(path)
    except Exception as exc:  # uproot raises many types for corrupt input
        raise EventFileError(f"event file {path}: cannot open as ROOT (corrupt or truncated?): {exc}") from exc
    check_not_truncated(handle, path)
    return handle


def check_not_truncated(handle: Any, path: Path) -> None:
    """The ROOT header records the end of the file (fEND); a shorter file was cut off."""
    expected = int(getattr(handle.file, "fEND", 0))
    size = path.stat().st_size
    if size < expected:
        handle.close()
        raise EventFileError(f"event file {path}: truncated ({size} bytes, header says {expected})")


def list_keys(handle: Any, where: str) -> list[str]:
    """Keys of an open ROOT file; EventFileError naming ``where`` (e.g. "event file x.root") if unreadable."""
    try:
        return list(handle.keys(cycle=False))
    except Exception as exc:
        raise EventFileError(f"{where}: cannot list keys (corrupt or truncated?): {exc}") from exc


def _tree(handle: Any, path: Path) -> Any:
    """The ``events`` TTree or EventFileError."""
    keys = list_keys(handle, f"event file {path}")
    if TREE_NAME not in keys:
        raise EventFileError(f"event file {path}: no TTree {TREE_NAME!r} (keys: {keys})")
    try:
        return handle[TREE_NAME]
    except Exception as exc:
        raise EventFileError(f"event file {path}: cannot read TTree {TREE_NAME!r}: {exc}") from exc


def required_branches_check(path: str | Path, required: Sequence[str] = BRANCHES) -> None:
    """Raise EventFileError naming the file and the first missing branches if any of ``required`` is absent."""
    path = Path(path)
    with _open(path) as handle:
        present = set(_tree(handle, path).keys())
    missing = [b for b in required if b not in present]
    if missing:
        raise EventFileError(f"event file {path}: missing branch(es) {missing} in TTree {TREE_NAME!r}")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata of an event file."""
    path = Path(path)
    with _open(path) as handle:
        return _metadata(handle, path)


def _metadata(handle: Any, path: Path) -> dict[str, Any]:
    keys = list_keys(handle, f"event file {path}")
    if METADATA_KEY not in keys:
        raise EventFileError(f"event file {path}: no {METADATA_KEY!r} TObjString")
    try:
        meta = json.loads(str(handle[METADATA_KEY]))
    except Exception as exc:
        raise EventFileError(f"event file {path}: unreadable {METADATA_KEY!r} JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise EventFileError(f"event file {path}: {METADATA_KEY!r} is not a JSON object")
    return meta


def read_events(path: str | Path, branches: Sequence[str] | None = None) -> tuple[ak.Array, dict[str, Any]]:
    """Read ``branches`` (default: all contract branches and the optional scalars the file has) and the metadata
    of an event file."""
    path = Path(path)
    wanted = list(branches) if branches is not None else list(BRANCHES)
    with _open(path) as handle:
        tree = _tree(handle, path)
        present = set(tree.keys())
        if branches is None:
            wanted += [name for name in OPTIONAL_SCALARS if name in present]
        missing = [b for b in wanted if b not in present]
        if missing:
            raise EventFileError(f"event file {path}: missing branch(es) {missing} in TTree {TREE_NAME!r}")
        meta = _metadata(handle, path)
        try:
            arrays = tree.arrays(wanted, library="ak")
        except Exception as exc:
            raise EventFileError(f"event file {path}: cannot read branches (corrupt or truncated?): {exc}") from exc
    if "n_events" in meta and len(arrays) != meta["n_events"]:
        raise EventFileError(f"event file {path}: {len(arrays)} entries but metadata n_events={meta['n_events']}")
    logger.debug("read %d events, %d branches from %s", len(arrays), len(wanted), path)
    return arrays, meta


def read_alt_weights(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The per-event alternative-weight branches (``altw_*``, named by the metadata's ``alt_weight_columns``) and
    the metadata of an event file; an empty dict for a file without them. EventFileError naming the file and the
    columns when a described branch is missing."""
    path = Path(path)
    with _open(path) as handle:
        tree = _tree(handle, path)
        meta = _metadata(handle, path)
        declared = [str(c["column"]) for c in meta.get(ALT_WEIGHT_METADATA_KEY) or []]
        present = {b for b in tree.keys() if b.startswith(ALT_WEIGHT_PREFIX)}
        missing = [c for c in declared if c not in present]
        if missing:
            raise EventFileError(f"event file {path}: alternative-weight branch(es) {missing} of the metadata's "
                                 f"{ALT_WEIGHT_METADATA_KEY} are missing")
        try:
            arrays = tree.arrays(declared, library="np") if declared else {}
        except Exception as exc:
            raise EventFileError(f"event file {path}: cannot read alternative-weight branches: {exc}") from exc
    return {name: np.asarray(arrays[name], dtype=np.float64) for name in declared}, meta
