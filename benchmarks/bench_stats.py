"""Benchmarks of the scan/statistics stage: pyhf CLs per point, onnxruntime rows/s, contour extraction.

Run: ``python benchmarks/bench_stats.py [--quick]`` (writes ``benchmarks/results/stats.md`` and ``stats.json``
for benchmarks/run_all.py). --quick: 20 CLs cases, 50000 inference rows.
"""

from __future__ import annotations

import logging
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper, numpy_helper

from _metrics import write_metrics

from susyscan.plotting.contours import exclusion_contour, plot_contours
from susyscan.stats.cls import RegionCounts, region_cls

logger = logging.getLogger("bench_stats")
OUT = Path(__file__).parent / "results" / "stats.md"


def mlp_onnx(path: Path, n_features: int = 37, hidden: int = 64, seed: int = 1) -> Path:
    """Gemm-Relu-Gemm-Relu-Gemm-Sigmoid MLP with random weights (the size of the smuon networks)."""
    rng = np.random.default_rng(seed)
    sizes = [n_features, hidden, hidden, 1]
    nodes, inits, current = [], [], "x"
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        inits += [numpy_helper.from_array((rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)).astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(np.zeros(n_out, np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [current, f"w{i}", f"b{i}"], [f"z{i}"]))
        current = f"z{i}"
        if i < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"r{i}"]))
            current = f"r{i}"
    nodes.append(helper.make_node("Sigmoid", [current], ["score"]))
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, n_features])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def bench_cls(n: int = 60) -> dict[str, float]:
    """ms per region-point for expected CLs (+ band), with and without the expected mu limit."""
    rng = np.random.default_rng(7)
    cases = [(10 ** rng.uniform(0, 3), 10 ** rng.uniform(0, 4), rel) for rel in (0.0, 0.2) for _ in range(n // 2)]
    result = {}
    for upper in (False, True):
        start = time.perf_counter()
        for sig, bkg, rel in cases:
            region_cls(RegionCounts("bench", sig, 0.05 * sig, bkg, rel, bkg_stat=0.05 * bkg), "shapesys", upper)
        result["cls+limit" if upper else "cls"] = 1e3 * (time.perf_counter() - start) / len(cases)
    return result


def bench_onnx(path: Path, rows: int = 200_000) -> dict[int, float]:
    """Rows per second of one-thread onnxruntime inference for several batch sizes."""
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(rows, 37)).astype(np.float32)
    rates = {}
    for batch in (256, 4096, 65536):
        start = time.perf_counter()
        for i in range(0, rows, batch):
            session.run(None, {"x": x[i:i + batch]})
        rates[batch] = rows / (time.perf_counter() - start)
    return rates


def bench_contours(tmp: Path) -> dict[str, float]:
    """Seconds for one contour extraction (~150 points) and for the full plot_contours of 2 lumis."""
    pts = np.array([(m, l) for m in range(100, 1001, 50) for l in range(0, 501, 50) if l < m - 40], float)
    m, l = pts[:, 0], pts[:, 1]
    cls = np.minimum(0.05 * np.exp((m - 600 + 0.6 * l) / 60.0), 1.0)
    exclusion_contour(m, l, cls)  # warm-up: first call pays lazy imports
    start = time.perf_counter()
    for _ in range(5):
        exclusion_contour(m, l, cls)
    one = (time.perf_counter() - start) / 5
    rows = [{"m_parent": a, "m_lsp": b, "region": r, "lumi_ifb": lumi, "scenario": sc, "cls_exp": c}
            for r in ("NN high", "NN low", "BDT", "Jet veto") for lumi in (139.0, 3000.0)
            for sc in ("optimistic", "pessimistic") for a, b, c in zip(m, l, cls)]
    pd.DataFrame(rows).to_csv(tmp / "cls.csv", index=False)
    start = time.perf_counter()
    plot_contours(tmp / "cls.csv", tmp / "plots", tmp / "mass_reach.csv")
    return {"extract": one, "plots": time.perf_counter() - start, "n_points": len(m)}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        cls_ms = bench_cls(20 if args.quick else 60)
        rates = bench_onnx(mlp_onnx(tmp_path / "mlp.onnx"), 50_000 if args.quick else 200_000)
        contour = bench_contours(tmp_path)
    lines = ["# Statistics-stage benchmarks", "",
             f"Machine: {platform.machine()}, {platform.python_version()}, single thread; "
             f"`python benchmarks/bench_stats.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             "| quantity | value |", "|---|---|",
             f"| pyhf expected CLs + band, one region (ms) | {cls_ms['cls']:.1f} |",
             f"| ... plus expected upper limit on mu (ms) | {cls_ms['cls+limit']:.1f} |"]
    lines += [f"| onnxruntime 37-64-64-1 MLP, batch {b} (rows/s) | {r:,.0f} |" for b, r in rates.items()]
    lines += [f"| contour extraction, {contour['n_points']:.0f} grid points (ms) | {1e3 * contour['extract']:.1f} |",
              f"| plot_contours: 2 lumis x 4 regions x 2 scenarios, PDF+PNG (s) | {contour['plots']:.2f} |", "",
              "A grid point has 9 regions x 3 luminosities x 2 scenarios = 54 CLs evaluations.", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    write_metrics("stats", [
        ("statistics", "pyhf expected CLs + band, one region", cls_ms["cls"], "ms"),
        ("statistics", "pyhf CLs + expected upper limit on mu, one region", cls_ms["cls+limit"], "ms"),
        ("statistics", "pyhf CLs + mu limit per grid point (54 region x lumi x scenario evaluations)", 54 * cls_ms["cls+limit"] / 1e3, "s"),
        *[("inference", f"onnxruntime 37-64-64-1 MLP, batch {b}, 1 thread", r, "rows/s") for b, r in rates.items()],
        ("statistics", f"contour extraction, {contour['n_points']:.0f} grid points", 1e3 * contour["extract"], "ms"),
    ])
    logger.warning("wrote %s\n%s", OUT, "\n".join(lines))


if __name__ == "__main__":
    main()
