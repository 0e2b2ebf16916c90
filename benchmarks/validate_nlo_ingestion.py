"""Validation of the NLO / merged LHE ingestion on the Z + jets reference files (docs/validation.md, section
"NLO and merged LHE files").

Showers the first ``--events`` LHE events of the MLM, CKKW-L and FxFx Z + jets files (MadGraph 2.2.1, 7 TeV,
Pythia 8.312 examples; shared/reference/events, else the slices in tests/data/events) with the scheme the header
says, runs the default detector, and writes per scheme: the merged cross section against the header's sum of
XSECUP and against MLM, sigma(66 < m_ll < 116 GeV) per lepton flavour against ATLAS at 7 TeV (the reference of
tests/validation/references.yaml), the reco m_ll peak, the fraction of negative weights after showering and
N_eff, and the reco jet multiplicity (pT > 30 GeV, |eta| < 2.5) as a plot, all with signed weights.

    .venv/bin/python benchmarks/validate_nlo_ingestion.py --events 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import awkward as ak
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "events"
SLICES = ROOT / "tests" / "data" / "events"
FILES = {
    "MLM": ("pylhe-testfile-madgraph-2.2.1-Z-mlm.lhe.gz", {}),
    "CKKW-L": ("pylhe-testfile-madgraph-2.2.1-Z-ckkwl.lhe.gz", {"merging_scale": 15.0}),
    "FxFx": ("pylhe-testfile-madgraph-2.2.1-Z-fxfx.lhe.gz", {}),
}
Z_WINDOW = (66.0, 116.0)
ATLAS_7TEV_PB, ATLAS_7TEV_UNC_PB = 820.0, 120.0  # per flavour, 66-116 GeV (tests/validation/references.yaml)


def _path(name: str) -> Path:
    for candidate in (SHARED / name, SLICES / name, SLICES / name.replace(".lhe.gz", "-first600.lhe.gz")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)


def _pair_mass(objs: ak.Array) -> np.ndarray:
    """m of the two leading objects with (pt, eta, phi), massless; nan when fewer than two."""
    ok = ak.num(objs.pt) >= 2
    padded = ak.pad_none(objs, 2)
    a, b = padded[:, 0], padded[:, 1]
    m2 = 2 * a.pt * b.pt * (np.cosh(a.eta - b.eta) - np.cos(a.phi - b.phi))
    return ak.to_numpy(ak.fill_none(ak.where(ok, np.sqrt(np.maximum(m2, 0)), np.nan), np.nan)).astype(float)


def _hard_mll(events: ak.Array) -> np.ndarray:
    truth = events.truth
    lep = truth[((abs(truth.pid) == 11) | (abs(truth.pid) == 13)) & (abs(truth.status) == 23)]
    tot = {k: ak.to_numpy(ak.sum(lep[k], axis=1)).astype(float) for k in ("e", "px", "py", "pz")}
    mll = np.sqrt(np.maximum(tot["e"] ** 2 - tot["px"] ** 2 - tot["py"] ** 2 - tot["pz"] ** 2, 0.0))
    mll[ak.to_numpy(ak.num(lep)) != 2] = np.nan
    return mll


def run_scheme(label: str, n_events: int, seed: int) -> dict:
    from susyscan.detector import load_card, simulate
    from susyscan.ingest.lhe import shower_lhe

    name, options = FILES[label]
    path = _path(name)
    start = time.perf_counter()
    events, info = shower_lhe(path, n_events=n_events, seed=seed, options=options)
    reco = simulate(events, load_card(None), np.random.default_rng(seed))
    seconds = time.perf_counter() - start
    w = ak.to_numpy(events.weight).astype(float)
    norm = info["xsec_pb"] / w.sum()  # pb per unit weight
    mll_hard = _hard_mll(events)
    in_window = np.isfinite(mll_hard) & (mll_hard > Z_WINDOW[0]) & (mll_hard < Z_WINDOW[1])
    frac = float(w[in_window].sum() / w.sum())
    frac_err = float(np.sqrt(np.square(w[in_window]).sum()) / abs(w.sum()))
    mll_mu = _pair_mass(ak.zip({"pt": reco.muon_pt, "eta": reco.muon_eta, "phi": reco.muon_phi}))
    mll_e = _pair_mass(ak.zip({"pt": reco.electron_pt, "eta": reco.electron_eta, "phi": reco.electron_phi}))
    mll = np.where(np.isfinite(mll_mu), mll_mu, mll_e)
    fin = np.isfinite(mll)
    hist, edges = np.histogram(mll[fin], bins=np.arange(60.0, 122.0, 2.0), weights=w[fin])
    peak = float(0.5 * (edges[np.argmax(hist)] + edges[np.argmax(hist) + 1]))
    near = fin & (np.abs(mll - 91.19) < 10.0)
    jets = ak.to_numpy(ak.sum((reco.jet_pt > 30.0) & (abs(reco.jet_eta) < 2.5), axis=1))
    bins = np.arange(0, 5)
    njet = [float(w[np.minimum(jets, 4) == k].sum() * norm) for k in bins]
    njet_err = [float(np.sqrt(np.square(w[np.minimum(jets, 4) == k]).sum()) * abs(norm)) for k in bins]
    sigma_window = info["xsec_pb"] * frac / 2.0
    return {
        "file": str(path.relative_to(ROOT.parent)) if path.is_relative_to(ROOT.parent) else str(path),
        "scheme": info["scheme"], "parameters": info["scheme_parameters"], "n_read": info["n_read"],
        "n_showered": info["n_accepted"], "xsec_pb": info["xsec_pb"], "xsec_err_pb": info["xsec_err_pb"],
        "header_xsec_pb": info["header_xsec_pb"], "ratio_to_header": info["xsec_ratio_to_header"],
        "negative_fraction_showered": info["negative_fraction"], "n_eff": info["n_effective"],
        "sigma_66_116_per_flavour_pb": sigma_window,
        "sigma_66_116_err_pb": float(np.hypot(info["xsec_err_pb"] * frac, info["xsec_pb"] * frac_err) / 2.0),
        "reco_mll_peak_gev": peak, "reco_mll_within_10gev_fraction": float(w[near].sum() / w[fin].sum()),
        "njet_xsec_pb": njet, "njet_xsec_err_pb": njet_err, "seconds": seconds,
    }


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    x = np.arange(5)
    ref = np.array(results["MLM"]["njet_xsec_pb"])
    for offset, (label, res) in zip((-0.22, 0.0, 0.22), results.items()):
        y, e = np.array(res["njet_xsec_pb"]), np.array(res["njet_xsec_err_pb"])
        top.errorbar(x + offset, y, yerr=e, fmt="o", capsize=3,
                     label=f"{label}: {res['xsec_pb']:.0f} ± {res['xsec_err_pb']:.0f} pb ({res['n_read']} LHE events)")
        bottom.errorbar(x + offset, y / ref, yerr=e / ref, fmt="o", capsize=3)
    top.set_yscale("log")
    top.set_ylabel("σ per bin [pb]")
    top.set_title("Z/γ* → ℓℓ + jets, 7 TeV, MadGraph + Pythia 8.317 (reco jets pT > 30 GeV, |η| < 2.5)", fontsize=9)
    top.legend(fontsize=8)
    bottom.axhline(1.0, color="grey", lw=0.8)
    bottom.set_ylabel("/ MLM")
    bottom.set_ylim(0.0, 2.5)
    bottom.set_xticks(x, ["0", "1", "2", "3", "≥4"])
    bottom.set_xlabel("number of jets")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="LHE events read per file")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "nlo_ingestion.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "figures" / "nlo_jet_multiplicity.png")
    args = parser.parse_args()
    results = {label: run_scheme(label, args.events, args.seed) for label in FILES}
    args.out.write_text(json.dumps({"events": args.events, "seed": args.seed, "results": results}, indent=1))
    plot(results, args.plot)
    print(f"| scheme | LHE events | showered | sigma merged [pb] | header sum [pb] | ratio | / MLM | "
          f"sigma(66-116)/flavour [pb] vs ATLAS {ATLAS_7TEV_PB:.0f} ± {ATLAS_7TEV_UNC_PB:.0f} | m_ll peak | "
          f"neg. weights | N_eff |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    mlm = results["MLM"]["xsec_pb"]
    for label, r in results.items():
        print(f"| {label} | {r['n_read']} | {r['n_showered']} | {r['xsec_pb']:.0f} ± {r['xsec_err_pb']:.0f} | "
              f"{r['header_xsec_pb']:.0f} | {r['ratio_to_header']:.3f} | {r['xsec_pb'] / mlm:.2f} | "
              f"{r['sigma_66_116_per_flavour_pb']:.0f} ± {r['sigma_66_116_err_pb']:.0f} | {r['reco_mll_peak_gev']:.0f} | "
              f"{100 * r['negative_fraction_showered']:.1f} % | {r['n_eff']:.0f} |")


if __name__ == "__main__":
    main()
