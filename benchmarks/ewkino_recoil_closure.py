"""Closure of the parton-level recoil filter on the wino-pair signal (docs/analysis_ewkino.md, "Wino pairs + ISR").

Generates ``wino_pair`` at one mass point with and without the filter through the production chain
(``generate_chunk`` -> detector -> ewkino selection -> ``cutflow_yields``) and prints, per cut of the ewkino
cutflow, the filtered and unfiltered yields, their MC errors and the pull; also the CPU seconds per accepted
event of both samples (the filter's cost).

    python benchmarks/ewkino_recoil_closure.py --m-squark 1500 --m-ewkino 300 --unfiltered 30000 --filtered 3000 \\
        --recoil 150 --out benchmarks/results/ewkino_recoil_closure_1500_300.md
"""

from __future__ import annotations

import argparse
import logging
import math
import tempfile
import time
from pathlib import Path

from susyscan.analysis.cutflow import cutflow_yields
from susyscan.eventio import read_metadata
from susyscan.generation.closure import sample_cutflows
from susyscan.generation.filters import FilterSpec

ROOT = Path(__file__).resolve().parents[1]
EWKINO = ROOT / "config" / "analyses" / "ewkino.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m-squark", type=float, default=1500.0)
    parser.add_argument("--m-ewkino", type=float, default=300.0)
    parser.add_argument("--unfiltered", type=int, default=30000)
    parser.add_argument("--filtered", type=int, default=3000)
    parser.add_argument("--recoil", type=float, default=150.0, help="recoil_pt_min of the filter (GeV)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--lumi", type=float, default=300.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    masses = {"m_squark": args.m_squark, "m_electroweakino": args.m_ewkino}
    spec = FilterSpec(f"recoil_{args.recoil:g}", "closure", level="parton", recoil_pt_min=args.recoil)
    tables = {}
    cpu = {}
    norm: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="recoil_closure_") as tmp:
        for label, flt, n in (("unfiltered", None, args.unfiltered), ("filtered", spec, args.filtered)):
            start = time.process_time()
            chunks = max(1, math.ceil(n / 10000))
            paths, _ = sample_cutflows("wino_pair", f"wino_pair_{label}", n, chunks, args.seed, Path(tmp), flt,
                                        EWKINO, None, masses)
            cpu[label] = time.process_time() - start
            tables[label] = cutflow_yields(paths, args.lumi).set_index("cut")
            metas = [read_metadata(Path(tmp) / f"wino_pair_{label}" / f"chunk{c}.root") for c in range(chunks)]
            xsec = ", ".join(f"{m['xsec_pb']:.5g}" for m in metas)
            sigma_gen = ", ".join(f"{m['xsec_lo_pb']:.5g} ± {m['xsec_lo_err_pb']:.2g}" for m in metas)
            effs = ", ".join(f"{m['filter_efficiency']:.4f} ± {m['filter_efficiency_err']:.4f}" for m in metas)
            norm[label] = f"{label}: xsec_pb {xsec} (per chunk; sigmaGen {sigma_gen} pb, filter efficiency {effs})"
    unf, fil = tables["unfiltered"], tables["filtered"]
    lines = [f"# Recoil-filter closure: wino_pair at (m_squark, m_ewkino) = ({args.m_squark:g}, {args.m_ewkino:g}) GeV",
             "",
             f"`python benchmarks/ewkino_recoil_closure.py --m-squark {args.m_squark:g} --m-ewkino {args.m_ewkino:g} "
             f"--unfiltered {args.unfiltered} --filtered {args.filtered} --recoil {args.recoil:g} --seed {args.seed}`; "
             f"filter: parton level, recoil (summed neutrino + LSP pT) > {args.recoil:g} GeV. Yields at "
             f"{args.lumi:g} fb^-1. CPU seconds (process_time, generation + detector + selection): unfiltered "
             f"{cpu['unfiltered']:.0f} s ({1e3 * cpu['unfiltered'] / args.unfiltered:.1f} ms/event), filtered "
             f"{cpu['filtered']:.0f} s ({1e3 * cpu['filtered'] / args.filtered:.1f} ms/accepted event).",
             "",
             f"Normalisation: {norm['unfiltered']}; {norm['filtered']}. The pull uses the yields' MC errors only (not "
             "the cross-section estimate's).",
             "",
             "| cut | unfiltered (MC events) | filtered (MC events) | ratio | pull |",
             "|---|---|---|---|---|"]
    for cut in unf.index:
        u, f = unf.loc[cut], fil.loc[cut]
        sigma = math.hypot(float(u["stat"]), float(f["stat"]))
        ratio = float(f["yield"]) / float(u["yield"]) if float(u["yield"]) > 0 else math.nan
        pull = (float(f["yield"]) - float(u["yield"])) / sigma if sigma > 0 else math.nan
        lines.append(f"| {cut} | {float(u['yield']):.4g} ± {float(u['stat']):.2g} ({int(u['n_raw'])}) | "
                     f"{float(f['yield']):.4g} ± {float(f['stat']):.2g} ({int(f['n_raw'])}) | {ratio:.3f} | {pull:+.2f} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
