"""Generator-filter benchmark: unfiltered-equivalent events/s with and without the workflow's filters, the time
of each stage of a chunk, and a chunk's throughput as a fraction of bare ``Pythia.next()`` on the same settings.

Run: python benchmarks/bench_filters.py [--filtered 400 --unfiltered 300] [--quick]
Writes benchmarks/results/filters.md (table) and filters.json (metrics for run_all.py).

Per process and mode, one run of each:
- bare: ``pythia.next()`` in a loop with the same settings and hook (the limit of a chunk), same seed;
- chunk: Pythia ``nextBatch`` + hook + extraction (``generate``), detector (``reconstruct``), ``write_events``.
unfiltered-equivalent events/s = hard processes offered to the filter / chunk seconds (= events/s unfiltered).
Ratios are taken within one run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import awkward as ak
from _metrics import RESULTS, write_metrics

from susyscan.eventio import write_events
from susyscan.generation.chunk import reconstruct
from susyscan.generation.filters import FilterSpec, make_hook
from susyscan.generation.processes import get_process, pythia_settings
from susyscan.generation.pythia_run import generate, make_pythia

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
#: The filter of config/workstation.yaml and config/config.yaml (generation.filters.dimuon_mt2).
DIMUON_MT2 = FilterSpec("dimuon_mt2", "two truth muons pT > 40/15 GeV, truth mT2 > 80 GeV", (40.0, 15.0), 2.5, None,
                        80.0)
PROCESSES = ("ttbar_mumu", "ww_mumu", "zz_mumununu")


def bare_seconds(process: str, n_events: int, seed: int, spec: FilterSpec | None) -> float:
    """Seconds for ``n_events`` accepted ``pythia.next()`` calls with the chunk's settings and hook."""
    proc = get_process(process)
    hook = make_hook(spec, proc.slepton_pair_fix)
    pythia = make_pythia(pythia_settings(proc, seed), f"bare {process}", hook)
    start = time.perf_counter()
    done = 0
    while done < n_events:
        done += bool(pythia.next())
    return time.perf_counter() - start


def chunk_stages(process: str, n_events: int, seed: int, spec: FilterSpec | None) -> dict[str, float]:
    """Stage seconds of one chunk and the hook's counts."""
    result = generate(process, n_events, seed, filter_spec=spec)
    start = time.perf_counter()
    reco = reconstruct(result.events, CARD, None, seed, {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
    t_reco = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        weights = ak.to_numpy(result.events["weight"])
        write_events(Path(tmp) / "chunk0.root", reco,
                     {"sample": process, "process": process, "chunk": 0, "seed": seed, "xsec_pb": 1.0,
                      "sum_weights": float(weights.sum()), "xsec_source": "benchmark", "xsec_lo_pb": 1.0,
                      "sqrt_s_gev": 13000.0, "generator": "benchmark", "detector_card": str(CARD),
                      "config_hash": "", "susyscan_version": "benchmark"})
        t_write = time.perf_counter() - start
    counts = result.filter_counts
    return {"generate": result.seconds, "hook": counts.hook_seconds if counts else 0.0, "reco": t_reco,
            "write": t_write, "n_considered": counts.n_considered if (counts and spec) else n_events,
            "efficiency": result.filter_efficiency()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filtered", type=int, default=400, help="accepted events per filtered run")
    parser.add_argument("--unfiltered", type=int, default=300, help="events per unfiltered run")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--quick", action="store_true", help="100 filtered / 100 unfiltered events per process")
    args = parser.parse_args()
    if args.quick:
        args.filtered = args.unfiltered = 100
    rows, metrics = [], []
    for process in PROCESSES:
        per_mode = {}
        for mode, spec, n in (("unfiltered", None, args.unfiltered), ("dimuon_mt2", DIMUON_MT2, args.filtered)):
            bare = bare_seconds(process, n, args.seed, spec)
            st = chunk_stages(process, n, args.seed, spec)
            chunk = st["generate"] + st["reco"] + st["write"]
            equiv = st["n_considered"] / chunk
            per_mode[mode] = equiv
            rows.append({"process": process, "mode": mode, "events": n, "filter_eff": st["efficiency"],
                         "bare_next_s": bare, "generate_s": st["generate"], "hook_s": st["hook"],
                         "reco_s": st["reco"], "write_s": st["write"], "chunk_s": chunk,
                         "accepted_per_s": n / chunk, "unfiltered_equiv_per_s": equiv,
                         "bare_over_chunk": bare / chunk})
            metrics.append((f"filters/{process}/{mode}", "unfiltered_equiv_events_per_s", equiv, "events/s"))
            metrics.append((f"filters/{process}/{mode}", "bare_next_over_chunk", bare / chunk, "ratio"))
        speedup = per_mode["dimuon_mt2"] / per_mode["unfiltered"]
        rows[-1]["speedup"] = speedup
        metrics.append((f"filters/{process}", "speedup_unfiltered_equiv", speedup, "x"))
    header = ["process", "mode", "events", "filter_eff", "bare_next_s", "generate_s", "hook_s", "reco_s", "write_s",
              "chunk_s", "accepted_per_s", "unfiltered_equiv_per_s", "bare_over_chunk", "speedup"]
    lines = [f"# Generator filters ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"`python benchmarks/bench_filters.py --filtered {args.filtered} --unfiltered {args.unfiltered}`; "
             "one run, one core per process; generate_s = Pythia nextBatch + hook + extraction.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.get(h, "") for h in header]
        lines.append("| " + " | ".join(f"{c:.4g}" if isinstance(c, float) else str(c) for c in cells) + " |")
    text = "\n".join(lines) + "\n"
    (RESULTS / "filters.md").write_text(text)
    write_metrics("filters", metrics)
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
