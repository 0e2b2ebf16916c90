"""Surrogate fast scan vs full chain: CPU time per grid point, and what the particle-level ISR feature would cost.

Run: python benchmarks/bench_surrogate.py [--events 1000] [--points 300:100,400:0] [--quick]
Writes benchmarks/results/surrogate.md (table) and surrogate.json (metrics for run_all.py).

Per mass point, the same number of events through
- the full chain as the workflow runs it per point: ``generate_chunk`` (Pythia with shower and hadronisation,
  detector simulation, event file), ``select_features`` (preselection, features, baselines), ``merge_features``,
  and the scan of the cut-and-count regions (``compute_point_yields``; the NN/BDT inference adds ~1 % and needs
  trained models, so it is left out: the full-chain time is a lower bound);
- the fast scan: ``hard_process_sample`` (Pythia with parton and hadron level off + the process-level recorder,
  truth features, normalisation) and the surrogate's efficiencies (``SurrogateModel.efficiencies``).
Both include Pythia's initialisation (a grid point is one run).  Times are CPU seconds of this process
(``time.process_time``), so other jobs on the shared machine do not enter; interpreter start-up and imports are
excluded from both.  The surrogate model evaluated is a small model trained here on synthetic labels (its
evaluation time does not depend on what it learned, only on the number of trees and events).
The ISR row: Pythia time per event with the shower (needed for any particle-level feature) over hard-process only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _metrics import RESULTS, write_metrics

from susyscan.analysis.merge import merge_features
from susyscan.analysis.select import select_features
from susyscan.generation.chunk import generate_chunk
from susyscan.scan.yields import compute_point_yields
from susyscan.surrogate.fastscan import hard_process_sample
from susyscan.surrogate.model import SurrogateModel

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
ANALYSIS = ROOT / "config" / "analyses" / "smuon.yaml"
FLAG_REGIONS = [{"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"}] + [
    {"name": f"Dynamic veto {i}", "kind": "flag", "column": f"sr_dynamic_veto_{i}"} for i in range(1, 7)]
SEED = 20241123


def small_model(tmp: Path) -> Path:
    """A surrogate of the workflow's size (200 trees x 12 regions) trained on synthetic labels."""
    sys.path.insert(0, str(ROOT / "tests"))
    from surrogate.conftest import HELDOUT, TRAIN_POINTS, synthetic_labels

    from susyscan.surrogate.train import TrainSettings, run_training

    df = synthetic_labels(TRAIN_POINTS + HELDOUT, 1000)
    path = tmp / "labels.csv.gz"
    df.to_csv(path, index=False)
    run_training([path], tmp / "model", [list(p) for p in HELDOUT], TrainSettings(seed=1), compare_isr=False)
    return tmp / "model" / "model.onnx"


def full_chain(m_parent: float, m_lsp: float, n_events: int, tmp: Path) -> dict[str, float]:
    name = f"smuon_{m_parent:g}_{m_lsp:g}"
    spec = {"name": name, "process": "smuon_R", "masses": {"m_smuon": m_parent, "m_neutralino": m_lsp}}
    t0 = time.process_time()
    generate_chunk(spec, 0, n_events, SEED, tmp / f"{name}.root", CARD)
    t1 = time.process_time()
    select_features(tmp / f"{name}.root", ANALYSIS, tmp / f"{name}.chunk0.csv.gz", tmp / f"{name}.cutflow.json")
    merge_features([tmp / f"{name}.chunk0.csv.gz"], [tmp / f"{name}.cutflow.json"], tmp / f"{name}.csv.gz")
    compute_point_yields(tmp / f"{name}.csv.gz", tmp / f"{name}.yields.csv", FLAG_REGIONS,
                         masses=(m_parent, m_lsp))
    t2 = time.process_time()
    return {"generation_detector": t1 - t0, "analysis_scan": t2 - t1, "total": t2 - t0}


def fast_path(model: SurrogateModel, m_parent: float, m_lsp: float, n_events: int) -> dict[str, float]:
    t0 = time.process_time()
    sample = hard_process_sample("smuon_R", m_parent, m_lsp, n_events, SEED)
    t1 = time.process_time()
    model.efficiencies(sample.features, "benchmark point", m_parent=m_parent, m_lsp=m_lsp)
    t2 = time.process_time()
    return {"generation_features": t1 - t0, "surrogate": t2 - t1, "total": t2 - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="events per grid point (both paths)")
    parser.add_argument("--points", default="300:100,400:0", help="m_smuon:m_neutralino,...")
    parser.add_argument("--quick", action="store_true", help="300 events, one point")
    args = parser.parse_args()
    n_events = 300 if args.quick else args.events
    points = [tuple(float(v) for v in p.split(":")) for p in args.points.split(",")]
    if args.quick:
        points = points[:1]
    rows, metrics = [], []
    with tempfile.TemporaryDirectory(prefix="bench_surrogate_") as tmpdir:
        tmp = Path(tmpdir)
        model = SurrogateModel(small_model(tmp))
        for m_parent, m_lsp in points:
            full = full_chain(m_parent, m_lsp, n_events, tmp)
            fast = fast_path(model, m_parent, m_lsp, n_events)
            ratio = full["total"] / fast["total"]
            rows.append((m_parent, m_lsp, full, fast, ratio))
            metrics.append(("surrogate", f"({m_parent:g},{m_lsp:g}) full chain / fast scan CPU per point", ratio, "x"))
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = ["# Surrogate fast scan vs full chain", "",
             f"`python benchmarks/bench_surrogate.py --events {n_events}` on {date}, shared 2-core machine; "
             "CPU seconds of one process (`time.process_time`), Pythia initialisation included, imports excluded.", "",
             "| point | events | full: generation+detector s | full: analysis+scan s | full total s | "
             "fast: hard process+features s | fast: surrogate s | fast total s | speed-up |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m_parent, m_lsp, full, fast, ratio in rows:
        lines.append(f"| ({m_parent:g}, {m_lsp:g}) | {n_events} | {full['generation_detector']:.2f} | "
                     f"{full['analysis_scan']:.2f} | {full['total']:.2f} | {fast['generation_features']:.3f} | "
                     f"{fast['surrogate']:.3f} | {fast['total']:.3f} | **{ratio:.1f}x** |")
    per_event_full = sum(r[2]["generation_detector"] for r in rows) / (len(rows) * n_events)
    per_event_fast = sum(r[3]["generation_features"] for r in rows) / (len(rows) * n_events)
    lines += ["", f"Goal: >= 20x. Per event (initialisation included): full-chain generation + detector "
              f"{1e3 * per_event_full:.2f} ms, hard process + truth features {1e3 * per_event_fast:.3f} ms: a "
              f"particle-level (ISR) feature would need the shower, i.e. most of the full chain's cost "
              f"({per_event_full / per_event_fast:.0f}x the fast path's generation).", ""]
    text = "\n".join(lines)
    print(text)
    (RESULTS / "surrogate.md").write_text(text)
    metrics.append(("surrogate", "shower+detector / hard-process-only time per event", per_event_full / per_event_fast,
                    "x"))
    write_metrics("surrogate", metrics)


if __name__ == "__main__":
    main()
