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
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pythia8mc
from _metrics import RESULTS, write_metrics

from susyscan.detector import load_card
from susyscan.eventio import write_events
from susyscan.generation.allocator import keep_freed_memory
from susyscan.generation.chunk import reconstruct
from susyscan.generation.filters import FilterSpec, PartonLevelVeto, ProcessLevelVeto, make_hook
from susyscan.generation.processes import get_process, pythia_settings
from susyscan.generation.pythia_run import BATCH_SIZE, generate, make_pythia, run_batches
from susyscan.generation.slha import write_slha

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
#: The filter of config/workstation.yaml and config/config.yaml (generation.filters.dimuon_mt2).
DIMUON_MT2 = FilterSpec("dimuon_mt2", "two truth muons pT > 40/15 GeV, truth mT2 > 80 GeV", muon_pt_min=(40.0, 15.0),
                        muon_abs_eta_max=2.5, mt2_min=80.0)
#: An unfiltered signal chunk (grid points are never filtered): right-handed smuons at (300, 100) GeV.
SIGNAL = ("smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0})
#: The detector options of the workflow's chunks (smuon analysis).
DETECTOR_OPTIONS = {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0}
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
    (pythia, hook, init), = initialised(process, seed, spec, masses, ["bare"])
    start = time.process_time()
    next_accepted(pythia, n_events)
    seconds = time.process_time() - start
    considered = hook.counts.n_considered if (hook is not None and spec is not None) else n_events
    return {"init": init, "next": seconds, "n_considered": considered}


def initialised(process: str, seed: int, spec: FilterSpec | None, masses: dict[str, float] | None,
                names: list[str]) -> list[tuple[pythia8mc.Pythia, ProcessLevelVeto | PartonLevelVeto | None, float]]:
    """One initialised Pythia per name with the chunk's settings, seed and hook (its own hook each), and the CPU
    seconds of its init."""
    proc = get_process(process)
    out = []
    with tempfile.TemporaryDirectory() as tmp:  # Pythia reads the SLHA file at init
        slha = None
        if proc.slha_model is not None:
            slha = str(write_slha(proc.slha_model, dict(masses or {}), Path(tmp) / f"{process}.slha"))
        for name in names:
            hook = make_hook(spec, proc.slepton_pair_fix)
            start = time.process_time()
            pythia = make_pythia(pythia_settings(proc, seed, 13000.0, slha), f"{name} {process}", hook)
            out.append((pythia, hook, time.process_time() - start))
    return out


def next_accepted(pythia: pythia8mc.Pythia, n_events: int) -> None:
    """``pythia.next()`` until ``n_events`` events are accepted."""
    done = 0
    while done < n_events:
        done += bool(pythia.next())


def write_seconds(reco: ak.Array, events: ak.Array, process: str, seed: int) -> float:
    """CPU seconds of ``write_events`` of a chunk's detector output (benchmark metadata) to a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        weights = ak.to_numpy(events["weight"])
        write_events(Path(tmp) / "chunk0.root", reco,
                     {"sample": process, "process": process, "chunk": 0, "seed": seed, "xsec_pb": 1.0,
                      "sum_weights": float(weights.sum()), "xsec_source": "benchmark", "xsec_lo_pb": 1.0,
                      "sqrt_s_gev": 13000.0, "generator": "benchmark", "detector_card": str(CARD),
                      "config_hash": "", "susyscan_version": "benchmark"})
        return time.process_time() - start


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
        reco = reconstruct(result.events, load_card(CARD, overrides), seed, DETECTOR_OPTIONS)
        t_reco = time.process_time() - start
        t_write = write_seconds(reco, result.events, process, seed)
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


def interleaved_segments(process: str, n_events: int, segment: int, seed: int, spec: FilterSpec | None,
                         masses: dict[str, float] | None = None) -> dict[str, Any]:
    """Bare ``next()`` and the chunk's per-event stages alternating in segments of ``segment`` accepted events.

    Two Pythia instances with the chunk's settings, seed and hook generate the same events (hook counts checked);
    per segment, in alternating order (bare first in even segments): the bare loop, then the chunk's
    ``run_batches`` (one ``nextBatch`` of the segment + hook + extraction) and ``reconstruct`` of the segment's
    events, each in CPU seconds (``process_time``). Load changes of the shared machine then hit both sides within
    seconds of each other. The chunk's fixed costs are timed once: its Pythia init and ``write_events`` of the
    whole chunk (``fixed``); ``reconstruct`` of the whole chunk is timed once too (``detector_whole``), against
    the sum of the segments' detector times (their per-call overheads are counted once per segment)."""
    (bare, bare_hook, _), (chunk, chunk_hook, init) = initialised(process, seed, spec, masses, ["bare", "chunk"])
    card = load_card(CARD)  # once per chunk, as generate_chunk
    seg: dict[str, list[float]] = {"bare": [], "batch": [], "extract": [], "detector": []}
    parts: list[ak.Array] = []
    done = 0
    while done < n_events:
        size = min(segment, n_events - done)
        for side in ("bare", "chunk") if len(seg["bare"]) % 2 == 0 else ("chunk", "bare"):
            start = time.process_time()
            if side == "bare":
                next_accepted(bare, size)
                seg["bare"].append(time.process_time() - start)
                continue
            timing: dict[str, float] = {}
            events = run_batches(chunk, size, f"chunk {process}", batch_size=size, timing=timing)
            generated = time.process_time() - start
            start = time.process_time()
            reconstruct(events, card, seed, DETECTOR_OPTIONS)
            seg["detector"].append(time.process_time() - start)
            seg["extract"].append(timing["extract"])
            seg["batch"].append(generated - timing["extract"])
            parts.append(events)
        done += size
    n_bare = bare_hook.counts.n_considered if (bare_hook is not None and spec is not None) else n_events
    n_chunk = chunk_hook.counts.n_considered if (chunk_hook is not None and spec is not None) else n_events
    if n_bare != n_chunk:
        raise RuntimeError(f"{process}: bare and chunk saw different events ({n_bare} vs {n_chunk} hard processes)")
    start = time.process_time()
    events = ak.concatenate(parts)
    concat = time.process_time() - start
    start = time.process_time()
    reco = reconstruct(events, card, seed, DETECTOR_OPTIONS)
    detector_whole = time.process_time() - start
    write = write_seconds(reco, events, process, seed)
    return {**seg, "init": init, "write": write, "concat": concat, "fixed": init + write + concat,
            "detector_whole": detector_whole, "n_considered": n_chunk}


def interleaved_summary(run: dict[str, Any]) -> dict[str, float]:
    """Per-segment ratios bare / chunk (the chunk's fixed costs spread evenly over the segments), their median and
    quartiles, the ratio of the sums, and each stage's sum as a fraction of the bare sum."""
    bare = np.array(run["bare"])
    per_event = np.array(run["batch"]) + np.array(run["extract"]) + np.array(run["detector"])
    ratios = bare / (per_event + run["fixed"] / len(bare))
    q1, median, q3 = np.percentile(ratios, [25, 50, 75])
    total = bare.sum()
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "bare_s": float(total),
            "sum_ratio": float(total / (per_event.sum() + run["fixed"])),
            "sum_ratio_whole_detector": float(total / (per_event.sum() - sum(run["detector"])
                                                       + run["detector_whole"] + run["fixed"])),
            **{key: float(np.sum(run[key]) / total) for key in ("init", "batch", "extract", "detector", "write",
                                                                 "detector_whole")}}


def interleaved_report(rows: list[tuple[str, str, FilterSpec | None, dict[str, float] | None]],
                       args: argparse.Namespace) -> str:
    """Run ``interleaved_segments`` for every row and repetition; markdown table of the pooled segments (the raw
    segment times go to ``<name>_segments.json``)."""
    load_start = os.getloadavg()
    lines: list[str] = []
    raw: dict[str, list[dict[str, Any]]] = {}
    for process, mode, spec, masses in rows:
        runs = [interleaved_segments(process, args.events, args.interleave, args.seed, spec, masses)
                for _ in range(args.repeats)]
        raw[f"{process} {mode}"] = runs
        pooled = {key: [v for run in runs for v in run[key]] for key in ("bare", "batch", "extract", "detector")}
        pooled |= {key: sum(run[key] for run in runs) for key in ("init", "write", "concat", "fixed",
                                                                  "detector_whole")}
        sm = interleaved_summary(pooled)  # each chunk's fixed costs spread over its own segments
        per_rep = [interleaved_summary(run)["sum_ratio"] for run in runs]
        print(f"{process} {mode}: " + ", ".join(f"{k}={v:.4g}" for k, v in sm.items())  # noqa: T201
              + f", per repetition ratio of sums {[round(r, 3) for r in per_rep]}", flush=True)
        label = process + ("" if masses is None else " " + ",".join(f"{v:g}" for v in masses.values()))
        pct = {k: f"{100 * sm[k]:.1f} %" for k in ("init", "batch", "extract", "detector", "detector_whole",
                                                   "write")}
        lines.append(f"| {label} | {mode} | {len(pooled['bare'])} | {sm['bare_s'] / len(runs):.3g} | {pct['init']} "
                     f"| {pct['batch']} | {pct['extract']} | {pct['detector']} ({pct['detector_whole']}) "
                     f"| {pct['write']} | **{sm['median']:.3f}** [{sm['q1']:.3f}-{sm['q3']:.3f}] "
                     f"| **{sm['sum_ratio']:.3f}** ({sm['sum_ratio_whole_detector']:.3f}) "
                     f"| {', '.join(f'{r:.3f}' for r in per_rep)} |")
    load_end = os.getloadavg()
    (RESULTS / f"{args.name}_segments.json").write_text(json.dumps(
        {"load_start": load_start, "load_end": load_end, "segment": args.interleave, "events": args.events,
         "runs": raw}, indent=1) + "\n")
    command = (f"python benchmarks/bench_filters.py --interleave {args.interleave} --events {args.events} "
               f"--repeats {args.repeats}{' --only ' + repr(args.only) if args.only else ''} --name {args.name}"
               f"{' --default-allocator' if args.default_allocator else ''}")
    return "\n".join([
        f"# Chunk / bare `next()`, interleaved segments ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`{command}`: load average (1, 5, 15 min) {', '.join(f'{v:.1f}' for v in load_start)} at the start, "
        f"{', '.join(f'{v:.1f}' for v in load_end)} at the end (2-core machine shared with other jobs); "
        f"allocator settings: {args.allocator}.", "",
        f"Bare `next()` and the chunk's per-event stages alternate in segments of {args.interleave} accepted events "
        "(two Pythia instances, same settings, seed and hook: the same events, checked by the hook counts), the "
        "side that goes first alternating; CPU seconds (`process_time`). Per segment: bare loop; `nextBatch` of "
        "the segment (+ hook), extraction, detector (`reconstruct` of the segment's events). Once per chunk: Pythia "
        f"init and `write_events` of the whole chunk, spread evenly over its {args.events // args.interleave} "
        "segments in the per-segment ratio. Stage columns: sum over the segments as % of the bare sum; in "
        "brackets after the detector: `reconstruct` of the whole chunk at once, timed once at the end. "
        f"{args.repeats} chunk(s) per row, segments pooled; the last column is each chunk's ratio of sums.", "",
        "| process | mode | segments | bare `next()` s per chunk | init | nextBatch | extract | detector (whole chunk) "
        "| write | **per-segment chunk / bare**, median [IQR] | **ratio of sums** (whole-chunk detector) "
        "| per chunk |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|", *lines, ""])


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
    parser.add_argument("--interleave", type=int, default=0, metavar="EVENTS",
                        help="interleaved-segment mode: bare next() and the chunk's per-event stages alternate in "
                             f"segments of EVENTS accepted events (e.g. {BATCH_SIZE}, the chunk's nextBatch size); "
                             "writes <name>.md and <name>_segments.json (raw segment times)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's allocator settings at their defaults (a chunk job applies "
                             "susyscan.generation.allocator.keep_freed_memory first, and so does this benchmark)")
    args = parser.parse_args()
    if args.default_allocator:
        args.allocator = "glibc defaults (--default-allocator)"
    else:  # as a chunk job does first (scripts/generate_events.py)
        tuned = keep_freed_memory()
        args.allocator = ("the chunk job's (keep_freed_memory)" if tuned
                          else "not (all) applied: not glibc, or glibc refused a setting (see the log)")
    if args.quick:
        args.events, args.repeats = 100, 2
    rows = [r for r in ROWS if not args.only or any(s in f"{r[0]} {r[1]}" for s in args.only.split(","))]
    thresholds = [float(v) for v in args.input_energy_min.split(",")] if args.input_energy_min else None
    if args.interleave:
        text = interleaved_report(rows, args)
        (RESULTS / f"{args.name}.md").write_text(text)
        print(text)  # noqa: T201
        return
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
        f"{'' if args.name == 'filters' else ' --name ' + args.name}"
        f"{' --default-allocator' if args.default_allocator else ''}`: CPU seconds (`process_time`) of one process, bare and chunk "
        f"interleaved, same seed (same events), {args.repeats} repetitions; load average {load_before:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (2-core machine shared with other jobs); allocator settings: "
        f"{args.allocator}.", "",
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
