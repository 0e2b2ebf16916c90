"""Paired bootstrap of the stau signal-class AUC, DNN vs DNN+SIGN, from a run's out-of-fold score tables.

`comparison.md` (rule `multiclass_compare_stau`) quotes the per-class ROC AUCs without an uncertainty; this script
adds one for the signal class (one-vs-rest: the signal probability, signal against all background classes, weights
|w|; the AUC does not change with a common scale of one class' weights, so the signal is not rescaled as in
training). Events: those of the training classes in both score tables (DNN+SIGN leaves out its reference bank).
Poisson(1) replica weights shared by both networks, so the error is that of the difference on these events; it does
not include the spread from training seeds or the bank draw.

    python benchmarks/stau_auc_bootstrap.py results/stau_large [--replicas 400] [--seed 20261203]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

KEY = ["sample", "chunk", "event"]


def paired_auc(results: Path, category: str, replicas: int, seed: int) -> dict[str, float]:
    """AUC of both networks and the bootstrap mean/std of their difference for one jet category."""
    base = results / "training" / "stau" / category
    dnn = pd.read_csv(base / "dnn" / "scores.csv.gz")
    sign = pd.read_csv(base / "sign" / "scores.csv.gz")
    both = dnn[dnn.train].merge(sign[sign.train][KEY + ["p_signal"]], on=KEY, suffixes=("_dnn", "_sign"))
    if both.empty:
        raise SystemExit(f"{base}: no training-class event in both score tables")
    is_signal = (both.label == 0).to_numpy()
    weight = both.weight.abs().to_numpy()
    auc = {name: roc_auc_score(is_signal, both[f"p_signal_{name}"], sample_weight=weight) for name in ("dnn", "sign")}
    rng = np.random.default_rng(seed)
    diffs = np.empty(replicas)
    for i in range(replicas):
        w = weight * rng.poisson(1.0, len(both))
        diffs[i] = (roc_auc_score(is_signal, both.p_signal_sign, sample_weight=w)
                    - roc_auc_score(is_signal, both.p_signal_dnn, sample_weight=w))
    return {"events": len(both), "signal": int(is_signal.sum()), "background": int((~is_signal).sum()),
            "auc_dnn": auc["dnn"], "auc_sign": auc["sign"], "diff": auc["sign"] - auc["dnn"],
            "diff_std": float(diffs.std()), "p_sign_better": float(np.mean(diffs > 0))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the run's results folder (results/<run_name>)")
    parser.add_argument("--replicas", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    print("| category | events (signal / background) | AUC DNN | AUC DNN+SIGN | DNN+SIGN - DNN | P(DNN+SIGN better) |")
    print("|---|---|---:|---:|---:|---:|")
    for category in ("0j", "1j"):
        r = paired_auc(args.results, category, args.replicas, args.seed)
        print(f"| {category} | {r['events']} ({r['signal']} / {r['background']}) | {r['auc_dnn']:.4f} | "
              f"{r['auc_sign']:.4f} | {r['diff']:+.4f} +- {r['diff_std']:.4f} | {r['p_sign_better']:.3f} |")


if __name__ == "__main__":
    main()
