"""Closure of the stau generator filter lep_tau_15 (config/stau.yaml) for tW (single_top_tw, issue 18): filtered vs
unfiltered yields at every cut stage of the stau preselection (config/analyses/stau.yaml) at 139/fb, with random
tau tags and with tau truth tagging (the configs' setting), from independent filtered and unfiltered samples.

    PYTHONPATH=src nice -n 19 python benchmarks/tw_filter_closure.py --unfiltered 20000 --filtered 10000 \
        --out benchmarks/results/tw_filter_closure.md

The two tagging modes run on the same events (same sample names and seeds: only the taus differ); ``--modes``
runs one of them (a smaller run shares the first chunks' events, since the chunk seeds depend on the chunk index).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import yaml

from susyscan.eventio.reader import read_events
from susyscan.generation.closure import ClosureResult, filter_closure_stages
from susyscan.generation.filters import FilterSpec, filter_from_config

ROOT = Path(__file__).resolve().parents[1]
STAU_ANALYSIS = ROOT / "config" / "analyses" / "stau.yaml"
MODES = {"random": ("random tau tags", {}), "truth": ("tau truth tagging", {"tau_truth_tagging": True})}


def table(rows: list[ClosureResult]) -> list[str]:
    lines = ["| cut | unfiltered (MC events) | filtered (MC events) | filtered / unfiltered | pull |",
             "|---|---|---|---|---:|"]
    for r in rows:
        note = " (initial: = filter efficiency, not a closure stage)" if r.cut == "initial" else ""
        lines.append(f"| {r.cut}{note} | {r.unfiltered:.4g} +- {r.unfiltered_stat:.2g} ({r.unfiltered_raw}) | "
                     f"{r.filtered:.4g} +- {r.filtered_stat:.2g} ({r.filtered_raw}) | "
                     f"{r.ratio:.3f} +- {r.ratio_stat:.3f} | {r.pull:+.2f} |")
    return lines


def emulated_filter_failures(sample_dir: Path, spec: FilterSpec) -> dict[str, tuple[int, int]]:
    """(failing, all) MC events of a sample's chunks, in all and among the preselected ones (the chunk feature
    tables, after met_cut) and those with no b-jet, for ``spec`` emulated on the stored hard-process truth: a lepton
    of ``spec.lepton_flavours`` with |status| 23 above its threshold inside its |eta|. The stored truth carries the
    shower's recoil, so the emulation is approximate near the thresholds (its failures on the filtered sample say
    by how much); a preselected unfiltered event that fails it is one the filter would likely have removed."""
    counts = {"all": [0, 0], "met_cut": [0, 0], "b_veto": [0, 0]}
    for root in sorted(sample_dir.glob("chunk*.root")):
        events, _ = read_events(root)
        pid, status = abs(events["truth_pid"]), abs(events["truth_status"])
        lepton = np.isin(ak.to_numpy(ak.flatten(pid)), spec.lepton_flavours)
        lepton = ak.unflatten(lepton, ak.num(pid)) & (status == 23) & (abs(events["truth_eta"]) < spec.muon_abs_eta_max)
        passed = ak.to_numpy(ak.any(lepton & (events["truth_pt"] > spec.muon_pt_min[0]), axis=1))
        table = pd.read_csv(root.with_name(root.name.replace(".root", ".csv.gz")))
        fails = ~passed[table["event"].to_numpy()]
        no_b = table["n_bjets"].to_numpy() == 0
        for key, bad, n in (("all", int((~passed).sum()), len(passed)), ("met_cut", int(fails.sum()), len(fails)),
                            ("b_veto", int((fails & no_b).sum()), int(no_b.sum()))):
            counts[key][0] += bad
            counts[key][1] += n
    return {key: (bad, n) for key, (bad, n) in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--process", default="single_top_tw")
    parser.add_argument("--unfiltered", type=int, required=True, help="unfiltered events")
    parser.add_argument("--filtered", type=int, required=True, help="filtered (accepted) events")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("susyscan.generation.chunk", "susyscan.generation.pythia_run", "susyscan.eventio",
                 "susyscan.analysis.select", "susyscan.analysis.cutflow", "susyscan.detector"):
        logging.getLogger(name).setLevel(logging.WARNING)
    config = yaml.safe_load((ROOT / "config" / "stau.yaml").read_text())
    spec = filter_from_config("lep_tau_15", config["generation"]["filters"]["lep_tau_15"])
    results: dict[str, list[ClosureResult]] = {}
    emulated: dict[str, dict[str, dict[str, tuple[int, int]]]] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        for mode in args.modes:
            label, options = MODES[mode]
            results[label] = filter_closure_stages(
                args.process, spec, args.unfiltered, args.filtered, Path(workdir) / mode, seed=args.seed,
                analysis_config=STAU_ANALYSIS, events_per_chunk=2000, detector_options=options)
            emulated[label] = {sample: emulated_filter_failures(Path(workdir) / mode / f"{args.process}_{sample}", spec)
                               for sample in ("unfiltered", "filtered")}
    seconds = time.perf_counter() - start
    lines = [f"# Generator-filter closure: lep_tau_15, {args.process} (seed {args.seed})", "",
             f"Command: `PYTHONPATH=src nice -n 19 python benchmarks/tw_filter_closure.py --process {args.process} "
             f"--unfiltered {args.unfiltered} --filtered {args.filtered} --seed {args.seed} --modes {' '.join(args.modes)} "
             f"--out {args.out}` ({seconds:.0f} s wall, {2 * len(args.modes)} samples)", "",
             "Yields at 139/fb after each cut of config/analyses/stau.yaml (cumulative; b_veto is the cut-and-count "
             "one), MC stat errors; filtered and unfiltered are independent samples, each normalised to the "
             "process cross section (x the chunk's filter efficiency when filtered). The filter-efficiency "
             "error (binomial, < 1 %) is not in the errors.", ""]
    for label, rows in results.items():
        lines += [f"## {label}", "", *table(rows), "",
                  "Filter emulated on the stored truth (failing / all MC events): "
                  + "; ".join(f"{sample} {key} {bad} / {n}" for sample, by_key in emulated[label].items()
                              for key, (bad, n) in by_key.items()), ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
