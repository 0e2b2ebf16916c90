"""Validation against external references: numbers and PNG figures for docs/validation.md.

Run: python benchmarks/make_validation_plots.py [--lhe-events 4000] [--quick]
(``--lhe-events``: LHE events read from the MLM file; the matching veto leaves about half of them showered.)
Writes docs/figures/*.png and docs/figures/validation_numbers.json. Reference values (with their sources)
are in tests/validation/references.yaml; tests/validation/ pins the claims.

Figures:
- xsec_tables.png: our NLO+NLL/NNLO+NNLL tables vs the earlier published versions (fuenfundachtzig/xsec);
- kfactor_smuon_R.png: Pythia LO (as is and corrected), independent Drell-Yan LO check and the NLO+NLL table;
- lhe_z_mll.png: m_ll of the MadGraph Z + jets MLM sample showered by Pythia (via susyscan.ingest.lhe);
- mass_reach.png: mass reach of the default run (read-only results/demo/plots/smuon/mass_reach.csv) vs ATLAS.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import awkward as ak
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from susyscan.generation import xsec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
REFERENCES = ROOT / "tests" / "validation" / "references.yaml"
LHE_DIRS = [ROOT / "tests" / "data" / "events"]
Z_WINDOW = (66.0, 116.0)


def load_references() -> dict:
    """The external reference values (tests/validation/references.yaml)."""
    return yaml.safe_load(REFERENCES.read_text())


def table_comparison(refs: dict) -> pd.DataFrame:
    """Our table value at each published point, and the relative difference."""
    rows = []
    for table, spec in refs["xsec_tables"]["tables"].items():
        for mass, published in spec["points"].items():
            ours, unc = xsec.lookup(table, float(mass))
            rows.append({"table": table, "mass_gev": float(mass), "published_pb": float(published),
                         "ours_pb": ours, "unc_pb": unc, "rel_diff": ours / float(published) - 1.0})
    return pd.DataFrame(rows)


def plot_tables(frame: pd.DataFrame, out: Path) -> None:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    for (table, group), colour in zip(frame.groupby("table"), ("C0", "C1", "C2")):
        tab = xsec.load_table(table)
        top.plot(tab.masses, tab.xsec_pb, "-", color=colour, lw=1, label=f"{table} (resources/xsec)")
        top.plot(group.mass_gev, group.published_pb, "o", mfc="none", color=colour, label="published version (points)")
        bottom.plot(group.mass_gev, 100 * group.rel_diff, "o", color=colour)
    top.set_yscale("log")
    top.set_ylabel("cross section [pb]")
    top.legend(fontsize=6.5)
    top.set_title("13 TeV SUSY cross-section tables vs published versions", fontsize=9)
    bottom.axhline(0, color="k", lw=0.5)
    bottom.set_ylabel("ours/published - 1 [%]")
    bottom.set_xlabel("mass [GeV]")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_kfactor(out: Path) -> pd.DataFrame:
    frame = pd.read_csv(ROOT / "benchmarks" / "results" / "kfactor_smuon_R.csv")
    tab = xsec.load_table("pp13_slep_R_NLO+NLL_PDF4LHC.json")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    sel = (tab.masses >= frame.m_smuon.min() - 20) & (tab.masses <= frame.m_smuon.max() + 50)
    top.plot(tab.masses[sel], tab.xsec_pb[sel], "k-", label="NLO+NLL table (Resummino, PDF4LHC15)")
    top.plot(frame.m_smuon, frame.xsec_lo_pythia_pb, "x", color="C3",
             label="Pythia 8.317 LO, SUSY:qqbar2sleptonantislepton (as is)")
    top.errorbar(frame.m_smuon, frame.xsec_lo_pb, frame.xsec_lo_err_pb, fmt="s", color="C2",
                 label="Pythia LO corrected: same-flavour q qbar, colour 1/3 (docs/pythia_slepton_bug.md)")
    top.plot(frame.m_smuon, frame.xsec_lo_dy_check_pb, "o", color="C0",
             label="independent LO: Pythia DY x analytic scalar/fermion ratio")
    top.set_yscale("log")
    top.set_ylabel("sigma(pp -> smuon_R smuon_R*) [pb]")
    top.legend(fontsize=7)
    top.set_title("smuon_R pair cross section, 13 TeV: Pythia LO before and after the bug fix", fontsize=9)
    bottom.plot(frame.m_smuon, frame.k_factor_pythia, "x", color="C3", label="NLO / Pythia LO")
    bottom.plot(frame.m_smuon, frame.k_factor, "s", color="C2", label="NLO / corrected LO")
    bottom.plot(frame.m_smuon, frame.k_factor_dy_check, "o", color="C0", label="NLO / independent LO")
    bottom.axhspan(1.1, 1.4, color="0.9", label="typical slepton K-factor")
    bottom.set_ylabel("K-factor")
    bottom.set_xlabel("m_smuon [GeV]")
    bottom.legend(fontsize=6.5, ncol=3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return frame


def _leading_pair_mass(particles: ak.Array, pid_abs: int) -> np.ndarray:
    """Invariant mass of the leading opposite-charge pair of |pid| = pid_abs final-state leptons (nan if none)."""
    lep = particles[abs(particles.pid) == pid_abs]
    pt = np.hypot(lep.px, lep.py)
    lep = lep[ak.argsort(pt, ascending=False)]
    pos, neg = lep[lep.pid < 0], lep[lep.pid > 0]  # l+ has negative pid
    ok = (ak.num(pos) > 0) & (ak.num(neg) > 0)
    a, b = ak.firsts(pos), ak.firsts(neg)
    e, px, py, pz = a.e + b.e, a.px + b.px, a.py + b.py, a.pz + b.pz
    m = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))
    return ak.to_numpy(ak.fill_none(ak.where(ok, m, np.nan), np.nan)).astype(float)


def lhe_z_validation(refs: dict, n_events: int, seed: int = 11) -> dict:
    """Shower + MLM-match the first ``n_events`` LHE events of the MadGraph Z + jets file (``n_events`` counts LHE
    events read, as in shower_lhe; the MLM veto leaves fewer); m_ll, matched cross section and comparisons."""
    from susyscan.ingest.lhe import shower_lhe

    spec = refs["lhe_z_mlm"]
    path = next(d / spec["file"] for d in LHE_DIRS if (d / spec["file"]).exists())
    events, info = shower_lhe(path, n_events=n_events, seed=seed)
    truth = events.truth
    hard_lep = truth[((abs(truth.pid) == 11) | (abs(truth.pid) == 13)) & (abs(truth.status) == 23)]
    flavour = ak.to_numpy(ak.fill_none(ak.firsts(abs(hard_lep.pid)), 0))
    tot = {k: ak.to_numpy(ak.sum(hard_lep[k], axis=1)).astype(float) for k in ("e", "px", "py", "pz")}
    mll_hard = np.sqrt(np.maximum(tot["e"] ** 2 - tot["px"] ** 2 - tot["py"] ** 2 - tot["pz"] ** 2, 0.0))
    mll_hard[ak.to_numpy(ak.num(hard_lep)) != 2] = np.nan  # generator-level (pre-FSR) m_ll of the hard leptons
    mll_e = _leading_pair_mass(events.particles, 11)
    mll_mu = _leading_pair_mass(events.particles, 13)
    mll = np.where(flavour == 13, mll_mu, np.where(flavour == 11, mll_e, np.nan))  # the hard-process flavour
    finite = mll[np.isfinite(mll)]
    in_window = float(np.mean((mll_hard > Z_WINDOW[0]) & (mll_hard < Z_WINDOW[1])))
    hist, edges = np.histogram(finite, bins=np.arange(30.0, 151.0, 2.0))
    centres = 0.5 * (edges[1:] + edges[:-1])
    peak = float(centres[np.argmax(hist)])
    near = finite[(finite > 80.0) & (finite < 100.0)]
    init_sum = float(sum(spec["init_xsecup_pb"]))
    sigma_window_per_flavour = info["xsec_pb"] * in_window / spec["n_flavours"]
    result = {
        "file": str(path), "n_lhe_read": int(info["n_read"]), "n_events_accepted": int(info["n_accepted"]),
        "n_tried": int(info["n_tried"]), "mlm_qcut_gev": info["scheme_parameters"].get("qcut"),
        "acceptance": float(info["acceptance"]), "xsec_matched_pb": float(info["xsec_pb"]),
        "xsec_matched_err_pb": float(info["xsec_err_pb"]), "init_xsecup_sum_pb": init_sum,
        "acceptance_x_init_pb": float(info["acceptance"]) * init_sum, "init_xsecup_0jet_pb": spec["init_xsecup_pb"][0],
        "fraction_with_os_pair_same_flavour": float(len(finite) / len(mll)), "mll_peak_bin_gev": peak,
        "mll_median_80_100_gev": float(np.median(near)) if len(near) else float("nan"),
        "fraction_66_116": in_window, "fraction_muon_events": float(np.mean(flavour == 13)),
        "mll_hard_min_gev": float(np.nanmin(mll_hard)), "sigma_66_116_per_flavour_pb": float(sigma_window_per_flavour),
        "atlas_pb": spec["atlas_7tev_z_ll_66_116_pb"], "atlas_unc_pb": spec["atlas_7tev_z_ll_66_116_unc_pb"],
        "n_electron_pairs": int(np.isfinite(mll_e).sum()), "n_muon_pairs": int(np.isfinite(mll_mu).sum()),
    }
    return {**result, "_hist": (edges, hist)}


def plot_lhe(result: dict, out: Path) -> None:
    edges, hist = result["_hist"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.stairs(hist, edges, color="C0", label=f"MadGraph Z+0,1,2j MLM (xqcut 10, qCut {result['mlm_qcut_gev']:g}) + Pythia 8: "
              f"{result['n_events_accepted']} matched of {result['n_lhe_read']} LHE events")
    ax.axvline(91.1876, color="k", ls="--", lw=0.8, label="m_Z = 91.19 GeV (PDG)")
    ax.axvspan(*Z_WINDOW, color="0.92", zorder=0, label="66-116 GeV window")
    ax.set_xlabel("m_ll of leading opposite-charge final-state e+e- or mu+mu- [GeV]")
    ax.set_ylabel("events / 2 GeV")
    ax.set_yscale("log")
    text = (f"matched sigma = {result['xsec_matched_pb']:.0f} +- {result['xsec_matched_err_pb']:.0f} pb (e+mu)\n"
            f"MLM acceptance = {result['acceptance']:.3f}; <init> sum = {result['init_xsecup_sum_pb']:.0f} pb\n"
            f"sigma(66-116)/flavour = {result['sigma_66_116_per_flavour_pb']:.0f} pb "
            f"(ATLAS 7 TeV: {result['atlas_pb']:.0f} +- {result['atlas_unc_pb']:.0f} pb)")
    ax.text(0.02, 0.97, text, transform=ax.transAxes, va="top", fontsize=7.5)
    ax.set_ylim(0.8, 20 * max(hist.max(), 1))
    ax.legend(fontsize=7, loc="center right")
    ax.set_title("7 TeV Z/gamma* -> ll + jets from the MadGraph LHE reference file", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_mass_reach(refs: dict, out: Path, reach_csv: Path) -> pd.DataFrame:
    frame = pd.read_csv(reach_csv)
    frame = frame[(frame.m_lsp == 0.0) & (frame.lumi_ifb == 139.0)]
    regions = ["Static jet veto", "BDT high", "BDT low", "NN high", "NN low", "best"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, region in enumerate(regions):
        for scenario, dx, colour in (("optimistic", -0.15, "C0"), ("pessimistic", 0.15, "C1")):
            row = frame[(frame.region == region) & (frame.scenario == scenario)]
            if row.empty or not np.isfinite(row.mass_reach_gev.iloc[0]):
                continue
            value, status = float(row.mass_reach_gev.iloc[0]), row.status.iloc[0]
            ax.bar(i + dx, value, width=0.3, color=colour, hatch="//" if status == "beyond grid" else None,
                   label=scenario if i == 0 else None)
    ax.axhline(refs["smuon_limits"]["atlas_1908_08215_smuon_R_approx_gev"], color="k", ls="--",
               label="ATLAS 139/fb smuon_R, approx. (arXiv:1908.08215)")
    ax.axhline(400.0, color="0.5", ls=":", label="edge of the demo grid (400 GeV)")
    ax.set_xticks(range(len(regions)), regions, fontsize=7.5)
    ax.set_ylabel("expected reach in m_smuon at m_LSP = 0 [GeV]")
    ax.set_title("Default (demo) run, 139/fb: expected mass reach; hatched = beyond grid", fontsize=9)
    ax.set_ylim(0, 560)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lhe-events", type=int, default=4000, help="LHE events read from the MLM file")
    parser.add_argument("--quick", action="store_true", help="300 LHE events read")
    parser.add_argument("--mass-reach", type=Path, default=ROOT / "results" / "demo" / "plots" / "smuon" / "mass_reach.csv")
    parser.add_argument("--only-lhe", action="store_true",
                        help="only the LHE section (lhe_z_mll.png, numbers updated in validation_numbers.json)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    refs = load_references()
    FIGURES.mkdir(parents=True, exist_ok=True)
    numbers_path = FIGURES / "validation_numbers.json"
    if args.only_lhe:
        numbers = json.loads(numbers_path.read_text()) if numbers_path.exists() else {}
        lhe = lhe_z_validation(refs, 300 if args.quick else args.lhe_events)
        plot_lhe(lhe, FIGURES / "lhe_z_mll.png")
        numbers["lhe_z_mlm"] = {k: v for k, v in lhe.items() if not k.startswith("_")}
        numbers_path.write_text(json.dumps(numbers, indent=1, default=float) + "\n")
        print(json.dumps(numbers["lhe_z_mlm"], indent=1, default=float))  # noqa: T201 - script output
        return
    numbers = {}
    tables = table_comparison(refs)
    plot_tables(tables, FIGURES / "xsec_tables.png")
    numbers["xsec_tables_max_abs_rel_diff"] = tables.groupby("table").rel_diff.apply(lambda s: float(s.abs().max())).to_dict()
    kf = plot_kfactor(FIGURES / "kfactor_smuon_R.png")
    numbers["kfactor"] = kf[["m_smuon", "k_factor", "k_factor_dy_check"]].to_dict(orient="records")
    lhe = lhe_z_validation(refs, 300 if args.quick else args.lhe_events)
    plot_lhe(lhe, FIGURES / "lhe_z_mll.png")
    numbers["lhe_z_mlm"] = {k: v for k, v in lhe.items() if not k.startswith("_")}
    if args.mass_reach.exists():
        reach = plot_mass_reach(refs, FIGURES / "mass_reach.png", args.mass_reach)
        numbers["mass_reach_139_mlsp0"] = reach[["region", "scenario", "mass_reach_gev", "status"]].to_dict(orient="records")
    (FIGURES / "validation_numbers.json").write_text(json.dumps(numbers, indent=1, default=float) + "\n")
    print(json.dumps(numbers, indent=1, default=float))  # noqa: T201 - script output


if __name__ == "__main__":
    main()
