"""One dataset container for the shared dataset stage: per-event columns plus named fixed-width array blocks.

An :class:`EventTable` holds, for N events,

- ``columns``: 1-D per-event arrays (event ids ``sample``/``chunk``/``event``, weights, scalar features, flags),
- ``blocks``: named arrays ``[N, *shape]`` of a fixed per-event shape (e.g. a flat feature block ``[N, F]`` or a
  padded particle-flow block ``[N, M, C]``), each with the names of its last axis in ``fields``,
- ``metadata``: a JSON object (feature names, thresholds, budgets, the chunk header, ...).

Two formats sit behind :func:`write_table` / :func:`read_table`, chosen by the file name:

- ``.npz`` (numpy's zip of ``.npy`` members, compressed): members ``column/<name>`` and ``block/<name>``, plus
  ``__table__``, a JSON header with the format name and version, N, each member's dtype and per-event shape, the
  block field names and ``metadata``. Reading checks every declared member against the header (presence, dtype
  kind, length, shape) and names the file and the member at fault. Members load lazily, so reading a few columns
  of a file (``read_table(path, columns=[...], blocks=[])``) does not decompress its blocks.
- ``.csv`` / ``.csv.gz``: columns only (no blocks, no metadata: writing either is an error), the format of the
  smuon feature tables that users read (``results/analysis/<analysis>/features/<sample>.csv.gz``); gzip output
  is byte-reproducible (``susyscan.atomic.write_csv_atomic``).

Why ``.npz`` and not a flat table: ewkino's padded PF block is 2107 columns per event at 1 GeV; as ``.csv.gz`` it
takes ~21x as long to write as this container (4.5 s against 0.21 s for 1561 events) and ~3.5x the 1.3 s CPU of
the whole inputs job (measured earlier on a similar chunk), with 1.5x the size (``benchmarks/ewkino_blocks_vs_csv.py``,
docs/architecture.md). Parquet
(pyarrow) would need a new dependency for what numpy already does; the ``.npz`` is written atomically through an
open handle (numpy appends ``.npz`` to a bare temporary name).
"""

from __future__ import annotations

import json
import logging
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.atomic import atomic_path, write_csv_atomic
from susyscan.errors import EventFileError, FeatureError

logger = logging.getLogger(__name__)

FORMAT = "susyscan.event_table"
FORMAT_VERSION = 1
HEADER = "__table__"
COLUMN_PREFIX = "column/"
BLOCK_PREFIX = "block/"
CSV_SUFFIXES = (".csv", ".csv.gz")


def _storable(values: np.ndarray, where: str) -> np.ndarray:
    """``values`` as stored in an .npz: object (string) arrays become fixed-width unicode (no pickling). An object
    array must hold strings only: ``astype(str)`` would store a None or NaN (a missing value in pandas) as the text
    "None" / "nan", read back as a valid string, so any other element is a FeatureError naming ``where`` (missing
    values belong in a float column as NaN, or must be filled explicitly before writing)."""
    if values.dtype != object:
        return values
    is_text = np.fromiter((isinstance(v, str) for v in values.ravel()), dtype=bool, count=values.size)
    if not is_text.all():
        first = values.ravel()[~is_text][0]
        raise FeatureError(f"{where}: {int((~is_text).sum())} entries of an object (string) column are not strings "
                           f"(first {first!r}); an .npz stores strings only")
    return values.astype(str)


@dataclass
class EventTable:
    """Per-event ``columns`` (1-D) and ``blocks`` (``[N, *shape]``, last-axis names in ``fields``) and ``metadata``.

    Every column and block has the same length N; a block's ``fields`` (if given) has one name per entry of its last
    axis. String columns may be object arrays in memory (as pandas gives them); the .npz stores them as fixed-width
    unicode. Violations raise FeatureError naming the column or block (``source`` in the message, e.g. the file).
    """

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    blocks: dict[str, np.ndarray] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = "event table"

    def __post_init__(self) -> None:
        self.columns = {str(k): np.asarray(v) for k, v in self.columns.items()}
        self.blocks = {str(k): np.asarray(v) for k, v in self.blocks.items()}
        self.fields = {str(k): [str(x) for x in v] for k, v in self.fields.items()}
        lengths = {f"column {k!r}": len(v) for k, v in self.columns.items()}
        lengths.update({f"block {k!r}": len(v) for k, v in self.blocks.items()})
        for name, values in self.columns.items():
            if values.ndim != 1:
                raise FeatureError(f"{self.source}: column {name!r} has shape {values.shape}, not one value per event")
        for name, values in self.blocks.items():
            if values.ndim < 2:
                raise FeatureError(f"{self.source}: block {name!r} has shape {values.shape}, not [N, ...]")
            if values.dtype == object:
                raise FeatureError(f"{self.source}: block {name!r} has dtype object (numeric blocks only)")
        if len(set(lengths.values())) > 1:
            raise FeatureError(f"{self.source}: columns and blocks differ in length: {lengths}")
        for name, names in self.fields.items():
            if name not in self.blocks:
                raise FeatureError(f"{self.source}: field names given for block {name!r}, which is not in the table")
            if len(names) != self.blocks[name].shape[-1]:
                raise FeatureError(f"{self.source}: block {name!r} has {self.blocks[name].shape[-1]} entries on its "
                                   f"last axis but {len(names)} field names")

    def __len__(self) -> int:
        for values in (*self.columns.values(), *self.blocks.values()):
            return len(values)
        return 0

    def frame(self) -> pd.DataFrame:
        """The columns as a DataFrame (blocks are not flattened into it)."""
        return pd.DataFrame(self.columns)

    def subset(self, index: np.ndarray) -> EventTable:
        """Events ``index`` (bool mask or integer indices), same fields and metadata."""
        return EventTable({k: v[index] for k, v in self.columns.items()}, {k: v[index] for k, v in self.blocks.items()},
                          dict(self.fields), dict(self.metadata), self.source)

    def header(self) -> dict[str, Any]:
        """The JSON header of the ``.npz`` format: what each member must be."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "n_events": len(self),
            "columns": {k: _storable(v, f"{self.source}: column {k!r}").dtype.str for k, v in self.columns.items()},
            "blocks": {k: {"dtype": v.dtype.str, "shape": list(v.shape[1:]), "fields": self.fields.get(k)}
                       for k, v in self.blocks.items()},
            "metadata": self.metadata,
        }


def _is_csv(path: Path) -> bool:
    return path.name.endswith(CSV_SUFFIXES)


def write_table(table: EventTable, path: str | Path) -> None:
    """Write ``table`` atomically: ``.npz`` (columns, blocks, metadata) or ``.csv[.gz]`` (columns only)."""
    path = Path(path)
    if _is_csv(path):
        dropped = [f"block {k!r}" for k in table.blocks] + (["metadata"] if table.metadata else [])
        if dropped:
            raise FeatureError(f"{path}: a CSV table holds columns only, not {dropped} (write an .npz)")
        write_csv_atomic(table.frame(), path)
        return
    if path.suffix != ".npz":
        raise FeatureError(f"{path}: unknown event-table format (expected .npz, .csv or .csv.gz)")
    columns = {COLUMN_PREFIX + k: _storable(v, f"{path}: column {k!r}") for k, v in table.columns.items()}
    members: dict[str, np.ndarray] = {HEADER: np.array(json.dumps(table.header())), **columns}
    members.update({BLOCK_PREFIX + k: v for k, v in table.blocks.items()})
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **members)  # type: ignore[arg-type]  # numpy's stub types **kwds badly


def _selected(declared: Iterable[str], wanted: Sequence[str] | None, path: Path, kind: str) -> list[str]:
    declared = list(declared)
    if wanted is None:
        return declared
    missing = [name for name in wanted if name not in declared]
    if missing:
        raise FeatureError(f"{path}: no {kind} {missing} (it holds {declared})")
    return list(wanted)


def _member(data: Any, key: str, path: Path) -> np.ndarray:
    if key not in data.files:
        raise EventFileError(f"{path}: member {key!r} declared in the header is missing (truncated or foreign file)")
    try:
        return np.asarray(data[key])
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise EventFileError(f"{path}: cannot read member {key!r} ({type(exc).__name__}: {exc})") from exc


def _check_member(values: np.ndarray, key: str, dtype: str, shape: list[int], n_events: int, path: Path) -> None:
    if np.dtype(dtype).kind != values.dtype.kind or (values.dtype.kind != "U" and np.dtype(dtype) != values.dtype):
        raise FeatureError(f"{path}: member {key!r} has dtype {values.dtype.str}, the header says {dtype}")
    if values.shape != (n_events, *shape):
        raise FeatureError(f"{path}: member {key!r} has shape {values.shape}, the header says "
                           f"{(n_events, *shape)}")


def _read_npz(path: Path, columns: Sequence[str] | None, blocks: Sequence[str] | None) -> EventTable:
    # an open handle of ours: np.load(path) leaks its handle when the zip directory is unreadable
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise EventFileError(f"{path}: cannot open the event table ({exc})") from exc
    with handle:
        try:
            data = np.load(handle, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise EventFileError(f"{path}: cannot open as an .npz event table ({type(exc).__name__}: {exc})") from exc
        with data:
            return _table_from_npz(data, path, columns, blocks)


def _table_from_npz(data: Any, path: Path, columns: Sequence[str] | None, blocks: Sequence[str] | None) -> EventTable:
    if HEADER not in data.files:
        raise EventFileError(f"{path}: no {HEADER!r} header: not a {FORMAT} file (written by an older version: "
                             "rerun the rule that writes it)")
    try:
        header = json.loads(str(_member(data, HEADER, path)))
    except json.JSONDecodeError as exc:
        raise EventFileError(f"{path}: header {HEADER!r} is not valid JSON ({exc})") from exc
    if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
        raise EventFileError(f"{path}: format {header.get('format')!r} version {header.get('version')!r}, "
                             f"expected {FORMAT!r} version {FORMAT_VERSION}")
    n_events = int(header["n_events"])
    out_columns = {}
    for name in _selected(header["columns"], columns, path, "column(s)"):
        values = _member(data, COLUMN_PREFIX + name, path)
        _check_member(values, COLUMN_PREFIX + name, header["columns"][name], [], n_events, path)
        out_columns[name] = values
    out_blocks, out_fields = {}, {}
    for name in _selected(header["blocks"], blocks, path, "block(s)"):
        spec = header["blocks"][name]
        values = _member(data, BLOCK_PREFIX + name, path)
        _check_member(values, BLOCK_PREFIX + name, spec["dtype"], list(spec["shape"]), n_events, path)
        out_blocks[name] = values
        if spec.get("fields") is not None:
            out_fields[name] = list(spec["fields"])
    return EventTable(out_columns, out_blocks, out_fields, dict(header.get("metadata") or {}), str(path))


def read_csv_frame(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` / ``.csv.gz`` event table as the DataFrame pandas reads (no copy into an :class:`EventTable`: what
    a caller that wants the frame reads); an unreadable file, or one of another format, is an EventFileError naming
    it."""
    if not _is_csv(Path(path)):
        raise EventFileError(f"{path}: not a CSV event table (expected .csv or .csv.gz)")
    try:
        return pd.read_csv(path)
    except (OSError, EOFError, ValueError, zlib.error) as exc:  # truncated/corrupt gzip, bad CSV
        raise EventFileError(f"{path}: cannot read as a CSV table ({type(exc).__name__}: {exc})") from exc


def _read_csv(path: Path, columns: Sequence[str] | None, blocks: Sequence[str] | None) -> EventTable:
    if blocks:
        raise FeatureError(f"{path}: a CSV table holds no blocks (asked for {list(blocks)})")
    frame = read_csv_frame(path)
    names = _selected(frame.columns, columns, path, "column(s)")
    return EventTable({name: frame[name].to_numpy() for name in names}, source=str(path))


def read_table(path: str | Path, columns: Sequence[str] | None = None, blocks: Sequence[str] | None = None) -> EventTable:
    """Read a table written by :func:`write_table` (format by file name); ``columns`` / ``blocks`` select members
    (None: all). A missing, truncated or mismatched member raises EventFileError / FeatureError naming the file and
    the member."""
    path = Path(path)
    if _is_csv(path):
        return _read_csv(path, columns, blocks)
    if path.suffix != ".npz":
        raise EventFileError(f"{path}: unknown event-table format (expected .npz, .csv or .csv.gz)")
    return _read_npz(path, columns, blocks)


def concat_tables(tables: Sequence[EventTable], same_metadata: Sequence[str] = ()) -> EventTable:
    """Concatenate tables along events. All must hold the same columns and blocks (same per-event shapes and field
    names), and equal values of the ``same_metadata`` keys; the result carries the first table's metadata."""
    if not tables:
        raise FeatureError("no event tables to concatenate")
    first = tables[0]
    for table in tables[1:]:
        for kind, mine, theirs in (("columns", table.columns, first.columns), ("blocks", table.blocks, first.blocks)):
            if list(mine) != list(theirs):
                raise FeatureError(f"{table.source}: {kind} {list(mine)} differ from {first.source} ({list(theirs)})")
        for name, values in table.blocks.items():
            if values.shape[1:] != first.blocks[name].shape[1:]:
                raise FeatureError(f"{table.source}: block {name!r} has per-event shape {values.shape[1:]}, "
                                   f"{first.source} {first.blocks[name].shape[1:]}")
        if table.fields != first.fields:
            raise FeatureError(f"{table.source}: block field names differ from {first.source}")
        for key in same_metadata:
            if table.metadata.get(key) != first.metadata.get(key):
                raise FeatureError(f"{table.source}: {key}={table.metadata.get(key)!r} differs from {first.source} "
                                   f"({first.metadata.get(key)!r})")
    return EventTable({k: np.concatenate([t.columns[k] for t in tables]) for k in first.columns},
                      {k: np.concatenate([t.blocks[k] for t in tables]) for k in first.blocks},
                      dict(first.fields), dict(first.metadata), first.source if len(tables) == 1 else "event tables")

