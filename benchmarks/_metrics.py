"""Machine-readable benchmark metrics shared by the bench_*.py scripts and run_all.py.

Each bench script calls ``write_metrics(name, rows)``: rows of (stage, metric, value, unit) go to
benchmarks/results/<name>.json, which benchmarks/run_all.py collects into one summary table.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_metrics(name: str, rows: list[tuple[str, str, float, str]], **extra: object) -> Path:
    """Write benchmarks/results/<name>.json with the metric rows and a UTC timestamp."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"name": name, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "metrics": [{"stage": s, "metric": m, "value": float(v), "unit": u} for s, m, v, u in rows], **extra}
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return path
