"""Throughput of the detector simulation and of the HepMC / Delphes readers.

Run: python benchmarks/bench_detector.py [--events 2000] [--particles 300] [--quick]
Writes benchmarks/results/detector.md (+ detector.json for benchmarks/run_all.py). --quick: 500 events.
"""

from __future__ import annotations

import argparse
import logging
import platform
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from _metrics import write_metrics

from susyscan.detector import load_card, simulate
from susyscan.detector.synthetic import random_events
from susyscan.ingest.delphes import read_delphes
from susyscan.ingest.hepmc import read_hepmc

RESULTS = Path(__file__).resolve().parent / "results" / "detector.md"


def write_hepmc_text(path: Path, events: ak.Array) -> None:
    """HepMC3 ASCII with one vertex-less status-1 particle per final-state particle (fast numpy formatting)."""
    parts = events.particles
    lines = ["HepMC::Version 3.02.05", "HepMC::Asciiv3-START_EVENT_LISTING"]
    for i in range(len(events)):
        p = parts[i]
        n = len(p)
        mass = np.sqrt(np.maximum(ak.to_numpy(p.e) ** 2 - ak.to_numpy(p.px) ** 2 - ak.to_numpy(p.py) ** 2 - ak.to_numpy(p.pz) ** 2, 0))
        block = np.column_stack([np.arange(1, n + 1), np.zeros(n, int), ak.to_numpy(p.pid)])
        kin = np.column_stack([ak.to_numpy(p.px), ak.to_numpy(p.py), ak.to_numpy(p.pz), ak.to_numpy(p.e), mass])
        lines += [f"E {i} 0 {n}", "U GEV MM", "W 1.0"]
        lines += [f"P {a} {b} {c} {x[0]:.8e} {x[1]:.8e} {x[2]:.8e} {x[3]:.8e} {x[4]:.8e} 1" for (a, b, c), x in zip(block, kin)]
    lines.append("HepMC::Asciiv3-END_EVENT_LISTING")
    path.write_text("\n".join(lines) + "\n")


def write_delphes_like(path: Path, n_events: int, rng: np.random.Generator) -> None:
    """A Delphes-like tree (Coll.Field branches) with typical multiplicities and ~200 EFlow objects per event."""
    def coll(mean: float, fields: dict[str, str]) -> ak.Array:
        counts = rng.poisson(mean, n_events)
        total = counts.sum()
        data = {}
        for name, kind in fields.items():
            data[name] = (rng.integers(-1, 2, total).astype(np.int32) if kind == "i" else
                          rng.exponential(20.0, total).astype(np.float32))
        return ak.unflatten(ak.zip(data), counts)
    f4 = {"PT": "f", "Eta": "f", "Phi": "f"}
    content = {
        "Event": ak.unflatten(ak.zip({"Weight": np.ones(n_events, np.float32)}), np.ones(n_events, int)),
        "Electron": coll(0.5, f4 | {"Charge": "i", "IsolationVar": "f"}),
        "Muon": coll(0.5, f4 | {"Charge": "i", "IsolationVar": "f"}),
        "Photon": coll(0.5, f4 | {"IsolationVar": "f"}),
        "Jet": coll(5, f4 | {"Mass": "f", "BTag": "i", "TauTag": "i", "Charge": "i"}),
        "FatJet": coll(2, f4 | {"Mass": "f", "BTag": "i"}),
        "MissingET": ak.unflatten(ak.zip({"MET": rng.exponential(30, n_events).astype(np.float32),
                                          "Phi": rng.uniform(-3, 3, n_events).astype(np.float32)}), np.ones(n_events, int)),
        "EFlowTrack": coll(120, f4 | {"Charge": "i", "PID": "i"}),
        "EFlowPhoton": coll(60, {"ET": "f", "Eta": "f", "Phi": "f"}),
        "EFlowNeutralHadron": coll(20, {"ET": "f", "Eta": "f", "Phi": "f"}),
    }
    with uproot.recreate(path) as handle:
        handle.mktree("Delphes", {k: v.type.content for k, v in content.items()},
                      counter_name=lambda c: f"{c}_size", field_name=lambda o, i: i if o == "" else f"{o}.{i}")
        handle["Delphes"].extend(content)


def timed(label: str, n: int, func) -> tuple[str, int, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    return label, n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--particles", type=int, default=300)
    parser.add_argument("--lhe", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data" / "events" / "pylhe-testfile-pythia-6.413-ttbar.lhe",
                        help="LHE file showered with Pythia for a realistic simulate() rate (skipped if absent)")
    parser.add_argument("--lhe-events", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="500 synthetic events, 100 LHE events")
    args = parser.parse_args()
    if args.quick:
        args.events, args.lhe_events = min(args.events, 500), min(args.lhe_events, 100)
    logging.basicConfig(level=logging.WARNING)
    rng = np.random.default_rng(1)
    card = load_card()
    events = random_events(args.events, args.particles, rng)
    simulate(events[:50], card, np.random.default_rng(0))  # warm-up (fastjet import, banner)
    rows = [timed(f"simulate() ({args.particles} particles/event)", args.events,
                  lambda: simulate(events, card, np.random.default_rng(2)))]
    if args.lhe.exists():
        from susyscan.ingest.lhe import shower_lhe

        showered, _ = shower_lhe(args.lhe, n_events=args.lhe_events, seed=1)
        mean_n = float(ak.mean(ak.num(showered.particles)))
        rows.append(timed(f"simulate() on Pythia-showered {args.lhe.name} ({mean_n:.0f} particles/event)",
                          len(showered), lambda: simulate(showered, card, np.random.default_rng(3))))
    with tempfile.TemporaryDirectory() as tmp:
        n_hepmc = min(args.events, 1000)
        hepmc = Path(tmp) / "bench.hepmc"
        write_hepmc_text(hepmc, events[:n_hepmc])
        rows.append(timed(f"read_hepmc() ({args.particles} particles/event)", n_hepmc, lambda: read_hepmc(hepmc)))
        n_delphes = 10 * args.events
        delphes = Path(tmp) / "bench_delphes.root"
        write_delphes_like(delphes, n_delphes, rng)
        rows.append(timed("read_delphes() (~200 EFlow objects/event)", n_delphes, lambda: read_delphes(delphes)))
    lines = ["# Detector and reader throughput", "",
             f"Machine: {platform.machine()}, {platform.python_version()}, single process; "
             f"synthetic events from `susyscan.detector.synthetic.random_events` (seed 1).", "",
             "| step | events | seconds | events/s |", "|---|---:|---:|---:|"]
    lines += [f"| {label} | {n} | {sec:.2f} | {n / sec:.0f} |" for label, n, sec in rows]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    stages = {"simulate": "detector", "read_hepmc": "ingestion", "read_delphes": "ingestion"}
    write_metrics("detector", [(next(v for k, v in stages.items() if label.startswith(k)), label, n / sec, "events/s")
                               for label, n, sec in rows], events=args.events)
    logging.getLogger(__name__).warning("\n".join(lines))


if __name__ == "__main__":
    main()
