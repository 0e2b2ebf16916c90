"""Ewkino's per-chunk inputs in the shared event-table container (.npz) vs bare .npz vs one flat .csv.gz table.

Run: python benchmarks/ewkino_blocks_vs_csv.py RESULTS/analysis/ewkino/inputs/pt1/znunu_jets/chunk0.npz [...]
     [--tile K]   (repeat each file's events K times: a larger chunk from a small run's file)

The shared dataset stage's smuon tables are CSV, one row per event; ewkino's padded PF block there would be one
column per (slot, feature). Per file: the events N, the block shape (M slots x C features), the flat column count;
the container (``susyscan.training.eventtable``: the inputs format since format 3) size, write and read time; the
same arrays written with a bare ``np.savez_compressed`` (what inputs format 2 did, without header or id columns);
and the flat ``.csv.gz`` size, write and read time (pandas, floats to 9 significant digits, as the feature tables).
Not in ``run_all.py``: it needs the inputs of an ewkino run (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.training.eventtable import EventTable, read_table, write_table


def _timed(action):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def compare(path: Path, tile: int = 1) -> dict[str, float]:
    """Sizes (MB) and times (s) of one inputs file as container .npz, bare .npz and flat .csv.gz."""
    table = read_table(path)
    if tile > 1:
        table = EventTable({k: np.tile(v, tile) for k, v in table.columns.items()},
                           {k: np.tile(v, (tile,) + (1,) * (v.ndim - 1)) for k, v in table.blocks.items()},
                           table.fields, table.metadata)
    highlevel, pfcands = table.blocks["highlevel"], table.blocks["pfcands"]
    n, m, c = pfcands.shape
    columns = {f"hl_{i}": highlevel[:, i] for i in range(highlevel.shape[1])}
    columns.update({f"pf{j}_{k}": pfcands[:, j, k] for j in range(m) for k in range(c)})
    flat = pd.DataFrame(columns)
    with tempfile.TemporaryDirectory() as tmp:
        container, bare, csv = Path(tmp) / "table.npz", Path(tmp) / "bare.npz", Path(tmp) / "blocks.csv.gz"
        _, table_write = _timed(lambda: write_table(table, container))
        _, table_read = _timed(lambda: read_table(container))
        _, bare_write = _timed(lambda: np.savez_compressed(bare, **table.blocks, **{  # type: ignore[arg-type]
            k: v for k, v in table.columns.items() if k in ("gen_weight", "baseline", "event", "n_candidates")}))
        _, csv_write = _timed(lambda: flat.to_csv(csv, index=False, float_format="%.9g"))
        _, csv_read = _timed(lambda: pd.read_csv(csv))
        sizes = {name: p.stat().st_size / 1e6 for name, p in (("table", container), ("bare", bare), ("csv", csv))}
    return {"events": n, "slots": m, "features": c, "columns": flat.shape[1], "table_mb": sizes["table"],
            "table_write_s": table_write, "table_read_s": table_read, "bare_mb": sizes["bare"],
            "bare_write_s": bare_write, "csv_mb": sizes["csv"], "csv_write_s": csv_write, "csv_read_s": csv_read}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--tile", type=int, default=1, help="repeat each file's events this many times")
    args = parser.parse_args()
    rows = [{"file": str(path), **compare(path, args.tile)} for path in args.files]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
