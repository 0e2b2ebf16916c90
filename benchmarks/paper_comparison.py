"""Compare a run's cutflow, signal-region efficiencies and mass reach with the smuon paper (seed 001).

Run: python benchmarks/paper_comparison.py RESULTS_DIR [--out benchmarks/results/paper_comparison_<run>.md]
(RESULTS_DIR is the results folder of a finished run, results/<run_name>, e.g. results/workstation of
`--configfile config/workstation.yaml`).

References (the seed text, "Improving smuon searches with Neural Networks"): Table 3 (background cutflow at
139/fb; the cut values were stripped from the text we received, so rows are matched by position), Table 8 (signal
events and efficiencies of the NN, BDT and static-jet-veto selections; efficiency = region / preselected).
Normalisations differ: the paper's ttbar, WW and ZZ are 9.50, 0.84 and 0.16 pb after branching ratios (initial
row / 139 fb^-1); ours are NNLO x BR (resources/backgrounds/xsec.csv). Efficiencies are compared, not yields.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from susyscan.eventio import read_metadata

LUMI = 139.0
#: Table 3: process -> yields per row (Initial, Basic cuts, Muons, Opposite charge, pT cuts, mT2 cut, Lepton veto).
TABLE3 = {
    "ttbar_mumu": [1320500.0, 318087.1, 142824.5, 142562.7, 106399.8, 376.9, 174.6],
    "ww_mumu": [116760.0, 11137.5, 6940.8, 6940.3, 3180.1, 307.4, 188.1],
    "zz_mumununu": [22240.0, 1778.4, 1672.1, 1639.7, 450.9, 57.4, 44.0],
}
OUR_ROWS = ["initial", "basic_met", "two_isolated_muons", "opposite_charge", "muon_pt", "mt2_cut", "lepton_veto"]
#: Table 8 (m_smuon, m_neutralino) -> efficiency (%) of NN (low/high network as the paper lists), BDT, static veto.
TABLE8 = {
    (100, 0): (21.7, 59.5, 41.6), (200, 0): (72.3, 90.1, 54.4), (200, 50): (68.2, 88.3, 52.9),
    (200, 100): (51.6, 79.9, 49.0), (300, 0): (87.6, 96.8, 53.3), (300, 50): (86.7, 96.4, 53.0),
    (300, 100): (84.0, 95.1, 52.4), (300, 200): (58.2, 83.0, 47.5), (400, 0): (91.4, 98.5, 51.7),
    (400, 200): (86.8, 96.5, 50.7), (500, 0): (90.5, 99.3, 99.3), (500, 100): (89.2, 99.2, 50.6),
    (500, 300): (73.2, 97.0, 50.0),
}


def background_table(results: Path) -> str:
    """Cumulative efficiency w.r.t. the unfiltered cross section, ours vs Table 3, per background and row."""
    cutflow = pd.read_csv(results / "analysis" / "smuon" / "cutflow.csv").set_index("cut")
    lines = ["| process | row (ours) | our yield | our eff. vs unfiltered | paper yield | paper eff. | ratio |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for process, paper in TABLE3.items():
        sample = {"ttbar_mumu": "ttbar", "ww_mumu": "ww", "zz_mumununu": "zz"}[process]
        meta = read_metadata(results / "events" / sample / "chunk0.root")
        initial = float(meta.get("xsec_unfiltered_pb", meta["xsec_pb"])) * 1000.0 * LUMI
        for row, paper_yield in zip(OUR_ROWS, paper):
            ours = float(cutflow.loc[row, process]) if row != "initial" else initial
            eff, paper_eff = ours / initial, paper_yield / paper[0]
            filtered_row = meta.get("generator_filter") and row in OUR_ROWS[1:5]
            lines.append(f"| {process} | {row}{' (filter-biased)' if filtered_row else ''} | {ours:.4g} | {eff:.3g} | "
                         f"{paper_yield:.4g} | {paper_eff:.3g} | {eff / paper_eff:.2f} |")
    return "\n".join(lines)


def signal_table(results: Path) -> str:
    """Region yield / preselected yield for the Table 8 points, ours vs the paper."""
    cutflow = pd.read_csv(results / "analysis" / "smuon" / "cutflow.csv").set_index("cut")
    lines = ["| m_smuon | m_chi | NN ours (region) | NN paper | BDT ours (region) | BDT paper | static veto ours | "
             "static veto paper |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (m, c), (nn, bdt, veto) in TABLE8.items():
        path = results / "scan" / "smuon" / "yields" / f"smuon_{m}_{c}.csv"
        column = f"smuon_{m}_{c}"
        if not path.is_file() or column not in cutflow.columns:
            continue
        yields = pd.read_csv(path).set_index("region")["yield_pb"] * 1000.0 * LUMI
        pre = float(cutflow.loc["mt2_cut", column])
        region = "low" if m < 250 else "high"
        ours = {k: 100 * float(yields.get(f"{k} {region}", float("nan"))) / pre for k in ("NN", "BDT")}
        ours_veto = 100 * float(yields["Static jet veto"]) / pre
        lines.append(f"| {m} | {c} | {ours['NN']:.1f} % ({region}) | {nn} % | {ours['BDT']:.1f} % | {bdt} % | "
                     f"{ours_veto:.1f} % | {veto} % |")
    return "\n".join(lines)


def reach_table(results: Path) -> str:
    """Mass reach at m_neutralino = 0 per region, luminosity and scenario (best region included)."""
    reach = pd.read_csv(results / "plots" / "smuon" / "mass_reach.csv")
    reach = reach[reach["m_lsp"] == 0]
    wide = reach.pivot_table(index="region", columns=["lumi_ifb", "scenario"], values="mass_reach_gev")
    wide.columns = [f"{lumi:g}/fb {scen}" for lumi, scen in wide.columns]
    return wide.round(0).to_markdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    text = "\n\n".join([f"# Paper comparison of {args.results}", "## Background cutflow (Table 3)",
                        background_table(args.results), "## Signal-region efficiencies (Table 8)",
                        signal_table(args.results), "## Mass reach at m_neutralino = 0 [GeV]",
                        reach_table(args.results)]) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
