"""Benchmark: the shared analysis selection (``analyse_events`` with the smuon spec) on >= 1M events, per stage,
against a bare awkward two-muon selection with m_ll on the same arrays.

Run: python benchmarks/bench_selection_scale.py [--events 1000000] [--repeat 3]; writes
benchmarks/results/selection_scale.md (+ selection_scale.json for benchmarks/run_all.py). Times are the best of
--repeat runs (one process, one thread); the machine load is recorded with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import awkward as ak
import numpy as np
from _metrics import write_metrics

from susyscan.analyses.smuon import SPEC
from susyscan.analysis.config import load_analysis_config
from susyscan.analysis.cuts import cut_masks
from susyscan.analysis.objects import select_objects
from susyscan.analysis.overlap import remove_overlaps
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import random_events, synthetic_metadata
from susyscan.analysis.variables import event_variables

ROOT = Path(__file__).resolve().parents[1]


def bare_dimuon_mll(events: ak.Array) -> np.ndarray:
    """Isolated muons (pT > 10, |eta| < 2.5, iso < 0.15), exactly two, opposite charge, their m_ll (massless)."""
    good = (events["muon_pt"] > 10.0) & (abs(events["muon_eta"]) < 2.5) & (events["muon_iso"] < 0.15)
    pt, eta, phi, q = (events[f"muon_{f}"][good] for f in ("pt", "eta", "phi", "charge"))
    two = (ak.num(pt) == 2)
    pt, eta, phi, q = pt[two], eta[two], phi[two], q[two]
    os_ = (q[:, 0] * q[:, 1]) < 0
    mll = np.sqrt(2 * pt[:, 0] * pt[:, 1] * (np.cosh(eta[:, 0] - eta[:, 1]) - np.cos(phi[:, 0] - phi[:, 1])))
    return ak.to_numpy(mll[os_])


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "selection_scale.md")
    args = parser.parse_args()
    cfg = load_analysis_config(ROOT / "config" / "analyses" / "smuon.yaml")
    t0 = time.perf_counter()
    events = random_events(args.events, seed=2024)
    t_make = time.perf_counter() - t0
    meta = synthetic_metadata(n_events=args.events)
    met = ak.to_numpy(events["met"]).astype(np.float64)
    met_phi = ak.to_numpy(events["met_phi"]).astype(np.float64)

    t_bare, mll = best_of(lambda: bare_dimuon_mll(events), args.repeat)
    t_full, (frame, _) = best_of(lambda: analyse_events(events, meta, cfg, SPEC), args.repeat)
    t_obj, objects = best_of(lambda: select_objects(events, cfg, "bench"), args.repeat)
    t_or, cleaned = best_of(lambda: remove_overlaps(objects, cfg.overlap), args.repeat)
    t_var, variables = best_of(lambda: event_variables(cleaned, met, met_phi, cfg.mt2_invisible_mass), args.repeat)
    t_cuts, _ = best_of(lambda: cut_masks(cfg.cuts, variables), args.repeat)
    two_mu = variables["n_muons"] >= 2
    t_mt2_share = None
    from susyscan.analysis.kinematics import mt2_massless_visible

    def mt2_only() -> np.ndarray:
        v = variables
        return mt2_massless_visible(v["mu1_pt"][two_mu], v["mu1_phi"][two_mu], v["mu2_pt"][two_mu], v["mu2_phi"][two_mu],
                                    met[two_mu], met_phi[two_mu], 0.0)

    t_mt2_share, _ = best_of(mt2_only, args.repeat)
    n = args.events
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [
        ("bare awkward: isolated muons, exactly 2, opposite charge, m_ll", t_bare),
        ("shared selection `analyse_events` (smuon spec: objects, OR, variables, cuts, 37 features, flags)", t_full),
        ("  of which: object selection", t_obj),
        ("  of which: overlap removal", t_or),
        ("  of which: event variables (incl. mT2 below)", t_var),
        (f"  of which: mT2 ({int(two_mu.sum()):,} events with >= 2 muons)", t_mt2_share),
        ("  of which: cut masks", t_cuts),
    ]
    lines = [
        "# Shared selection at scale vs a bare awkward dimuon selection", "",
        f"Synthetic contract-shaped events: {n:,} (seed 2024, built in {t_make:.1f} s); {len(frame):,} pass the smuon "
        f"preselection, {len(mll):,} have an opposite-charge isolated muon pair.",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, 1 process; "
        f"best of {args.repeat}; 1-min load average at the end {load:.1f} (a shared 2-core machine: absolute rates are "
        "pessimistic, the ratios are the result).", "",
        "| step | time (s) | events/s |", "|---|---:|---:|",
        *[f"| {name} | {t:.3f} | {n / t:,.0f} |" for name, t in rows], "",
        f"Full selection / bare dimuon m_ll: {t_full / t_bare:.1f}x slower. mT2 alone is {t_mt2_share / t_full:.0%} "
        f"of the full selection, object selection + overlap removal {(t_obj + t_or) / t_full:.0%}.", "",
    ]
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)  # noqa: T201 - benchmark output
    write_metrics("selection_scale", [
        ("analysis", "shared selection analyse_events at 1M events", n / t_full, "events/s"),
        ("analysis", "bare awkward dimuon m_ll", n / t_bare, "events/s"),
        ("analysis", "full / bare time ratio", t_full / t_bare, "x"),
    ], events=n)


if __name__ == "__main__":
    main()
