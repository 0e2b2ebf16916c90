"""Benchmark: columnar selection + features vs a per-event Python loop on the same synthetic events.

Run: python benchmarks/bench_analysis.py [--events 20000] [--quick]; writes benchmarks/results/analysis.md
(+ analysis.json for benchmarks/run_all.py). --quick: 5000 events.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import awkward as ak
import numpy as np
from mt2 import mt2

from _metrics import write_metrics

from susyscan.analysis.config import AnalysisConfig, load_analysis_config
from susyscan.analysis.features import FEATURES, SENTINEL
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import random_events, synthetic_metadata

ROOT = Path(__file__).resolve().parents[1]


def _dr(a: dict, b: dict) -> float:
    dphi = (a["phi"] - b["phi"] + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(a["eta"] - b["eta"], dphi)


def loop_features(events: ak.Array, cfg: AnalysisConfig) -> list[tuple[int, list[float]]]:
    """Straightforward per-event implementation of objects, overlap removal, preselection, features."""
    rows = []
    o, cones = cfg.objects, cfg.overlap
    for index, ev in enumerate(ak.to_list(events)):
        def objs(prefix: str, kind: str, iso: bool) -> list[dict]:
            c = o[kind]
            out = []
            for i in range(len(ev[f"{prefix}_pt"])):
                obj = {f: ev[f"{prefix}_{f}"][i] for f in ("pt", "eta", "phi")}
                if prefix in ("muon", "electron"):
                    obj["charge"] = ev[f"{prefix}_charge"][i]
                if obj["pt"] > c.pt_min and abs(obj["eta"]) < c.abs_eta_max and (not iso or ev[f"{prefix}_iso"][i] < c.rel_iso_max):
                    out.append(obj)
            return out
        ele, mu, tau, pho = objs("electron", "electron", True), objs("muon", "muon", True), objs("tau", "tau", False), objs("photon", "photon", True)
        jets = objs(cfg.jet_collection, "jet", False)
        jets = [j for j in jets if all(_dr(j, x) >= cones.jet_muon_photon_dr for x in mu + pho)]
        jets = [j for j in jets if all(_dr(j, x) >= cones.jet_electron_tau_dr for x in ele + tau)]
        ele = [e for e in ele if all(_dr(e, j) >= cones.electron_jet_dr for j in jets)]
        met, met_phi = ev["met"], ev["met_phi"]
        if not (met > 110.0 and len(mu) == 2 and mu[0]["charge"] * mu[1]["charge"] < 0
                and mu[0]["pt"] > 50.0 and mu[1]["pt"] > 20.0):
            continue
        m1, m2 = mu
        mll = math.sqrt(max(2 * m1["pt"] * m2["pt"] * (math.cosh(m1["eta"] - m2["eta"]) - math.cos(m1["phi"] - m2["phi"])), 0))
        mct = math.sqrt(max(2 * m1["pt"] * m2["pt"] * (1 + math.cos(m1["phi"] - m2["phi"])), 0))
        mt2_value = float(mt2(0.0, m1["pt"] * math.cos(m1["phi"]), m1["pt"] * math.sin(m1["phi"]),
                              0.0, m2["pt"] * math.cos(m2["phi"]), m2["pt"] * math.sin(m2["phi"]),
                              met * math.cos(met_phi), met * math.sin(met_phi), 0.0, 0.0))
        if not mt2_value > 100.0:
            continue
        def lead(coll: list[dict]) -> list[float]:
            return [coll[i][f] if i < len(coll) else SENTINEL for i in (0, 1) for f in ("pt", "eta", "phi")]
        rows.append((index, [len(ele), len(mu), len(jets), *lead(jets), *lead(ele), *lead(mu), mll, mct, mt2_value,
                             met, sum(j["pt"] for j in jets), met_phi]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "analysis.md")
    parser.add_argument("--quick", action="store_true", help="5000 events")
    args = parser.parse_args()
    if args.quick:
        args.events = min(args.events, 5000)
    cfg = load_analysis_config(ROOT / "config" / "analyses" / "smuon.yaml")
    events = random_events(args.events, seed=2024)
    meta = synthetic_metadata(n_events=args.events)

    t0 = time.perf_counter()
    frame, _ = analyse_events(events, meta, cfg)
    t_columnar = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = loop_features(events, cfg)
    t_loop = time.perf_counter() - t0

    loop_index = np.array([r[0] for r in rows])
    loop_values = np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, len(FEATURES))
    same_events = np.array_equal(loop_index, frame["event"].to_numpy())
    max_rel = float(np.max(np.abs(loop_values - frame[FEATURES].to_numpy()) / (1 + np.abs(loop_values)))) if same_events and len(rows) else float("nan")
    agree = same_events and max_rel < 1e-5
    text = "\n".join([
        "# Analysis benchmark: columnar vs per-event loop", "",
        f"Synthetic contract-shaped events: {args.events} (seed 2024), {len(frame)} pass the preselection.",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, 1 process.", "",
        "| implementation | time (s) | events/s |", "|---|---:|---:|",
        f"| columnar (awkward/numpy, `analyse_events`, incl. cutflow + baselines) | {t_columnar:.3f} | {args.events / t_columnar:,.0f} |",
        f"| per-event Python loop (objects, OR, preselection, 27 features) | {t_loop:.3f} | {args.events / t_loop:,.0f} |", "",
        f"Speed-up: {t_loop / t_columnar:.1f}x. Same selected events: {same_events}; "
        f"max relative feature difference: {max_rel:.2e} -> agree: {agree}.", "",
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)  # noqa: T201 - benchmark script output
    write_metrics("analysis", [
        ("analysis", "columnar analyse_events (selection, cutflow, features, baselines)", args.events / t_columnar, "events/s"),
        ("analysis", "per-event Python loop (same selection + features)", args.events / t_loop, "events/s"),
        ("analysis", "speed-up columnar / loop", t_loop / t_columnar, "x"),
    ], events=args.events, agree=bool(agree))
    if not agree:
        raise SystemExit("columnar and loop implementations disagree")


if __name__ == "__main__":
    main()
