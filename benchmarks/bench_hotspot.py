"""Before/after benchmark of the default run's hot-spot fix: Pythia event record -> particle-level contract.

The largest stage of the default run is generation (+ detector) of the Pythia chunks (see
benchmarks/results/hotspot.md). Inside it, after Pythia itself (not ours to speed up) and the detector,
the conversion `susyscan.generation.extract.to_particle_level` was done with jagged awkward operations.
It now works on the flat numpy content. This script keeps a frozen copy of the previous implementation
(`to_particle_level_before`) and measures, interleaved so that both see the same machine load:

1. the conversion alone on real Pythia batches (median of --repeats);
2. a whole default-run chunk (`generate_chunk`: Pythia + conversion + detector + write) with the before
   and after conversion patched in, same seed, and checks that the written arrays are identical.

Run: python benchmarks/bench_hotspot.py [--events 1000] [--repeats 3] [--quick]
Writes benchmarks/results/hotspot_measurements.csv and prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np

import susyscan.generation.pythia_run as pythia_run
from susyscan.generation.extract import TRUTH_STATUS_MAX, TRUTH_STATUS_MIN, ChargeTable, to_particle_level
from susyscan.generation.processes import get_process, pythia_settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def to_particle_level_before(batch: ak.Array, charges: ChargeTable) -> ak.Array:
    """Frozen copy of the implementation before the fix (jagged awkward operations)."""
    prt = ak.without_parameters(batch["prt"])
    status = prt["status"]
    mom = prt["p"]
    final = status > 0
    pid = ak.values_astype(prt["id"][final], np.int32)
    counts = ak.num(pid)
    flat_pid = ak.to_numpy(ak.flatten(pid))
    charge = ak.unflatten(charges(flat_pid), counts)
    particles = ak.zip({"pid": pid, "px": mom["px"][final], "py": mom["py"][final], "pz": mom["pz"][final],
                        "e": mom["e"][final], "charge": charge})
    abs_status = abs(status)
    hard = (abs_status >= TRUTH_STATUS_MIN) & (abs_status <= TRUTH_STATUS_MAX)
    abs_id = abs(prt["id"])
    heavy = (abs_id == 6) | (abs_id == 23) | (abs_id == 24) | (abs_id == 25) | (abs_id > 1_000_000)
    daughter_id = prt["id"][prt["daughter1"]]
    last_copy = heavy & (status < 0) & (prt["daughter1"] > 0) & (daughter_id != prt["id"]) & ~hard
    hard = hard | last_copy
    truth = ak.zip({"pid": ak.values_astype(prt["id"][hard], np.int32), "px": mom["px"][hard],
                    "py": mom["py"][hard], "pz": mom["pz"][hard], "e": mom["e"][hard], "mass": prt["m"][hard],
                    "status": ak.values_astype(status[hard], np.int32)})
    weights = batch["info"]["weights"]
    weight = ak.to_numpy(ak.fill_none(ak.firsts(weights), 1.0)).astype(np.float64)
    return ak.zip({"particles": particles, "truth": truth, "weight": weight}, depth_limit=1)


def bench_conversion(process: str, n_events: int, repeats: int) -> dict[str, float | str | bool]:
    """Median ms/event of both conversions on the same real Pythia batches (50 events, as in run_batches)."""
    pythia = pythia_run.make_pythia(pythia_settings(get_process(process), seed=3), process)
    charges = ChargeTable(pythia.particleData)
    batches = [pythia.nextBatch(50, "skip") for _ in range(max(n_events // 50, 1))]
    n = sum(len(b) for b in batches)
    identical = all(ak.array_equal(to_particle_level_before(b, charges), to_particle_level(b, charges))
                    and str(to_particle_level_before(b, charges).type) == str(to_particle_level(b, charges).type)
                    for b in batches)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(repeats):
        for label, func in (("before", to_particle_level_before), ("after", to_particle_level)):
            start = time.perf_counter()
            for b in batches:
                func(b, charges)
            times[label].append(1e3 * (time.perf_counter() - start) / n)
    return {"process": process, "events": n, "before_ms_evt": statistics.median(times["before"]),
            "after_ms_evt": statistics.median(times["after"]), "identical": identical,
            "before_all": " ".join(f"{t:.3f}" for t in times["before"]),
            "after_all": " ".join(f"{t:.3f}" for t in times["after"])}


def _arrays(path: Path) -> dict[str, np.ndarray]:
    from susyscan.eventio import read_events

    events, _ = read_events(path)
    out = {}
    for field in ak.fields(events):
        col = events[field]
        if col.ndim > 1:
            out[f"{field}.counts"] = ak.to_numpy(ak.num(col))
            col = ak.flatten(col)
        out[field] = ak.to_numpy(col)
    return out


def bench_chunk(sample: str, process: str, n_events: int, repeats: int) -> dict[str, float | str | bool]:
    """Seconds of one whole generate_chunk (default-run settings) with the before/after conversion."""
    from susyscan.generation.chunk import generate_chunk

    times: dict[str, list[float]] = {"before": [], "after": []}
    outputs: dict[str, dict[str, np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            for label, func in (("before", to_particle_level_before), ("after", to_particle_level)):
                pythia_run.to_particle_level = func
                out = Path(tmp) / f"{label}{i}.root"
                start = time.perf_counter()
                generate_chunk({"name": sample, "process": process}, 0, n_events, 20241123, out,
                               ROOT / "resources" / "detector" / "atlas.yaml",
                               detector_options={"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
                times[label].append(time.perf_counter() - start)
                if i == 0:
                    outputs[label] = _arrays(out)
        pythia_run.to_particle_level = to_particle_level
    a, b = outputs["before"], outputs["after"]
    identical = a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a)
    return {"process": f"{process} chunk", "events": n_events, "before_s": statistics.median(times["before"]),
            "after_s": statistics.median(times["after"]), "identical": identical,
            "before_all": " ".join(f"{t:.2f}" for t in times["before"]),
            "after_all": " ".join(f"{t:.2f}" for t in times["after"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="events per whole-chunk run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="300-event chunks, conversion on 200 events")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    n_conv = 200 if args.quick else 500
    n_chunk = 300 if args.quick else args.events
    conv = [bench_conversion(p, n_conv, max(args.repeats, 5)) for p in ("zz_mumununu", "ttbar_mumu", "smuon_R")
            if get_process(p).slha_model is None]
    chunks = [bench_chunk("zz", "zz_mumununu", n_chunk, args.repeats),
              bench_chunk("ttbar", "ttbar_mumu", n_chunk, args.repeats)]
    lines = ["| measurement | events | before | after | ratio | identical output | before (all) | after (all) |",
             "|---|---:|---:|---:|---:|---|---|---|"]
    for r in conv:
        lines.append(f"| to_particle_level, {r['process']} (ms/event) | {r['events']} | {r['before_ms_evt']:.3f} | "
                     f"{r['after_ms_evt']:.3f} | {r['before_ms_evt'] / r['after_ms_evt']:.1f}x | {r['identical']} | "
                     f"{r['before_all']} | {r['after_all']} |")
    for r in chunks:
        lines.append(f"| generate_chunk {r['process']} (s, Pythia+conversion+detector+write) | {r['events']} | "
                     f"{r['before_s']:.2f} | {r['after_s']:.2f} | {r['before_s'] / r['after_s']:.2f}x | "
                     f"{r['identical']} | {r['before_all']} | {r['after_all']} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "hotspot_measurements.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["process", "events", "before", "after", "identical",
                                                    "before_all", "after_all"])
        writer.writeheader()
        for r in conv:
            writer.writerow({"process": f"to_particle_level {r['process']} ms/evt", "events": r["events"],
                             "before": f"{r['before_ms_evt']:.4f}", "after": f"{r['after_ms_evt']:.4f}",
                             "identical": r["identical"], "before_all": r["before_all"], "after_all": r["after_all"]})
        for r in chunks:
            writer.writerow({"process": f"generate_chunk {r['process']} s", "events": r["events"],
                             "before": f"{r['before_s']:.3f}", "after": f"{r['after_s']:.3f}",
                             "identical": r["identical"], "before_all": r["before_all"], "after_all": r["after_all"]})
    print("\n".join(lines))  # noqa: T201 - benchmark output
    if not all(r["identical"] for r in conv + chunks):
        raise SystemExit("before and after outputs differ")


if __name__ == "__main__":
    main()
