"""Instruction counts (callgrind) of a chunk's stages against bare Pythia ``next()``: a deterministic chunk / bare.

Run: python benchmarks/callgrind_chunk.py [--events 200] [--chunk-events 2000] [--only ttbar] \\
         [--input-energy-min 0,0.5,1.0] [--name callgrind_chunk]
Writes benchmarks/results/<name>.md and <name>.json.

Timed ratios on the shared 2-core machine swing by +-0.1 with the load (docs/generator_filters.md); instruction
counts do not. The script re-runs itself under ``valgrind --tool=callgrind --instr-atstart=no`` and switches the
instrumentation on only around each stage, through callgrind's client requests (``valgrind/callgrind.h``, compiled
into a small C library loaded with ctypes), so imports and warm-up are not counted. Per process, in one run with
one seed (so bare and chunk see the same events):

- ``init``: Pythia's construction and ``init()`` (bare; the chunk's init is the same code and settings);
- ``next``: ``pythia.next()`` until ``--events`` events are accepted;
- ``generate``: ``susyscan.generation.pythia_run.generate`` (init + ``nextBatch`` + hook + extraction);
- per value of ``jets.input_energy_min``: ``reconstruct`` (the detector) and ``write_events``.

Scaled to a chunk of ``--chunk-events`` (Pythia's init is per chunk, the rest per event):
chunk / bare = C * next / (init + C * (generate - init + detector + write)), each per-event term divided by
``--events``. Instructions are not time: numpy and fastjet run at other instructions per second than Pythia, so
this is the ratio of work, which timed medians (``bench_filters.py``) check.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
RESULTS = ROOT / "benchmarks" / "results"
#: (row label, process, masses): unfiltered ttbar and the smuon_R (300, 100) signal of bench_filters.py.
SAMPLES = [
    ("ttbar_mumu", "ttbar_mumu", None),
    ("smuon_R_300_100", "smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0}),
]
#: Events of the small runs that separate each stage's fixed cost per chunk from its cost per event.
SMALL = 10
CONTROL_C = """
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""


def build_control(tmp: Path) -> Path:
    """Compile the client-request library (needs gcc and valgrind's headers)."""
    src, lib = tmp / "cg_control.c", tmp / "libcg_control.so"
    src.write_text(CONTROL_C)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def inner(args: argparse.Namespace) -> None:
    """Under callgrind: run the stages of every selected sample, one dump per stage."""
    import awkward as ak

    from susyscan.eventio import write_events
    from susyscan.generation.chunk import reconstruct
    from susyscan.generation.filters import make_hook
    from susyscan.generation.processes import get_process, pythia_settings
    from susyscan.generation.pythia_run import generate, make_pythia
    from susyscan.generation.slha import write_slha

    lib = ctypes.CDLL(os.environ["SUSYSCAN_CG_CONTROL"])
    thresholds = [float(v) for v in args.input_energy_min.split(",")]
    options = {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0}

    def measured(name: str, func, *a, **kw):  # type: ignore[no-untyped-def]
        lib.cg_start()
        try:
            return func(*a, **kw)
        finally:
            lib.cg_stop(name.encode())

    def write(path: Path, reco: ak.Array, label: str) -> None:
        write_events(path, reco, {"sample": label, "process": label, "chunk": 0, "seed": args.seed, "xsec_pb": 1.0,
                                  "sum_weights": float(len(reco)), "xsec_source": "benchmark", "xsec_lo_pb": 1.0,
                                  "sqrt_s_gev": 13000.0, "generator": "benchmark", "detector_card": str(CARD),
                                  "config_hash": "", "susyscan_version": "benchmark"})

    for label, process, masses in SAMPLES:
        if args.only and not any(s in label for s in args.only.split(",")):
            continue
        proc = get_process(process)
        with tempfile.TemporaryDirectory() as tmp:
            slha = None
            if proc.slha_model is not None:
                slha = str(write_slha(proc.slha_model, dict(masses or {}), Path(tmp) / f"{process}.slha"))
            hook = make_hook(None, proc.slepton_pair_fix)
            pythia = measured(f"{label}|init", make_pythia, pythia_settings(proc, args.seed, 13000.0, slha),
                              f"bare {process}", hook)

            def loop(n_accepted: int, pythia=pythia) -> None:  # type: ignore[no-untyped-def]
                done = 0
                while done < n_accepted:
                    done += bool(pythia.next())

            measured(f"{label}|next_small", loop, SMALL)  # the same events as the other stages' SMALL-event runs
            if args.bare_only:
                continue
            measured(f"{label}|next_rest", loop, args.events - SMALL)
            del pythia
            measured(f"{label}|generate_small", generate, process, SMALL, args.seed, masses=masses)
            result = measured(f"{label}|generate", generate, process, args.events, args.seed, masses=masses)
            for value in thresholds:  # warm-up (imports, fastjet banner, first write), not counted
                overrides = {"jets.input_energy_min": value}
                write(Path(tmp) / "warm.root", reconstruct(result.events[:5], CARD, overrides, args.seed, options),
                      label)
            for value in thresholds:
                overrides = {"jets.input_energy_min": value}
                for suffix, events in (("_small", result.events[:SMALL]), ("", result.events)):
                    reco = measured(f"{label}|detector{suffix}|{value:g}", reconstruct, events, CARD, overrides,
                                    args.seed, options)
                    measured(f"{label}|write{suffix}|{value:g}", write, Path(tmp) / "chunk.root", reco, label)


def parse_dumps(out_dir: Path) -> dict[str, int]:
    """Stage name -> instructions (Ir) of every callgrind dump in ``out_dir``."""
    counts: dict[str, int] = {}
    for path in sorted(out_dir.glob("callgrind.out*")):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
        total = re.search(r"^totals: (\d+)", text, re.MULTILINE)
        if trigger and total:
            counts[trigger.group(1).strip()] = int(total.group(1))
    return counts


def merged_counts(paths: list[Path]) -> dict[str, int]:
    """Counts of saved JSON files; a run made before the bare loop was split (one ``next`` of all events) gets
    ``next_rest`` = ``next`` - ``next_small`` of a ``--bare-only`` run with the same seed."""
    counts: dict[str, int] = {}
    for path in paths:
        counts |= json.loads(path.read_text())["instructions"]
    for key in [k for k in counts if k.endswith("|next")]:
        label = key[: -len("|next")]
        if f"{label}|next_rest" not in counts and f"{label}|next_small" in counts:
            counts[f"{label}|next_rest"] = counts[key] - counts[f"{label}|next_small"]
    return counts


def report(counts: dict[str, int], args: argparse.Namespace, seconds: float, merged: list[Path] | None = None) -> str:
    """Markdown table of the per-event instructions and chunk / bare per sample and threshold."""
    n, c = args.events, args.chunk_events
    lines = [
        f"# Chunk / bare `next()` in instructions ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`python benchmarks/callgrind_chunk.py --events {n} --chunk-events {c} --input-energy-min "
        f"{args.input_energy_min}{' --only ' + args.only if args.only else ''}`: callgrind instruction counts "
        f"(Ir), seed {args.seed}, {n} events per stage, scaled to a {c}-event chunk (init once per chunk); "
        + (f"{seconds / 60:.0f} min under valgrind." if not merged else
           "counts merged from " + ", ".join(f"`{p.name}`" for p in merged) + " (`--merge`)."), "",
        "Each stage's fixed cost per chunk and cost per event come from a run of 10 events and one of "
        f"{n} (same seed). Columns: bare `next()` per event; Pythia init; the other fixed costs of generate, "
        "detector and write (card parsing, SLHA, file creation); per event over bare `next()`: nextBatch + hook + "
        "extraction, detector, write.", "",
        "| sample | jets.input_energy_min (GeV) | next() M/event | init G (% of the chunk's next) | other fixed G (%) "
        "| nextBatch+extract over next | detector (% of next) | write (% of next) | **chunk / bare** | without init |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, _process, _masses in SAMPLES:
        if f"{label}|next_rest" not in counts:
            continue
        # per event: events SMALL+1..n of every stage (the n-event run minus the SMALL-event run)
        nxt = counts[f"{label}|next_rest"] / (n - SMALL)
        init = counts[f"{label}|init"]

        def split(stage: str, label: str = label) -> tuple[float, float]:
            """(fixed cost per chunk, cost per event) of a stage from its SMALL- and n-event runs."""
            name, _, rest = stage.partition("|")
            small = f"{label}|{name}_small" + (f"|{rest}" if rest else "")
            per_event = (counts[f"{label}|{stage}"] - counts[small]) / (n - SMALL)
            return counts[f"{label}|{stage}"] - n * per_event, per_event

        gen_fixed, batch = split("generate")
        for key in sorted(k for k in counts if k.startswith(f"{label}|detector|")):
            value = key.rsplit("|", 1)[1]
            det_fixed, det = split(f"detector|{value}")
            wr_fixed, wr = split(f"write|{value}")
            fixed = gen_fixed + det_fixed + wr_fixed
            ratio = c * nxt / (fixed + c * (batch + det + wr))
            no_init = c * nxt / (fixed - init + c * (batch + det + wr))
            lines.append(f"| {label} | {value} | {nxt / 1e6:.2f} | {init / 1e9:.2f} ({100 * init / (c * nxt):.1f} %) "
                         f"| {(fixed - init) / 1e9:.2f} ({100 * (fixed - init) / (c * nxt):.1f} %) "
                         f"| {100 * (batch / nxt - 1):+.1f} % | {100 * det / nxt:.1f} % | {100 * wr / nxt:.2f} % "
                         f"| **{ratio:.3f}** | {no_init:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200, help="events per measured stage (default 200)")
    parser.add_argument("--chunk-events", type=int, default=2000, help="chunk size the ratio is scaled to")
    parser.add_argument("--only", default="", help="comma-separated substrings of the sample labels")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--input-energy-min", default="0", help="comma-separated jets.input_energy_min values (GeV)")
    parser.add_argument("--name", default="callgrind_chunk")
    parser.add_argument("--bare-only", action="store_true",
                        help="only Pythia's init and the first 10 bare next() events (completes a run made before "
                             "the bare loop was split; see --merge)")
    parser.add_argument("--merge", type=Path, nargs="*", default=[],
                        help="report from these saved JSON counts (merged) instead of running valgrind")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
        return
    if args.merge:
        sizes = {json.loads(path.read_text())["events"] for path in args.merge} - {SMALL}
        if sizes != {args.events}:
            raise SystemExit(f"--merge: the runs have {sorted(sizes)} events per stage, --events says {args.events}")
        counts = merged_counts(args.merge)
        text = report(counts, args, 0.0, args.merge)
        (RESULTS / f"{args.name}.md").write_text(text)
        print(text)  # noqa: T201
        return
    with tempfile.TemporaryDirectory(prefix="callgrind_chunk_") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "SUSYSCAN_CG_CONTROL": str(build_control(tmp))}
        start = time.perf_counter()
        log = tmp / "valgrind.log"
        with log.open("w") as out:
            run = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                  f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, __file__, "--inner",
                                  *sys.argv[1:]], env=env, stdout=out, stderr=subprocess.STDOUT)
        if run.returncode != 0:
            raise RuntimeError(f"valgrind run failed ({run.returncode}): {log.read_text()[-3000:]}")
        seconds = time.perf_counter() - start
        counts = parse_dumps(tmp)
    if not counts:
        raise RuntimeError("callgrind produced no stage dumps")
    text = report(counts, args, seconds)
    (RESULTS / f"{args.name}.md").write_text(text)
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"events": args.events, "chunk_events": args.chunk_events,
                                                           "seed": args.seed, "instructions": counts}, indent=1) + "\n")
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
