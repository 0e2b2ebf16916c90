"""Compare the smuon outputs of two workflow runs (e.g. before/after a refactoring) table by table.

Run: python benchmarks/compare_runs.py BEFORE/results/demo AFTER/results/demo. Exact comparison (rows sorted by their keys)
of the cutflow, merged feature tables (the columns both have), background and per-point yields, cls.csv,
mass_reach.csv and the performance tables; derived features written by AFTER are compared with the derived features
computed from BEFORE's table (float32 differences counted); dataset training-data hashes are listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.analyses.smuon.derived import DERIVED, add_derived

KEYS = ("m_parent", "m_lsp", "region", "process", "lumi_ifb", "scenario")


def same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> bool:
    keys = [c for c in KEYS if c in a.columns]
    if "region" in keys:
        a, b = a.sort_values(keys), b.sort_values(keys)
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if list(a.columns) != list(b.columns):
        print(f"{name}: columns differ {set(a.columns) ^ set(b.columns)}")  # noqa: T201
        return False
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError as exc:
        print(f"{name}: DIFFER: {str(exc)[:300]}")  # noqa: T201
        return False
    print(f"{name}: identical ({len(a)} rows)")  # noqa: T201
    return True


def main(before: Path, after: Path) -> int:
    ok = same(pd.read_csv(before / "analysis/smuon/cutflow.csv"), pd.read_csv(after / "analysis/smuon/cutflow.csv"),
              "cutflow.csv")
    for path in sorted((before / "analysis/smuon/features").glob("*.csv.gz")):
        old, new = pd.read_csv(path), pd.read_csv(after / "analysis/smuon/features" / path.name)
        ok &= same(old, new[list(old.columns)], f"features {path.name} (columns of BEFORE)")
        if set(DERIVED) <= set(new.columns) and not set(DERIVED) <= set(old.columns):
            d_old, d_new = add_derived(old)[DERIVED].to_numpy(), new[DERIVED].to_numpy()
            rel = np.abs(d_old - d_new) / np.maximum(np.abs(d_old), 1e-30)
            n32 = int((d_old.astype(np.float32) != d_new.astype(np.float32)).sum())
            print(f"features {path.name}: derived (written once) vs computed from BEFORE's table: max rel diff "  # noqa: T201
                  f"{rel.max() if rel.size else 0.0:.2e}, {n32} of {d_old.size} values differ in float32")
    for path in sorted((before / "training/smuon/dataset").glob("*/*.json")):
        old, new = json.loads(path.read_text()), json.loads((after / path.relative_to(before)).read_text())
        print(f"{path.relative_to(before)}: training-data hash same: "  # noqa: T201
              f"{old['training_data_hash'] == new['training_data_hash']}, same split sizes: {old['n_events'] == new['n_events']}")
    tables = ["scan/smuon/background_yields.csv", "limits/smuon/cls.csv", "plots/smuon/mass_reach.csv"]
    tables += [str(p.relative_to(before)) for p in sorted((before / "scan/smuon/yields").glob("*.csv"))]
    tables += [str(p.relative_to(before)) for p in sorted((before / "training/smuon").glob("*/*/performance.csv"))]
    for rel_path in tables:
        ok &= same(pd.read_csv(before / rel_path), pd.read_csv(after / rel_path), rel_path)
    print("ALL IDENTICAL" if ok else "DIFFERENCES FOUND")  # noqa: T201
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
