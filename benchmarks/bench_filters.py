"""Generator-filter benchmark: unfiltered-equivalent events/s with and without the workflow's filters, the time
of each stage of a chunk, and a chunk's throughput as a fraction of bare ``Pythia.next()`` on the same settings.

Run: python benchmarks/bench_filters.py [--events 2000 --repeats 3] [--only ttbar] [--quick]
Writes benchmarks/results/filters.md (table) and filters.json (metrics for run_all.py); ``--name`` changes the stem.

Per row (process and mode) and repetition, in one process, interleaved (bare first in even repetitions, chunk
first in odd ones, so that a drift of the machine's load does not favour either):
- bare: ``pythia.next()`` in a loop with the same settings, seed and hook, until ``--events`` events are accepted
  (the limit of a chunk); its Pythia init is timed separately;
- chunk: ``generate`` (Pythia init + ``nextBatch`` + hook + extraction), the detector (``reconstruct``) and
  ``write_events``: what a workflow chunk job does.
Bare and chunk use the same seed, so they generate the same events (the hook counts are compared): their ratio
carries no statistical fluctuation of the events, only the machine's. Times are CPU seconds of this process
(``time.process_time``); other jobs on a shared machine still slow it through cache and memory contention, so the
table gives the median and the range over the repetitions. unfiltered-equivalent events/s = hard processes offered
to the filter / chunk seconds (= events/s unfiltered).
"""

from __future__ import annotations

import argparse
import os
import statistics
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
DIMUON_MT2 = FilterSpec("dimuon_mt2", "two truth muons pT > 40/15 GeV, truth mT2 > 80 GeV", muon_pt_min=(40.0, 15.0),
                        muon_abs_eta_max=2.5, mt2_min=80.0)
#: An unfiltered signal chunk (grid points are never filtered): right-handed smuons at (300, 100) GeV.
SIGNAL = ("smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0})
#: (process, mode, filter, masses) of each row.
ROWS: list[tuple[str, str, FilterSpec | None, dict[str, float] | None]] = [
    *[(p, mode, spec, None) for p in ("ttbar_mumu", "ww_mumu", "zz_mumununu")
      for mode, spec in (("unfiltered", None), ("dimuon_mt2", DIMUON_MT2))],
    (SIGNAL[0], "unfiltered", None, SIGNAL[1]),
]


def bare_seconds(process: str, n_events: int, seed: int, spec: FilterSpec | None,
                 masses: dict[str, float] | None = None) -> dict[str, float]:
    """CPU seconds of Pythia's init and of ``n_events`` accepted ``pythia.next()`` calls (chunk's settings and
    hook), and the hard processes the hook considered."""
    proc = get_process(process)
    hook = make_hook(spec, proc.slepton_pair_fix)
    with tempfile.TemporaryDirectory() as tmp:  # Pythia reads the SLHA file at init
        slha = None
        if proc.slha_model is not None:
            slha = str(write_slha(proc.slha_model, dict(masses or {}), Path(tmp) / f"{process}.slha"))
        start = time.process_time()
        pythia = make_pythia(pythia_settings(proc, seed, 13000.0, slha), f"bare {process}", hook)
        init = time.process_time() - start
    start = time.process_time()
    done = 0
    while done < n_events:
        done += bool(pythia.next())
    seconds = time.process_time() - start
    considered = hook.counts.n_considered if (hook is not None and spec is not None) else n_events
    return {"init": init, "next": seconds, "n_considered": considered}


def chunk_stages(process: str, n_events: int, seed: int, spec: FilterSpec | None,
                 masses: dict[str, float] | None = None, thresholds: list[float] | None = None,
                 reverse: bool = False) -> dict[str, float]:
    """Stage CPU seconds of one chunk and the hook's counts: init, nextBatch (+ hook), extraction, detector,
    writing. With ``thresholds`` the detector and the writing run once per ``jets.input_energy_min`` value on the
    same events (keys ``reco@<value>``, ``write@<value>``, ``chunk@<value>``; in reverse order with ``reverse``);
    the plain keys are the first value's."""
    start = time.process_time()
    result = generate(process, n_events, seed, masses=masses, filter_spec=spec)
    t_generate = time.process_time() - start
    per_value: dict[str, float] = {}
    values: list[float | None] = list(thresholds) if thresholds else [None]
    for value in reversed(values) if reverse else values:
        overrides = None if value is None else {"jets.input_energy_min": value}
        start = time.process_time()
        reco = reconstruct(result.events, CARD, overrides, seed, {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
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
        if value is not None:
            per_value |= {f"reco@{value:g}": t_reco, f"write@{value:g}": t_write,
                          f"chunk@{value:g}": t_generate + t_reco + t_write}
        if value == values[0]:
            per_value |= {"reco": t_reco, "write": t_write}
    counts = result.filter_counts
    init, extract = result.init_cpu_seconds, result.extract_cpu_seconds
    return {"init": init, "batch": t_generate - init - extract, "extract": extract, "hook": counts.hook_seconds
            if counts else 0.0, **per_value, "chunk": t_generate + per_value["reco"] + per_value["write"],
            "n_considered": counts.n_considered if (counts and spec) else n_events,
            "efficiency": result.filter_efficiency()[0]}


def spread(values: list[float]) -> str:
    """'median [min-max]' with 3 significant digits."""
    return f"{statistics.median(values):.3g} [{min(values):.3g}-{max(values):.3g}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000,
                        help="accepted events per chunk (default: a chunk of config/workstation.yaml)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions of every row")
    parser.add_argument("--only", default="", help="comma-separated substrings of the rows to run (e.g. ttbar)")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--quick", action="store_true", help="100 events per chunk, 2 repetitions")
    parser.add_argument("--input-energy-min", default="",
                        help="comma-separated jets.input_energy_min values (GeV): the detector and writing of every "
                             "chunk run once per value on the same events, and chunk / bare is given per value "
                             "(default: the card's own value only)")
    parser.add_argument("--name", default="filters",
                        help="results file stem: benchmarks/results/<name>.md and <name>.json (default: filters)")
    args = parser.parse_args()
    if args.quick:
        args.events, args.repeats = 100, 2
    rows = [r for r in ROWS if not args.only or any(s in f"{r[0]} {r[1]}" for s in args.only.split(","))]
    thresholds = [float(v) for v in args.input_energy_min.split(",")] if args.input_energy_min else None
    runs: dict[int, list[dict[str, float]]] = {i: [] for i in range(len(rows))}
    load_before = os.getloadavg()[0]
    for rep in range(args.repeats):
        for i, (process, mode, spec, masses) in enumerate(rows):
            if rep % 2 == 0:
                bare = bare_seconds(process, args.events, args.seed, spec, masses)
                st = chunk_stages(process, args.events, args.seed, spec, masses, thresholds)
            else:
                st = chunk_stages(process, args.events, args.seed, spec, masses, thresholds, reverse=True)
                bare = bare_seconds(process, args.events, args.seed, spec, masses)
            if bare["n_considered"] != st["n_considered"]:
                raise RuntimeError(f"{process} {mode}: bare and chunk runs saw different events "
                                   f"({bare['n_considered']} vs {st['n_considered']} hard processes)")
            run = {**st, **{f"ratio@{v:g}": bare["next"] / st[f"chunk@{v:g}"] for v in thresholds or []},
                   "bare": bare["next"], "bare_init": bare["init"], "ratio": bare["next"] / st["chunk"],
                   "ratio_no_init": bare["next"] / (st["chunk"] - st["init"]),
                   "equiv_per_s": st["n_considered"] / st["chunk"], "load": os.getloadavg()[0]}
            runs[i].append(run)
            print(f"rep {rep} {process} {mode}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()),  # noqa: T201
                  flush=True)
    metrics: list[tuple[str, str, float, str]] = []
    header = ["process", "mode", "filter eff", "bare next() s", "init", "nextBatch", "extract", "detector",
              "write", "chunk s", "unfiltered-equiv. events/s", "**chunk / bare** median [range]",
              "without init", "speed-up"]
    lines: list[str] = []
    value_lines: list[str] = []
    unfiltered_equiv: dict[str, float] = {}
    for i, (process, mode, _spec, masses) in enumerate(rows):
        rs = runs[i]

        def med(key: str, rs: list[dict[str, float]] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        bare_s = med("bare")
        equiv = med("equiv_per_s")
        stage = "filters/" + process
        speedup = ""
        if mode == "unfiltered":
            unfiltered_equiv[process] = equiv
        elif process in unfiltered_equiv:
            ratio = equiv / unfiltered_equiv[process]
            speedup = f"{ratio:.0f}x"
            metrics.append((stage, "speedup_unfiltered_equiv", ratio, "x"))
        metrics.append((f"{stage}/{mode}", "unfiltered_equiv_events_per_s", equiv, "events/s"))
        metrics.append((f"{stage}/{mode}", "bare_next_over_chunk", med("ratio"), "ratio"))
        metrics.append((f"{stage}/{mode}", "bare_next_over_chunk_min", min(r["ratio"] for r in rs), "ratio"))
        label = process + ("" if masses is None else " " + ",".join(f"{v:g}" for v in masses.values()))
        cells = [label, mode, f"{med('efficiency'):.3g}", f"{bare_s:.3g}"]
        cells += [f"{100 * med(k) / bare_s:.1f} %" for k in ("init", "batch", "extract", "reco", "write")]
        cells += [f"{med('chunk'):.3g}", f"{equiv:.4g}", f"**{spread([r['ratio'] for r in rs])}**",
                  spread([r["ratio_no_init"] for r in rs]), speedup]
        lines.append("| " + " | ".join(cells) + " |")
        for value in thresholds or []:
            cells = [label, mode, f"jets.input_energy_min = {value:g} GeV", f"{bare_s:.3g}"]
            cells += ["", "", "", f"{100 * med(f'reco@{value:g}') / bare_s:.1f} %",
                      f"{100 * med(f'write@{value:g}') / bare_s:.1f} %", f"{med(f'chunk@{value:g}'):.3g}", "",
                      f"**{spread([r[f'ratio@{value:g}'] for r in rs])}**", "", ""]
            value_lines.append("| " + " | ".join(cells) + " |")
    if value_lines:
        lines += ["", "Per jet-input threshold (the same events' detector and writing, run after one another in "
                  "every repetition, in reverse order in odd ones; the rows above are the first value):", "", "| " + " | ".join(header) + " |",
                  "|" + "---|" * len(header), *value_lines]
    text = "\n".join([
        f"# Generator filters ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`python benchmarks/bench_filters.py --events {args.events} --repeats {args.repeats}"
        f"{' --only ' + args.only if args.only else ''}"
        f"{' --input-energy-min ' + args.input_energy_min if args.input_energy_min else ''}"
        f"{'' if args.name == 'filters' else ' --name ' + args.name}`: CPU seconds (`process_time`) of one process, bare and chunk "
        f"interleaved, same seed (same events), {args.repeats} repetitions; load average {load_before:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (2-core machine shared with other jobs).", "",
        "Stage columns: median CPU time as a percentage of the bare `next()` loop. `nextBatch` = Pythia with the hook "
        "inside `nextBatch` (pythia8mc's conversion of the event record to awkward arrays included; the hook also runs "
        "in the bare loop). chunk / bare = bare `next()` seconds over the chunk's seconds (init included), median "
        "[min-max] over the repetitions; `without init` leaves Pythia's init out of the chunk.", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header), *lines, ""])
    (RESULTS / f"{args.name}.md").write_text(text)
    write_metrics(args.name, metrics)
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
