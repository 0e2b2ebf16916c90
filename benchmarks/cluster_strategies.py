"""Exact speed-ups of `detector.jets.cluster`'s fastjet calls: clustering strategy, events per call, call path.

Run: python benchmarks/cluster_strategies.py [--events 2000] [--repeats 5] [--calls calls.pkl]
Generates one unfiltered ttbar -> mu mu chunk (seed 4242, the production path, `profile_cluster.capture_calls`;
`--calls` caches the captured `cluster` arguments), then for each of its two `cluster` calls (R = 0.4 with
constituents, R = 1.0 without):

1. identity: every strategy's jets (px, py, pz, E and per-event counts, bit for bit) and constituents (per-jet
   counts, per-event jet counts and the constituent positions) against the default `Best`, on every event of the chunk;
   exit 1 on any difference. (fastjet's `to_numpy_with_constituents` allocates one slot per input particle and fills
   only the constituents of the jets above the cut: the tail beyond the last jet offset is uninitialised memory and
   is not compared.)
2. CPU time of the whole chunk per variant, `--repeats` rounds with the variants in a fresh random order each round
   (seeded): the `--timed` strategies at 200 events per call, `Best` at other events-per-call, and the production path
   (`jets._cluster_block`: the package's `ClusterSequence`, `inclusive_jets`, `constituent_index` and the awkward
   conversions) beside the bare `fastjet._ext` calls. Reported: min, median, all rounds, and the median over rounds of
   the ratio to `Best` at 200 events in the same round (paired, steadier under a changing load).
"""

from __future__ import annotations

import argparse
import functools
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

import awkward as ak
import numpy as np

from susyscan.detector.jets import _cluster_block, _import_fastjet, _quiet_stdout
from susyscan.detector.kinematics import event_offsets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_cluster import capture_calls  # noqa: E402 (a sibling script)

STRATEGIES = ("Best", "N2Tiled", "N2MinHeapTiled", "N2MHTLazy9", "N2MHTLazy25", "N2PoorTiled", "N2Plain", "NlnN")


class Call:
    """One `cluster` call's inputs as fastjet's multi-event interface takes them."""

    def __init__(self, args: tuple[Any, ...], with_constituents: bool) -> None:
        inputs, px, py, pz, e, event, n_events, radius, cluster_pt_min = args[:9]
        self.offsets = event_offsets(event[inputs], n_events)
        self.offsets32 = self.offsets.astype(np.int32)
        self.columns = [np.ascontiguousarray(v[inputs], dtype=np.float64) for v in (px, py, pz, e)]
        self.n_events, self.radius, self.pt_min = int(n_events), float(radius), float(cluster_pt_min)
        self.with_constituents = with_constituents


def definition(fastjet: Any, radius: float, strategy: str) -> Any:
    """anti-kt at `radius`, E scheme, the named strategy. (The swig constructor with a strategy takes the FJ2 order
    (algorithm, R, strategy, scheme); (algorithm, R, strategy) alone would read the strategy as a scheme.)"""
    return fastjet.JetDefinition(fastjet.antikt_algorithm, radius, getattr(fastjet, strategy), fastjet.E_scheme)


def run_ext(fastjet: Any, call: Call, strategy: str, block: int) -> list[tuple[np.ndarray, ...]]:
    """The whole chunk through `fastjet._ext` in blocks: per block `to_numpy` and, with constituents,
    `to_numpy_with_constituents` (its initialised part)."""
    jet_definition = definition(fastjet, call.radius, strategy)
    out: list[tuple[np.ndarray, ...]] = []
    for start in range(0, call.n_events, block):
        stop = min(start + block, call.n_events)
        result = fastjet._ext.interfacemulti(*call.columns, call.offsets32[start:stop], call.offsets32[start + 1:stop + 1],
                                             jet_definition)
        out.append(result.to_numpy(call.pt_min))
        if call.with_constituents:
            jet_offsets, positions, event_jets = result.to_numpy_with_constituents(call.pt_min)
            out.append((jet_offsets, positions[: jet_offsets[-1]], event_jets))
        del result
    return out


def run_package(fastjet: Any, call: Call, block: int) -> None:
    """The production path of `cluster` (awkward input, `_cluster_block`) on the whole chunk."""
    jet_definition = fastjet.JetDefinition(fastjet.antikt_algorithm, call.radius)
    for start in range(0, call.n_events, block):
        stop = min(start + block, call.n_events)
        lo, hi = call.offsets[start], call.offsets[stop]
        lists = ak.contents.ListOffsetArray(ak.index.Index64(call.offsets[start:stop + 1] - lo), ak.contents.RecordArray(
            [ak.contents.NumpyArray(c[lo:hi]) for c in call.columns], ["px", "py", "pz", "E"], length=int(hi - lo),
            parameters={"__record__": "Momentum4D"}))
        _cluster_block(fastjet, lists, jet_definition, call.pt_min, call.with_constituents)


def identical(a: list[tuple[np.ndarray, ...]], b: list[tuple[np.ndarray, ...]]) -> bool:
    """Every array of two `run_ext` outputs equal, bit for bit (floats compared as bytes)."""
    return len(a) == len(b) and all(
        len(x) == len(y) and all(u.dtype == v.dtype and u.tobytes() == v.tobytes() for u, v in zip(x, y))
        for x, y in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="checked for identity against Best")
    parser.add_argument("--timed", default="Best,N2Tiled,N2MinHeapTiled,N2MHTLazy9",
                        help="strategies timed at 200 events per call (Best first)")
    parser.add_argument("--blocks", default="25,50,100,400", help="events per call timed with Best, besides 200")
    parser.add_argument("--calls", type=Path, help="pickle of the captured `cluster` arguments (written if absent)")
    args = parser.parse_args()
    if args.calls is not None and args.calls.exists():
        captured = pickle.loads(args.calls.read_bytes())
    else:
        captured = [((*a[:9],), {"with_constituents": k.get("with_constituents", True)})
                    for a, k in capture_calls(args.events)]
        if args.calls is not None:
            args.calls.write_bytes(pickle.dumps(captured))
    calls = [Call(a, k["with_constituents"]) for a, k in captured]
    fastjet = _import_fastjet()
    strategies = args.strategies.split(",")
    with _quiet_stdout():  # the banner
        run_ext(fastjet, calls[0], "Best", 10 ** 9)

    counts = np.diff(calls[0].offsets)
    print(f"\n{calls[0].n_events} unfiltered ttbar events, jet inputs per event: median {np.median(counts):.0f}, "  # noqa: T201
          f"range {counts.min()}-{counts.max()}; fastjet {fastjet.__version__}\n\n"
          "| R | strategy | jets | constituents |\n|---|---|---|---|")
    failed = False
    for call in calls:
        reference = run_ext(fastjet, call, "Best", 200)
        for strategy in strategies[1:]:
            other = run_ext(fastjet, call, strategy, 200)
            jets_same = identical(reference[:: 1 + call.with_constituents], other[:: 1 + call.with_constituents])
            cons = "identical" if identical(reference[1::2], other[1::2]) else "DIFFERENT"
            failed |= not jets_same or (call.with_constituents and cons != "identical")
            print(f"| {call.radius} | {strategy} | {'identical' if jets_same else 'DIFFERENT'} "  # noqa: T201
                  f"| {cons if call.with_constituents else '-'} |")

    variants: dict[str, Callable[[Call], object]] = {
        f"{s}, 200": functools.partial(run_ext, fastjet, strategy=s, block=200) for s in args.timed.split(",")}
    variants.update({f"Best, {b}": functools.partial(run_ext, fastjet, strategy="Best", block=b)
                     for b in (int(x) for x in args.blocks.split(",") if x)})
    variants["package API (production), Best, 200"] = functools.partial(run_package, fastjet, block=200)
    times: dict[tuple[float, str], list[float]] = {}
    order = list(variants)
    rng = random.Random(11)
    for _ in range(args.repeats):
        rng.shuffle(order)
        for call in calls:
            for name in order:
                start = time.process_time()
                variants[name](call)
                times.setdefault((call.radius, name), []).append(time.process_time() - start)
    print(f"\nCPU ms per chunk ({calls[0].n_events} events), {args.repeats} rounds, variants in random order per round; "  # noqa: T201
          "ratio = median over rounds of variant / (Best, 200) in the same round\n\n"
          "| R | variant (strategy, events per call) | min | median | ratio to Best, 200 | all rounds |\n"
          "|---|---|---:|---:|---:|---|")
    for call in calls:
        base = np.array(times[(call.radius, "Best, 200")])
        for name in variants:
            values = np.array(times[(call.radius, name)])
            print(f"| {call.radius} | {name} | {1e3 * values.min():.0f} | {1e3 * np.median(values):.0f} "  # noqa: T201
                  f"| {np.median(values / base):.3f} | {' '.join(f'{1e3 * v:.0f}' for v in values)} |")
    if failed:
        raise SystemExit("a strategy gave different jets or constituents")


if __name__ == "__main__":
    main()
