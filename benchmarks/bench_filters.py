"""Generator-filter benchmark: unfiltered-equivalent events/s with and without the workflow's filters, the time
of each stage of a chunk, and a chunk's throughput as a fraction of bare ``Pythia.next()`` on the same settings.

Run: python benchmarks/bench_filters.py [--filtered 400 --unfiltered 300] [--quick]
Writes benchmarks/results/filters.md (table) and filters.json (metrics for run_all.py).

Per process and mode, one run of each:
- bare: ``pythia.next()`` in a loop with the same settings and hook (the limit of a chunk), same seed, timed once
  before and once after the chunk; their mean is the reference (a linear drift of the machine's load cancels) and
  their relative difference is printed as ``bare_drift``;
- chunk: Pythia ``nextBatch`` + hook + extraction (``generate``), detector (``reconstruct``), ``write_events``.
unfiltered-equivalent events/s = hard processes offered to the filter / chunk seconds (= events/s unfiltered).
Ratios are taken within one run. Times are CPU seconds of this process (``time.process_time``), so that other
jobs on a shared machine do not enter; the hook's own time (hook_s) is wall time measured inside the hook.
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
from susyscan.generation.slha import write_slha

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
#: The filter of config/workstation.yaml and config/config.yaml (generation.filters.dimuon_mt2).
DIMUON_MT2 = FilterSpec("dimuon_mt2", "two truth muons pT > 40/15 GeV, truth mT2 > 80 GeV", (40.0, 15.0), 2.5, None,
                        80.0)
PROCESSES = ("ttbar_mumu", "ww_mumu", "zz_mumununu")
#: An unfiltered signal chunk (grid points are never filtered): right-handed smuons at (300, 100) GeV.
SIGNAL = ("smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0})


def bare_seconds(process: str, n_events: int, seed: int, spec: FilterSpec | None,
                 masses: dict[str, float] | None = None) -> float:
    """CPU seconds for ``n_events`` accepted ``pythia.next()`` calls with the chunk's settings and hook."""
    proc = get_process(process)
    hook = make_hook(spec, proc.slepton_pair_fix)
    with tempfile.TemporaryDirectory() as tmp:  # Pythia reads the SLHA file at init
        slha = None
        if proc.slha_model is not None:
            slha = str(write_slha(proc.slha_model, dict(masses or {}), Path(tmp) / f"{process}.slha"))
        pythia = make_pythia(pythia_settings(proc, seed, 13000.0, slha), f"bare {process}", hook)
    start = time.process_time()
    done = 0
    while done < n_events:
        done += bool(pythia.next())
    return time.process_time() - start


def chunk_stages(process: str, n_events: int, seed: int, spec: FilterSpec | None,
                 masses: dict[str, float] | None = None) -> dict[str, float]:
    """Stage CPU seconds of one chunk (Pythia init included) and the hook's counts."""
    start = time.process_time()
    result = generate(process, n_events, seed, masses=masses, filter_spec=spec)
    t_generate = time.process_time() - start
    start = time.process_time()
    reco = reconstruct(result.events, CARD, None, seed, {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
    t_reco = time.process_time() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        weights = ak.to_numpy(result.events["weight"])
        write_events(Path(tmp) / "chunk0.root", reco,
                     {"sample": process, "process": process, "chunk": 0, "seed": seed, "xsec_pb": 1.0,
                      "sum_weights": float(weights.sum()), "xsec_source": "benchmark", "xsec_lo_pb": 1.0,
                      "sqrt_s_gev": 13000.0, "generator": "benchmark", "detector_card": str(CARD),
                      "config_hash": "", "susyscan_version": "benchmark"})
        t_write = time.process_time() - start
    counts = result.filter_counts
    return {"generate": t_generate, "hook": counts.hook_seconds if counts else 0.0, "reco": t_reco,
            "write": t_write, "n_considered": counts.n_considered if (counts and spec) else n_events,
            "efficiency": result.filter_efficiency()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--filtered", type=int, default=2000,
                        help="accepted events per filtered run (default: a chunk of config/workstation.yaml)")
    parser.add_argument("--unfiltered", type=int, default=2000, help="events per unfiltered run (a workstation chunk)")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--quick", action="store_true", help="100 filtered / 100 unfiltered events per process")
    args = parser.parse_args()
    if args.quick:
        args.filtered = args.unfiltered = 100
    rows, metrics = [], []

    def measure(process: str, mode: str, spec: FilterSpec | None, n: int,
                masses: dict[str, float] | None = None) -> float:
        """One table row (bare before, chunk, bare after); returns unfiltered-equivalent events/s."""
        bare_before = bare_seconds(process, n, args.seed, spec, masses)
        st = chunk_stages(process, n, args.seed, spec, masses)
        bare_after = bare_seconds(process, n, args.seed, spec, masses)
        bare = 0.5 * (bare_before + bare_after)
        chunk = st["generate"] + st["reco"] + st["write"]
        equiv = st["n_considered"] / chunk
        label = process + (" " + ",".join(f"{v:g}" for v in masses.values()) if masses else "")
        rows.append({"process": label, "mode": mode, "events": n, "filter_eff": st["efficiency"],
                     "bare_next_s": bare, "bare_drift": (bare_after - bare_before) / bare,
                     "generate_s": st["generate"], "hook_s": st["hook"],
                     "reco_s": st["reco"], "write_s": st["write"], "chunk_s": chunk,
                     "accepted_per_s": n / chunk, "unfiltered_equiv_per_s": equiv,
                     "bare_over_chunk": bare / chunk})
        metrics.append((f"filters/{process}/{mode}", "unfiltered_equiv_events_per_s", equiv, "events/s"))
        metrics.append((f"filters/{process}/{mode}", "bare_next_over_chunk", bare / chunk, "ratio"))
        print(rows[-1], flush=True)  # noqa: T201  (a row as soon as it is measured)
        return equiv

    for process in PROCESSES:
        unfiltered = measure(process, "unfiltered", None, args.unfiltered)
        speedup = measure(process, "dimuon_mt2", DIMUON_MT2, args.filtered) / unfiltered
        rows[-1]["speedup"] = speedup
        metrics.append((f"filters/{process}", "speedup_unfiltered_equiv", speedup, "x"))
    measure(SIGNAL[0], "unfiltered", None, args.unfiltered, SIGNAL[1])
    header = ["process", "mode", "events", "filter_eff", "bare_next_s", "bare_drift", "generate_s", "hook_s", "reco_s",
              "write_s", "chunk_s", "accepted_per_s", "unfiltered_equiv_per_s", "bare_over_chunk", "speedup"]
    lines = [f"# Generator filters ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"`python benchmarks/bench_filters.py --filtered {args.filtered} --unfiltered {args.unfiltered}`; "
             "one run, CPU seconds; generate_s = Pythia nextBatch + hook + extraction; bare_next_s = mean of "
             "the bare runs before and after the chunk.", "",
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
