"""SIGN reference bank at scale: time and memory of building the bank (faiss index, bank-to-bank neighbours, the
propagated hops) and of the graph features of new events.

Run: nice -n 10 python benchmarks/bench_sign.py [--bank 1000000] [--queries 1000000] [--features 44] [--k 16]
     [--hops 2] [--index hnsw] [--threads 2] [--quick]
Writes benchmarks/results/sign.md (appends one row per run) and sign.json (metrics of the last run for run_all.py).

Events are synthetic (correlated Gaussians plus a few heavy-tailed columns, the shape of a standardised feature
table); the nearest-neighbour cost depends on the number of events, the dimension, k and the index, not on the
physics. Times are wall-clock seconds (faiss uses ``--threads`` OpenMP threads) and the CPU seconds of this process;
memory is the peak resident set size of the process (``ru_maxrss``) and the size of what the bank keeps.
The HNSW recall is measured against exact search on 2000 queries.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import faiss
import numpy as np
from _metrics import RESULTS, write_metrics

from susyscan.training.sign import ReferenceBank, SignConfig, embed


def synthetic(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(99).normal(size=(d, d)) / np.sqrt(d)
    features = rng.normal(size=(n, d)) @ mixing
    features[:, : d // 4] = np.exp(features[:, : d // 4])  # pT-like heavy tails
    weights = rng.normal(1.0, 0.5, size=n)
    return features, weights


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=44)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument("--index", default="hnsw")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="20k bank, 20k queries")
    args = parser.parse_args()
    if args.quick:
        args.bank = args.queries = 20_000
    faiss.omp_set_num_threads(args.threads)
    config = SignConfig(k=args.k, hops=args.hops, index=args.index)
    bank_x, bank_w = synthetic(args.bank, args.features, 1)
    query_x, _ = synthetic(args.queries, args.features, 2)
    rss_data = peak_rss_gb()
    names = [f"x{i}" for i in range(args.features)]

    wall, cpu = time.perf_counter(), time.process_time()
    bank = ReferenceBank.build(bank_x, bank_w, names, None, config)
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_build = peak_rss_gb()

    wall, cpu = time.perf_counter(), time.process_time()
    graph = bank.graph_features(query_x)
    query_wall, query_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_query = peak_rss_gb()
    assert graph.shape == (args.queries, args.features * args.hops) and np.isfinite(graph).all()

    recall = 1.0
    if args.index == "hnsw":
        exact = faiss.IndexFlatIP(args.features)
        exact.add(embed(bank_x, bank.standardisation, bank.importance))
        probe = embed(query_x[:2000], bank.standardisation, bank.importance)
        truth = exact.search(probe, args.k)[1]
        found = bank.neighbours(query_x[:2000])
        recall = float(np.mean([len(set(a) & set(b)) / args.k for a, b in zip(truth, found)]))
    kept_gb = (sum(v.nbytes for v in bank.hop_values) + bank.weights.nbytes) / 1024**3
    index_gb = bank.index.ntotal * (args.features * 4 + (2 * 32 * 4 if args.index == "hnsw" else 0)) / 1024**3

    setting = (f"bank {args.bank:,}, queries {args.queries:,}, d={args.features}, k={args.k}, hops={args.hops}, "
               f"{args.index}, {args.threads} threads")
    rows = [("sign build", "wall", build_wall, "s"), ("sign build", "cpu", build_cpu, "s"),
            ("sign build", "events_per_s", args.bank / build_wall, "1/s"),
            ("sign query", "wall", query_wall, "s"), ("sign query", "cpu", query_cpu, "s"),
            ("sign query", "events_per_s", args.queries / query_wall, "1/s"),
            ("sign", "peak_rss", rss_query, "GB"), ("sign", "hnsw_recall", recall, "1")]
    write_metrics("sign", rows, setting=setting)
    line = (f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | {setting} | {build_wall:.0f} ({build_cpu:.0f}) | "
            f"{query_wall:.0f} ({query_cpu:.0f}) | {rss_data:.2f} / {rss_build:.2f} / {rss_query:.2f} | "
            f"{kept_gb:.2f} + index ~{index_gb:.2f} | {recall:.3f} |\n")
    md = RESULTS / "sign.md"
    if not md.exists():
        md.write_text(
            "# SIGN reference bank: time and memory (`benchmarks/bench_sign.py`)\n\n"
            "Synthetic events (see the script's docstring). Build = standardise + embed + faiss index + bank-to-bank\n"
            "neighbours (k+1, self dropped) + propagated hops; query = neighbours of the new events + [A X .. A^h X],\n"
            "both a block of 65536 rows at a time. Times: wall-clock seconds (CPU seconds of the process in\n"
            "brackets; the machine is shared, 2 cores). Peak RSS after the data / after the build / after the query\n"
            "(it includes the inputs and the (queries, d*hops) float64 output).\n\n"
            "| date (UTC) | setting | build s | query s | peak RSS GB | bank arrays GB | recall@k vs exact |\n"
            "|---|---|---|---|---|---|---|\n")
    with md.open("a") as handle:
        handle.write(line)
    sys.stdout.write(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
