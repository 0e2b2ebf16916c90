"""Ewkino's per-chunk input blocks as ``.npz`` vs the same arrays as one flat ``.csv.gz`` table (issue 13).

Run: python benchmarks/ewkino_blocks_vs_csv.py RESULTS/analysis/ewkino/inputs/pt1/znunu_jets/chunk0.npz [...]

The shared dataset stage keeps one row per event in CSV tables; this measures what ewkino's padded PF block would
cost there: per file the events N, the block shape (M slots x C features), the flat column count, the ``.npz`` size
and read time, and the ``.csv.gz`` size, write and read time (pandas, floats to 9 significant digits, as the
feature tables). Not in ``run_all.py``: it needs the inputs of an ewkino run (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def compare(path: Path) -> dict[str, float]:
    """Sizes (MB) and times (s) of one inputs file as .npz and as a flat .csv.gz table."""
    start = time.perf_counter()
    with np.load(path) as data:
        highlevel, pfcands = data["highlevel"], data["pfcands"]
    npz_read = time.perf_counter() - start
    n, m, c = pfcands.shape
    columns = {f"hl_{i}": highlevel[:, i] for i in range(highlevel.shape[1])}
    columns.update({f"pf{j}_{k}": pfcands[:, j, k] for j in range(m) for k in range(c)})
    table = pd.DataFrame(columns)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "blocks.csv.gz"
        start = time.perf_counter()
        table.to_csv(csv, index=False, float_format="%.9g")
        csv_write = time.perf_counter() - start
        start = time.perf_counter()
        pd.read_csv(csv)
        csv_read = time.perf_counter() - start
        csv_mb = csv.stat().st_size / 1e6
    return {"events": n, "slots": m, "features": c, "columns": table.shape[1], "npz_mb": path.stat().st_size / 1e6,
            "npz_read_s": npz_read, "csv_mb": csv_mb, "csv_write_s": csv_write, "csv_read_s": csv_read}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    rows = [{"file": str(path), **compare(path)} for path in args.files]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()
