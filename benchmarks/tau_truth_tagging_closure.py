"""Closure of tau truth tagging (issue 18): random vs truth-tagged taus on the same Pythia events through the
production chain, yields after the stau preselection's tau, OS and MET cuts (config/analyses/stau.yaml) at 139/fb.

    PYTHONPATH=src nice -n 10 python benchmarks/tau_truth_tagging_closure.py --process ttbar_incl --events 10000 \
        --filter lep_tau_15 --out benchmarks/results/tau_truth_tagging_closure_ttbar.md

``--filter`` names a generation.filters entry of config/stau.yaml (the demo's: ttbar filtered, W+jets not).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import yaml

from susyscan.analysis.tautruth_closure import truth_tag_closure
from susyscan.generation.filters import filter_from_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--process", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--filter", default=None, help="generation.filters entry of config/stau.yaml")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("susyscan.generation", "susyscan.eventio", "susyscan.analysis.select", "susyscan.analysis.cutflow",
                 "susyscan.detector"):
        logging.getLogger(name).setLevel(logging.WARNING)
    spec = None
    if args.filter:
        config = yaml.safe_load((ROOT / "config" / "stau.yaml").read_text())
        spec = filter_from_config(args.filter, config["generation"]["filters"][args.filter])
    with tempfile.TemporaryDirectory() as workdir:
        rows = truth_tag_closure(args.process, args.events, workdir, seed=args.seed, filter_spec=spec)
    lines = [f"# Tau truth-tagging closure: {args.process}, {args.events} events (seed {args.seed}, filter "
             f"{args.filter or 'none'})", "",
             f"Command: `PYTHONPATH=src nice -n 10 python benchmarks/tau_truth_tagging_closure.py --process "
             f"{args.process} --events {args.events} --seed {args.seed}"
             f"{' --filter ' + args.filter if args.filter else ''} --out {args.out}` ({rows[0].seconds:.0f} s)", "",
             "| cut | random tags (MC events) | rel. err | truth tagging (MC events) | rel. err | pull |",
             "|---|---|---:|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.cut} | {r.random.value:.4g} +- {r.random.stat:.2g} ({r.random.raw}) | "
                     f"{r.random.relative_error:.2f} | {r.truth.value:.4g} +- {r.truth.stat:.2g} ({r.truth.raw}) | "
                     f"{r.truth.relative_error:.3f} | {r.pull:+.2f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
