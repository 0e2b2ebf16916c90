"""DNN vs DNN+SIGN on a synthetic seven-class table: a method check of ``susyscan.training.multiclass_run``
(the steps of workflow/rules/multiclass.smk), not physics.

Run: nice -n 10 python benchmarks/sign_synthetic_comparison.py SEPARATION [OUT_DIR]
(0.6: well separated classes, 0.15: overlapping). Seven classes of 3000 events, 10 correlated features (3 of them
heavy-tailed), class centres drawn from N(0, SEPARATION^2) per feature, jets category = sign of feature 5; settings
as config/analyses/stau_ml.yaml except k-fold 5, bank fraction 0.3, minimum 10 background MC events per region.
Prints the comparison table (results: docs/stau_networks.md, "Synthetic method check").
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from susyscan.config import validate_config
from susyscan.training.multiclass_run import run_compare, run_dnn, run_sign

CLASSES = ["signal", "wjets", "zll", "ztautau", "top", "diboson", "higgs"]
FEATURES = [f"f{i}" for i in range(10)]
#: run settings over the schema defaults of ``$defs/multiclass_ml`` (the one source of the others)
RUN = {"kfold": 5, "seed": 5, "bank_fraction": 0.3, "min_background_mc": 10,
       "network": {"hidden_layers": [64, 32, 16], "epochs": 20, "patience": 4, "batch_size": 256},
       "sign": {"k": 16, "hops": 2}}


def ml_settings() -> dict[str, Any]:
    """``RUN`` completed with the schema defaults (as the workflow's validated config), plus the synthetic
    table's classes and jet categories in place of the stau ML YAML's."""
    config = {"analyses": {"stau": {"enabled": True, "config": "config/analyses/stau.yaml", "ml": RUN}}}
    run = validate_config(config)["analyses"]["stau"]["ml"]
    return {**run, "classes": CLASSES, "class_column": "process_class", "category_column": "jets",
            "categories": {"0j": [0, 1], "1j": [1, 2]}}
SIGNAL = "stau_100_40"


def write_tables(directory: Path, separation: float, n: int = 3000) -> list[str]:
    rng = np.random.default_rng(0)
    mixing = np.random.default_rng(1).normal(size=(10, 10)) / 3
    paths = []
    for index, cls in enumerate(CLASSES):
        centre = np.random.default_rng(10 + index).normal(size=10) * separation
        x = rng.normal(size=(n, 10)) @ mixing + centre
        x[:, :3] = np.exp(x[:, :3])
        df = pd.DataFrame(x, columns=FEATURES)
        df["weight_pb"] = (1e-4 if cls == "signal" else 1e-2) * (1 + 0.1 * rng.normal(size=n))
        df["process_class"] = df["process"] = cls
        df["sample"] = SIGNAL if cls == "signal" else f"bkg_{cls}"
        df["is_signal"] = int(cls == "signal")
        df["m_parent"], df["m_lsp"] = (100.0, 40.0) if cls == "signal" else (-1.0, -1.0)
        df["jets"] = (x[:, 5] > 0).astype(int)
        df["chunk"], df["event"] = 0, np.arange(n)
        path = directory / f"{df['sample'][0]}.csv.gz"
        df.to_csv(path, index=False)
        paths.append(str(path))
    return paths


def main() -> int:
    torch.set_num_threads(1)
    separation = float(sys.argv[1]) if len(sys.argv) > 1 else 0.15
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="sign_synthetic_"))
    (out / "tables").mkdir(parents=True, exist_ok=True)
    paths = write_tables(out / "tables", separation)
    ML = ml_settings()  # noqa: N806 (the settings block, as the rules pass it)
    scores = {}
    for category, span in ML["categories"].items():
        start = time.perf_counter()
        dnn, sign = out / category / "dnn", out / category / "sign"
        run_dnn(paths, dnn, ML, category, span, FEATURES, [SIGNAL])
        run_sign(paths, dnn / "importance.csv", sign, ML, category, span, FEATURES, [SIGNAL])
        scores[f"dnn_{category}"] = str(dnn / "scores.csv.gz")
        scores[f"sign_{category}"] = str(sign / "scores.csv.gz")
        sys.stdout.write(f"{category}: {time.perf_counter() - start:.0f} s\n")
    (out / "yields").mkdir(exist_ok=True)
    run_compare(scores, ML, [SIGNAL], [139.0, 300.0], [(SIGNAL, 100.0, 40.0)], {},
                {"table": str(out / "comparison.csv"), "markdown": str(out / "comparison.md"),
                 "roc": str(out / "roc.png"), "yields_dir": str(out / "yields"),
                 "background": str(out / "background_yields.csv")})
    sys.stdout.write((out / "comparison.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
