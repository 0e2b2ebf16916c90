"""Share of the wino pairs + ISR in the ewkino signal per grid point (docs/analysis_ewkino.md, "Wino pairs + ISR").

Generates chunk 0 of every grid point of a config as the workflow's ``generate_chunk`` rule does (same sample spec,
global seed, detector card and options, grid filter), runs the ewkino selection and sums the weighted yield of each
component (``process_component``) after the preselection and after the kinematic baseline. Prints a Markdown table
with the CPU seconds per point (generation + detector).

    python benchmarks/ewkino_signal_composition.py --config config/ewkino.yaml \\
        --out benchmarks/results/ewkino_signal_composition.md [--events-dir DIR]
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import awkward as ak
import numpy as np
import yaml

from susyscan.analyses.ewkino.config import load_ewkino_config
from susyscan.analyses.ewkino.selection import select_events
from susyscan.config.tables import load_grid
from susyscan.eventio import read_events
from susyscan.generation.chunk import generate_chunk
from susyscan.generation.filters import filter_from_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "ewkino.yaml")
    parser.add_argument("--events-dir", type=Path, default=Path("/tmp/ewkino_signal_composition"))
    parser.add_argument("--lumi", type=float, default=300.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg = yaml.safe_load(args.config.read_text())
    filters = {**(base.get("generation", {}).get("filters") or {}), **(cfg.get("generation", {}).get("filters") or {})}
    detector = {**base["detector"], **(cfg.get("detector") or {})}
    ewkino = load_ewkino_config(ROOT / cfg["analyses"]["ewkino"]["config"])
    rows = []
    for point in load_grid(ROOT / cfg["grids"]["ewkino"], "ewkino"):
        out = args.events_dir / point.name / "chunk0.root"
        flt = filter_from_config(point.filter, filters[point.filter]) if point.filter else None
        start = time.process_time()
        if not out.is_file():
            generate_chunk({"name": point.name, "process": point.process, "masses": point.masses}, 0,
                           point.events_in_chunk(0), int(cfg.get("seed", base["seed"])), out,
                           ROOT / detector["card"], float(base["sqrt_s_gev"]),
                           detector_options={k: detector[k] for k in ("large_jet_radius", "pfcand_pt_min")},
                           filter_spec=flt)
        cpu = time.process_time() - start
        events, meta = read_events(out)
        presel, baseline, _ = select_events(events, meta, ewkino)
        weight_pb = ak.to_numpy(events["weight"]) * float(meta["xsec_pb"]) / float(np.sum(ak.to_numpy(events["weight"])))
        label = ak.to_numpy(events["process_component"])
        names = [c["process"] for c in meta["components"]]
        cells = {}
        for stage, mask in (("presel", presel), ("baseline", presel & baseline)):
            per = [float(weight_pb[mask & (label == i)].sum()) for i in range(len(names))]
            raw = [int((mask & (label == i)).sum()) for i in range(len(names))]
            err = [math.sqrt(float((weight_pb[mask & (label == i)] ** 2).sum())) for i in range(len(names))]
            cells[stage] = (per, raw, err)
        rows.append((point, meta, cells, cpu, names))
    lines = [f"# Signal composition per grid point ({args.config.name}, chunk 0 of each point)", "",
             f"`python benchmarks/ewkino_signal_composition.py --config {args.config}`; cross sections in fb "
             "(xsec x efficiency of the selection), MC events in parentheses; wino share = wino_pair / total. CPU: "
             "generation + detector of the chunk (0 when the events existed).", "",
             "| (m_q̃, m_χ̃) | filter eff. squark / wino | presel. squark [fb] | presel. wino [fb] | wino share presel. "
             "| baseline squark [fb] | baseline wino [fb] | wino share baseline | CPU [s] |",
             "|---|---|---|---|---|---|---|---|---|"]
    for point, meta, cells, cpu, names in rows:
        if names != ["sq_ewkino", "wino_pair"]:
            raise ValueError(f"{point.name}: components {names}, expected sq_ewkino and wino_pair")
        eff = [c["filter_efficiency"] for c in meta["components"]]
        cells_text: list[str] = []
        for stage in ("presel", "baseline"):
            per, raw, err = cells[stage]
            share = per[1] / sum(per) if sum(per) > 0 else math.nan
            share_err = math.hypot(per[0] * err[1], per[1] * err[0]) / sum(per) ** 2 if sum(per) > 0 else math.nan
            cells_text += [f"{1e3 * per[0]:.3g} ± {1e3 * err[0]:.2g} ({raw[0]})", f"{1e3 * per[1]:.3g} ± {1e3 * err[1]:.2g} ({raw[1]})",
                     f"{share:.2f} ± {share_err:.2f}"]
        lines.append(f"| {point.m_parent:g}, {point.m_lsp:g} | {eff[0]:.3f} / {eff[1]:.4f} | " + " | ".join(cells_text)
                     + f" | {cpu:.0f} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
