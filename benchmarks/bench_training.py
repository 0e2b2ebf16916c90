"""Training throughput (events/s per epoch, CPU and CUDA when present) and ONNX inference rows/s.

Usage: python benchmarks/bench_training.py [--events-per-sample N] [--epochs E] [--threads T] [--quick]
Writes benchmarks/results/training.md (+ training.json for benchmarks/run_all.py).
--quick: 2000 events per sample, 2 epochs, 50000 inference rows.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from _metrics import write_metrics

from susyscan.training.dataset import build_dataset
from susyscan.training.export import check_parity, export_bdt, export_nn, model_metadata
from susyscan.training.network import NetworkConfig
from susyscan.training.onnx_model import load_checked
from susyscan.training.synthetic import synthetic_feature_names, synthetic_feature_table
from susyscan.training.train_bdt import BDTConfig, predict_bdt, train_bdt
from susyscan.training.train_nn import NNTrainingConfig, predict_raw, train_classifier

RESULTS = Path(__file__).resolve().parent / "results" / "training.md"


def _inference_rate(onnx_path: Path, names: list[str], rows: np.ndarray, repeats: int = 3) -> float:
    model = load_checked(onnx_path, names, threads=1)
    model.predict(rows[:1000])
    start = time.perf_counter()
    for _ in range(repeats):
        model.predict(rows)
    return repeats * len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-per-sample", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--inference-rows", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.events_per_sample, args.epochs, args.inference_rows = 2000, 2, 50_000
    metrics: list[tuple[str, str, float, str]] = []
    torch.set_num_threads(args.threads)
    names = synthetic_feature_names()
    table = synthetic_feature_table(n_per_sample=args.events_per_sample, seed=1)
    dataset = build_dataset(table, "low", [0.0, 300.0], 139.0, seed=1, feature_names=names)
    network = NetworkConfig(n_inputs=len(names))
    lines = [
        "# Training benchmark",
        "",
        f"Host: {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s); "
        f"synthetic dataset, {len(dataset.train.y)} balanced training events, 37 inputs, MLP 37-50-50-1 sigmoid, "
        "batch 32, SGD momentum.",
        "",
        "| measurement | device | value |",
        "|---|---|---|",
    ]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        config = NNTrainingConfig(epochs=args.epochs, learning_rate=0.05, device=device)
        result = train_classifier(dataset, network, config, progress=False)
        rate = float(result.history["train_events_per_s"].median())
        lines.append(f"| NN training throughput (median over {args.epochs} epochs) | {device} | {rate:,.0f} events/s |")
        metrics.append(("training", f"NN 37-50-50-1 training, batch 32, {device} ({args.threads} thread(s))", rate, "events/s per epoch"))
    if "cuda" not in devices:
        lines.append("| NN training throughput | cuda | not available on this machine |")
    start = time.perf_counter()
    bdt = train_bdt(dataset, BDTConfig(n_estimators=150, early_stopping_rounds=1000, threads=args.threads))
    t_bdt = time.perf_counter() - start
    lines.append(f"| BDT training, 150 trees depth 4 | cpu | {t_bdt:.2f} s |")
    metrics.append(("training", f"BDT 150 trees depth 4, {len(dataset.train.y)} events, cpu", t_bdt, "s"))
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(args.inference_rows, len(names))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        for model_type in ("nn", "bdt"):
            path = Path(tmp) / f"{model_type}.onnx"
            metadata = model_metadata(names, "low", 0.7, dataset.info["training_data_hash"], model_type)
            if model_type == "nn":
                export_nn(result.model, dataset.standardisation, metadata, path)
                native = predict_raw(result.model, dataset.standardisation, dataset.test.X)
            else:
                export_bdt(bdt.booster, len(names), metadata, path)
                native = predict_bdt(bdt.booster, dataset.test.X)
            deviation = check_parity(path, dataset.test.X, native)
            rate = _inference_rate(path, names, rows)
            label = model_type.upper()
            lines.append(f"| {label} onnxruntime inference (1 thread, batch 65536) | cpu | {rate:,.0f} rows/s |")
            metrics.append(("inference", f"{label} onnxruntime (trained model, 1 thread)", rate, "rows/s"))
            lines.append(f"| {label} ONNX vs native max abs deviation (test set) | cpu | {deviation:.2e} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))  # benchmark script output, not library code
    write_metrics("training", metrics, events_per_sample=args.events_per_sample, epochs=args.epochs,
                  cuda=torch.cuda.is_available())


if __name__ == "__main__":
    main()
