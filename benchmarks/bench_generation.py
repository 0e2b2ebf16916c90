"""Benchmark: events/s for Pythia generation (+ extraction), + detector simulation, and LHE ingestion.

Run: python benchmarks/bench_generation.py [--n-events 200] [--quick]; writes benchmarks/results/generation.md
(+ generation.json, collected by benchmarks/run_all.py). --quick: 100 events per process.
"""

from __future__ import annotations

import argparse
import logging
import platform
import time
from pathlib import Path

import numpy as np

from _metrics import write_metrics

from susyscan.generation.extract import ChargeTable, to_particle_level
from susyscan.generation.processes import PROCESSES, get_process, pythia_settings
from susyscan.generation.pythia_run import make_pythia
from susyscan.generation.slha import write_slha

# benchmark mass point per mass key (signal processes take the keys they declare in spec.mass_keys)
BENCH_MASSES = {"m_smuon": 300.0, "m_neutralino": 100.0, "m_squark": 1000.0, "m_ewkino": 200.0,
                "m_electroweakino": 200.0}
LHE_FILES = [
    Path(__file__).resolve().parents[1] / "tests" / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-mlm.lhe.gz",
    Path(__file__).resolve().parents[1] / "tests" / "data" / "events" / "pylhe-testfile-pythia-6.413-ttbar.lhe",
]
OUT = Path(__file__).resolve().parent / "results" / "generation.md"


def _detector():  # noqa: ANN202
    try:
        from susyscan.detector import load_card, simulate
    except ImportError:
        return None
    card = load_card(None, None)
    return lambda events: simulate(events, card, np.random.default_rng(1))


def bench_process(name: str, n_events: int, tmp: Path, detector) -> dict[str, float | str]:  # noqa: ANN001
    """Time Pythia nextBatch, conversion to the contract, and the detector for one process."""
    spec = get_process(name)
    slha = None
    if spec.slha_model:
        masses = {k: BENCH_MASSES[k] for k in spec.mass_keys}
        slha = str(write_slha(spec.slha_model, masses, tmp / f"{name}.slha"))
    pythia = make_pythia(pythia_settings(spec, seed=1, slha_path=slha), name)
    charges = ChargeTable(pythia.particleData)
    t_gen = t_ext = 0.0
    parts = []
    done = 0
    while done < n_events:
        t0 = time.perf_counter()
        batch = pythia.nextBatch(min(50, n_events - done), "skip")
        t1 = time.perf_counter()
        parts.append(to_particle_level(batch, charges))
        t_ext += time.perf_counter() - t1
        t_gen += t1 - t0
        done += len(batch)
    import awkward as ak

    events = ak.concatenate(parts)
    row: dict[str, float | str] = {
        "process": name,
        "events": done,
        "pythia ms/evt": 1e3 * t_gen / done,
        "extract ms/evt": 1e3 * t_ext / done,
        "gen evt/s": done / (t_gen + t_ext),
    }
    if detector is not None:
        t0 = time.perf_counter()
        detector(events)
        t_det = time.perf_counter() - t0
        row["detector ms/evt"] = 1e3 * t_det / done
        row["gen+det evt/s"] = done / (t_gen + t_ext + t_det)
    return row


def bench_lhe(path: Path, n_events: int, detector) -> dict[str, float | str]:  # noqa: ANN001
    """Time shower_lhe on the first ``n_events`` LHE events (matched/merged as the header says).

    ``n_events`` counts LHE events read (shower_lhe's meaning; at most the file's), matching vetoes leave fewer
    showered events. The per-event columns are per showered event (what the analysis gets), ``ms/LHE evt`` per
    LHE event read.
    """
    from susyscan.ingest.lhe import scan_lhe, shower_lhe

    n_events = min(n_events, int(scan_lhe(path)["n_events"]))  # asking for more than the file holds is an error
    t0 = time.perf_counter()
    events, info = shower_lhe(path, n_events=n_events, seed=1)
    seconds = time.perf_counter() - t0
    row: dict[str, float | str] = {
        "process": f"LHE {path.name} ({info['scheme']}, acc {info['acceptance']:.2f})",
        "LHE read": int(info["n_read"]),
        "events": len(events),
        "pythia ms/evt": 1e3 * seconds / len(events),
        "ms/LHE evt": 1e3 * seconds / max(int(info["n_read"]), 1),
        "extract ms/evt": float("nan"),
        "gen evt/s": len(events) / seconds,
    }
    if detector is not None:
        t1 = time.perf_counter()
        detector(events)
        t_det = time.perf_counter() - t1
        row["detector ms/evt"] = 1e3 * t_det / len(events)
        row["gen+det evt/s"] = len(events) / (seconds + t_det)
    return row


def to_markdown(rows: list[dict[str, float | str]]) -> str:
    """Markdown table of the benchmark rows."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = [f"{r[c]:.3g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run all benchmarks, print the table and write benchmarks/results/generation.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-events", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="100 events per process")
    args = parser.parse_args()
    if args.quick:
        args.n_events = min(args.n_events, 100)
    logging.basicConfig(level=logging.WARNING)
    import tempfile

    detector = _detector()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in PROCESSES:
            if any(k not in BENCH_MASSES for k in get_process(name).mass_keys):
                logging.getLogger(__name__).warning("skipping %s: no benchmark mass for %s", name,
                                                    get_process(name).mass_keys)
                continue
            rows.append(bench_process(name, args.n_events, Path(tmp), detector))
    for path in LHE_FILES:
        if path.exists():
            rows.append(bench_lhe(path, args.n_events, detector))
    table = to_markdown(rows)
    print(table)  # noqa: T201 - benchmark output
    header = (
        "# Generation benchmark\n\n"
        f"`python benchmarks/bench_generation.py --n-events {args.n_events}` on {platform.node()} "
        f"({platform.processor() or platform.machine()}, 1 process, shared 2-core machine), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
        "Pythia: hard process + shower + hadronisation (Pythia.nextBatch); extract: conversion of the\n"
        "event record to the particle-level contract (awkward, columnar); detector: susyscan.detector.simulate.\n"
        "Generated processes exclude Pythia initialisation (0.1-0.5 s per run); LHE rows read the first N LHE events\n"
        "(`LHE read`; `events` = showered events left after the matching vetoes) and include initialisation, the\n"
        "integrity scan of the file and the vetoed events (their pythia column is the whole shower_lhe time per\n"
        "showered event, `ms/LHE evt` the same time per LHE event read).\n\n"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(header + table + "\n")
    metrics = []
    for r in rows:
        name = str(r["process"])
        if name.startswith("LHE "):
            short = name.split(" (")[0].replace("LHE pylhe-testfile-", "LHE ")
            metrics.append(("ingestion", f"{short} shower{' + MLM' if '(mlm' in name else ''} (read+Pythia)",
                            r["gen evt/s"], "events/s"))
            if "gen+det evt/s" in r:
                metrics.append(("ingestion+detector", short, r["gen+det evt/s"], "events/s"))
        else:
            metrics.append(("generation", f"{name} (Pythia + extraction)", r["gen evt/s"], "events/s"))
            if "gen+det evt/s" in r:
                metrics.append(("generation+detector", name, r["gen+det evt/s"], "events/s"))
    write_metrics("generation", metrics, n_events=args.n_events)


if __name__ == "__main__":
    main()
