"""Where `detector.jets.cluster`'s time goes: fastjet's C++ clustering against the Python/awkward conversions.

Run: python benchmarks/profile_cluster.py [--events 2000] [--repeats 3] [--blocks 2000,200]
Generates one unfiltered ttbar -> mu mu chunk (seed 4242, the production path), keeps the arguments of its two
`cluster` calls (R = 0.4 with constituents, R = 1.0 without), then times in CPU seconds (min / median over the
repeats): building the awkward input, `ClusterSequence(...)`, `inclusive_jets`, `constituent_index`, the conversion
of the results to flat numpy, and the bare `fastjet._ext.interfacemulti` call the package makes. With --blocks,
each block size clusters both radii through `_ext` in a fresh subprocess and reports user / system time, minor
page faults and the peak resident memory (the cost of keeping every event's ClusterSequence alive at once).
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from susyscan.detector.jets import _import_fastjet, _quiet_stdout
from susyscan.detector.kinematics import event_offsets
from susyscan.generation.chunk import generate_chunk

ROOT = Path(__file__).resolve().parents[1]


def capture_calls(n_events: int) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The positional and keyword arguments of every `cluster` call of one unfiltered ttbar chunk."""
    simulate_module = importlib.import_module("susyscan.detector.simulate")
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    original = getattr(simulate_module, "cluster")  # noqa: B009 (the module, not the re-exported function)

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    setattr(simulate_module, "cluster", recording)  # noqa: B010
    try:
        with tempfile.TemporaryDirectory() as tmp:
            generate_chunk({"name": "ttbar_mumu", "process": "ttbar_mumu"}, 0, n_events, 4242, Path(tmp) / "c.root",
                           ROOT / "resources" / "detector" / "atlas.yaml",
                           detector_options={"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
    finally:
        setattr(simulate_module, "cluster", original)  # noqa: B010
    return calls


def split(calls: list[tuple[tuple[Any, ...], dict[str, Any]]], repeats: int) -> dict[str, list[float]]:
    """CPU seconds of each step of `cluster`'s fastjet use, per radius."""
    fastjet = _import_fastjet()
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        for args, kwargs in calls:
            inputs, px, py, pz, e, event, n_events, radius, cluster_pt_min = args[:9]
            steps = [time.process_time()]
            offsets = event_offsets(event[inputs], n_events)
            vectors = ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets), ak.contents.RecordArray(
                [ak.contents.NumpyArray(v[inputs]) for v in (px, py, pz, e)], ["px", "py", "pz", "E"],
                length=len(inputs), parameters={"__record__": "Momentum4D"})))
            steps.append(time.process_time())
            definition = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
            with _quiet_stdout():
                sequence = fastjet.ClusterSequence(vectors, definition)
                steps.append(time.process_time())
                raw = sequence.inclusive_jets(cluster_pt_min)
                steps.append(time.process_time())
                local = sequence.constituent_index(cluster_pt_min) if kwargs.get("with_constituents", True) else None
            steps.append(time.process_time())
            [ak.to_numpy(ak.flatten(raw[c], axis=1)) for c in ("px", "py", "pz", "E")]
            if local is not None:
                ak.to_numpy(ak.flatten(ak.num(local, axis=2), axis=1)), ak.to_numpy(ak.flatten(local, axis=None))
            steps.append(time.process_time())
            columns = [np.asarray(v[inputs]) for v in (px, py, pz, e)]
            fastjet._ext.interfacemulti(*columns, offsets[:-1], offsets[1:], definition)
            steps.append(time.process_time())
            names = ("build input", "ClusterSequence(...)", "inclusive_jets", "constituent_index",
                     "to flat numpy", "bare _ext.interfacemulti")
            for name, t0, t1 in zip(names, steps[:-1], steps[1:]):
                times.setdefault(f"R = {radius}: {name}", []).append(t1 - t0)
    return times


def block_child(calls_path: Path, block: int) -> None:
    """(In a fresh process.) Both radii through `_ext` in blocks of `block` events; prints the rusage deltas."""
    fastjet = _import_fastjet()
    calls = pickle.loads(calls_path.read_bytes())
    with _quiet_stdout():  # the banner, outside the measurement
        fastjet._ext.interfacemulti(*[np.ones(1)] * 4, np.zeros(1, np.int64), np.ones(1, np.int64),
                                    fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4))
    before = resource.getrusage(resource.RUSAGE_SELF)
    for args, kwargs in calls:
        inputs, px, py, pz, e, event, n_events, radius, cluster_pt_min = args[:9]
        offsets = event_offsets(event[inputs], n_events)
        columns = [np.asarray(v[inputs]) for v in (px, py, pz, e)]
        definition = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
        for start in range(0, n_events, block):
            result = fastjet._ext.interfacemulti(*columns, offsets[start:start + block],
                                                 offsets[start + 1:start + block + 1], definition)
            result.to_numpy(cluster_pt_min)
            if kwargs.get("with_constituents", True):
                result.to_numpy_with_constituents(cluster_pt_min)
            del result
    after = resource.getrusage(resource.RUSAGE_SELF)
    # this process's own peak (ru_maxrss would carry over the parent's from fork)
    peak_kib = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))
    print(f"| {block} | {1e3 * (after.ru_utime - before.ru_utime):.0f} | {1e3 * (after.ru_stime - before.ru_stime):.0f} "  # noqa: T201
          f"| {after.ru_minflt - before.ru_minflt} | {peak_kib / 1024:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blocks", default="", help="comma-separated block sizes for the fresh-process comparison")
    parser.add_argument("--child", nargs=2, metavar=("CALLS", "BLOCK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        block_child(Path(args.child[0]), int(args.child[1]))
        return
    calls = capture_calls(args.events)
    print(f"\n{args.events} unfiltered ttbar events, {len(calls[0][0][0]) / args.events:.0f} jet inputs per event; "  # noqa: T201
          f"CPU ms per chunk, min / median of {args.repeats}\n\n| step | min | median | min per event |\n|---|---:|---:|---:|")
    for name, values in split(calls, args.repeats).items():
        print(f"| {name} | {1e3 * min(values):.1f} | {1e3 * np.median(values):.1f} "  # noqa: T201
              f"| {1e3 * min(values) / args.events:.3f} |")
    if args.blocks:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "calls.pkl"
            path.write_bytes(pickle.dumps([((*a[:9],), {"with_constituents": k.get("with_constituents", True)})
                                           for a, k in calls]))
            print("\nfresh process per block size, both radii through `_ext`\n\n"  # noqa: T201
                  "| events per call | user ms | system ms | minor faults | peak RSS MB |\n|---:|---:|---:|---:|---:|")
            for block in (int(b) for b in args.blocks.split(",")):
                subprocess.run([sys.executable, __file__, "--child", str(path), str(block)], check=True)


if __name__ == "__main__":
    main()
