"""Closure of the stau generator filter lep_tau_15 (config/stau.yaml) for tW (single_top_tw, issue 18): filtered vs
unfiltered yields at every cut stage of the stau preselection (config/analyses/stau.yaml) at 139/fb, with random
tau tags and with tau truth tagging (the configs' setting), from independent filtered and unfiltered samples.

    PYTHONPATH=src nice -n 19 python benchmarks/tw_filter_closure.py --unfiltered 20000 --filtered 10000 \
        --out benchmarks/results/tw_filter_closure.md

The two tagging modes run on the same events (same sample names and seeds: only the taus differ).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import yaml

from susyscan.generation.closure import ClosureResult, filter_closure_stages
from susyscan.generation.filters import filter_from_config

ROOT = Path(__file__).resolve().parents[1]
STAU_ANALYSIS = ROOT / "config" / "analyses" / "stau.yaml"


def table(rows: list[ClosureResult]) -> list[str]:
    lines = ["| cut | unfiltered (MC events) | filtered (MC events) | filtered / unfiltered | pull |",
             "|---|---|---|---|---:|"]
    for r in rows:
        note = " (initial: = filter efficiency, not a closure stage)" if r.cut == "initial" else ""
        lines.append(f"| {r.cut}{note} | {r.unfiltered:.4g} +- {r.unfiltered_stat:.2g} ({r.unfiltered_raw}) | "
                     f"{r.filtered:.4g} +- {r.filtered_stat:.2g} ({r.filtered_raw}) | "
                     f"{r.ratio:.3f} +- {r.ratio_stat:.3f} | {r.pull:+.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--process", default="single_top_tw")
    parser.add_argument("--unfiltered", type=int, required=True, help="unfiltered events")
    parser.add_argument("--filtered", type=int, required=True, help="filtered (accepted) events")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("susyscan.generation.chunk", "susyscan.generation.pythia_run", "susyscan.eventio",
                 "susyscan.analysis.select", "susyscan.analysis.cutflow", "susyscan.detector"):
        logging.getLogger(name).setLevel(logging.WARNING)
    config = yaml.safe_load((ROOT / "config" / "stau.yaml").read_text())
    spec = filter_from_config("lep_tau_15", config["generation"]["filters"]["lep_tau_15"])
    results: dict[str, list[ClosureResult]] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        for label, options in (("random tau tags", {}), ("tau truth tagging", {"tau_truth_tagging": True})):
            results[label] = filter_closure_stages(
                args.process, spec, args.unfiltered, args.filtered, Path(workdir) / label.split()[0], seed=args.seed,
                analysis_config=STAU_ANALYSIS, events_per_chunk=2000, detector_options=options)
    seconds = time.perf_counter() - start
    lines = [f"# Generator-filter closure: lep_tau_15, {args.process} (seed {args.seed})", "",
             f"Command: `PYTHONPATH=src nice -n 19 python benchmarks/tw_filter_closure.py --process {args.process} "
             f"--unfiltered {args.unfiltered} --filtered {args.filtered} --seed {args.seed} --out {args.out}` "
             f"({seconds:.0f} s wall for the four samples)", "",
             "Yields at 139/fb after each cut of config/analyses/stau.yaml (cumulative; b_veto is the cut-and-count "
             "one), MC stat errors; filtered and unfiltered are independent samples, each normalised to the "
             "process cross section (x the chunk's filter efficiency when filtered). The filter-efficiency "
             "error (binomial, < 1 %) is not in the errors.", ""]
    for label, rows in results.items():
        lines += [f"## {label}", "", *table(rows), ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
