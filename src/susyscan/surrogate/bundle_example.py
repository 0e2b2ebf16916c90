#!/usr/bin/env python3
"""Efficiencies of a signal sample from its truth features with the surrogate model of this bundle.

Needs only numpy, pandas and onnxruntime.  Usage:

    python example.py example_truth.csv            # efficiency per signal region
    python example.py --check test_vectors.csv     # reproduce the bundled test vectors (exit 1 on mismatch)

The CSV needs the input columns of features.json ("inputs", any order; missing leptons = missing_value).
Events outside the training ranges of features.json are counted and reported: the efficiency there is an
extrapolation that the validation does not cover.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd

HERE = Path(__file__).resolve().parent


def load(bundle: Path) -> tuple[ort.InferenceSession, dict]:
    contract = json.loads((bundle / "features.json").read_text())
    session = ort.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    return session, contract


def probabilities(session: ort.InferenceSession, contract: dict, frame: pd.DataFrame) -> np.ndarray:
    names = [f["name"] for f in contract["inputs"]]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        sys.exit(f"input CSV lacks the columns {missing} (see features.json)")
    x = frame[names].to_numpy(dtype=np.float32)
    return session.run([contract["output_name"]], {contract["input_name"]: x})[0]


def outside_domain(contract: dict, frame: pd.DataFrame) -> tuple[np.ndarray, dict]:
    outside = np.zeros(len(frame), dtype=bool)
    counts = {}
    for f in contract["inputs"]:
        values = frame[f["name"]].to_numpy(dtype=float)
        present = values != contract["missing_value"]
        if f.get("training_values"):
            bad = present & ~np.isin(values, f["training_values"])
        elif f.get("training_range"):
            lo, hi = f["training_range"]
            bad = present & ((values < lo) | (values > hi))
        else:
            bad = present
        if bad.any():
            counts[f["name"]] = int(bad.sum())
        outside |= bad
    return outside, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", help="truth-feature CSV (or test vectors with --check)")
    parser.add_argument("--check", action="store_true", help="compare with the expected_* columns (tolerance 1e-5)")
    parser.add_argument("--bundle", default=str(HERE), help="bundle directory (default: this script's)")
    args = parser.parse_args()
    session, contract = load(Path(args.bundle))
    frame = pd.read_csv(args.csv)
    p = probabilities(session, contract, frame)
    regions = contract["regions"]
    if args.check:
        expected = frame[[f"expected_{r}" for r in regions]].to_numpy(dtype=float)
        diff = float(np.abs(p - expected).max())
        print(f"{len(frame)} test vectors, max |difference| = {diff:.2g}")
        return 0 if diff < 1e-5 else 1
    outside, counts = outside_domain(contract, frame)
    unc = contract.get("relative_uncertainty")
    print(f"{len(frame)} events; surrogate relative uncertainty: "
          + (f"{100 * unc:.0f} %" if unc is not None else "not given"))
    for region, eff in zip(regions, p.mean(axis=0)):
        print(f"  {region:<20s} efficiency {100 * eff:7.3f} %")
    if outside.mean() > 0.01:
        print(f"WARNING: {100 * outside.mean():.1f} % of the events are outside the training ranges {counts}: "
              "the efficiencies are extrapolations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
