"""Physics effect of the detector card's jet-input threshold (``jets.input_energy_min``) on fixed-seed Pythia events.

Run: python benchmarks/jet_input_threshold.py [--events 2000] [--thresholds 0,0.5,1.0] [--seed 4242]
Writes benchmarks/results/jet_input_threshold_physics.md and .json.

Per sample (unfiltered ttbar -> mu mu, ttbar with the ``dimuon_mt2`` filter of config/workstation.yaml, the smuon_R
(300, 100) signal), the particle-level events are generated once (``generate``, the chunk's generation) and
reconstructed once per threshold with the same detector seed:

- *unsmeared* (card override ``jets.energy_resolution: "0.0"``): the threshold's own effect on the jets, free of
  the jet-smearing draws, which are taken per clustered jet in order and so shift to other jets whenever a jet
  above ``cluster_pt_min`` appears or disappears: every R = 0.4 / R = 1.0 jet of the reference (threshold 0)
  matched to the nearest jet of the same event (dR < 0.2), pT and mass ratios new / old, unmatched fraction; the
  MET change per event;
- *production* (the card's smearing): mean jet multiplicities, MET and leading large-R jet mass, and the smuon
  analysis' cutflow and cut-and-count regions (``select_features`` with config/analyses/smuon.yaml, whose jet
  vetoes use the R = 1.0 ``largejet`` collection), with the events that enter or leave each selection.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pandas as pd
from _metrics import RESULTS

from susyscan.analysis.select import select_features
from susyscan.detector import load_card
from susyscan.detector.particles import PID_MUON, respond
from susyscan.eventio import write_events
from susyscan.generation.chunk import reconstruct
from susyscan.generation.filters import FilterSpec
from susyscan.generation.pythia_run import generate

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
ANALYSIS = ROOT / "config" / "analyses" / "smuon.yaml"
OPTIONS = {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0}
DIMUON_MT2 = FilterSpec("dimuon_mt2", "two truth muons pT > 40/15 GeV, truth mT2 > 80 GeV", muon_pt_min=(40.0, 15.0),
                        muon_abs_eta_max=2.5, mt2_min=80.0)
#: (label, process, masses, filter)
SAMPLES: list[tuple[str, str, dict[str, float] | None, FilterSpec | None]] = [
    ("ttbar_mumu", "ttbar_mumu", None, None),
    ("ttbar_mumu dimuon_mt2", "ttbar_mumu", None, DIMUON_MT2),
    ("smuon_R 300,100", "smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0}, None),
]


def matched(old: ak.Array, new: ak.Array, prefix: str, max_dr: float = 0.2) -> dict[str, np.ndarray]:
    """Per jet of ``old`` (flat): pT and mass ratio to the nearest ``new`` jet of its event (NaN if none within
    ``max_dr``)."""
    def jets(events: ak.Array) -> ak.Array:
        return ak.zip({k: events[f"{prefix}_{k}"] for k in ("pt", "eta", "phi", "mass")})

    pairs = ak.cartesian({"o": jets(old), "n": jets(new)}, nested=True)
    dphi = (pairs.n.phi - pairs.o.phi + np.pi) % (2 * np.pi) - np.pi
    dr = np.sqrt((pairs.n.eta - pairs.o.eta) ** 2 + dphi**2)
    best = ak.argmin(dr, axis=2, keepdims=True)
    best_dr = ak.fill_none(ak.firsts(dr[best], axis=2), np.inf)
    partner = ak.firsts(pairs.n[best], axis=2)
    ok = best_dr < max_dr
    pt_new = ak.fill_none(partner.pt, np.nan)
    mass_new = ak.fill_none(partner.mass, np.nan)
    pt_ratio = ak.to_numpy(ak.flatten(ak.where(ok, pt_new / old[f"{prefix}_pt"], np.nan))).astype(np.float64)
    mass_ratio = ak.to_numpy(ak.flatten(ak.where(ok, mass_new / old[f"{prefix}_mass"], np.nan))).astype(np.float64)
    return {"pt_ratio": pt_ratio, "mass_ratio": mass_ratio, "old_pt": ak.to_numpy(ak.flatten(old[f"{prefix}_pt"])),
            "old_mass": ak.to_numpy(ak.flatten(old[f"{prefix}_mass"]))}


def summary(values: np.ndarray) -> dict[str, float]:
    """Mean, standard deviation, 5 % and 95 % quantiles and count of the finite values, and the NaN fraction."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return {"n": 0, "mean": float("nan"), "std": float("nan"), "q05": float("nan"), "q95": float("nan"),
                "unmatched": float("nan")}
    return {"n": int(len(finite)), "mean": float(finite.mean()), "std": float(finite.std()),
            "mean_err": float(finite.std() / np.sqrt(len(finite))), "q05": float(np.quantile(finite, 0.05)),
            "q95": float(np.quantile(finite, 0.95)), "unmatched": float(1 - len(finite) / max(len(values), 1))}


def select(reco: ak.Array, label: str, seed: int, tmp: Path, tag: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Write the reconstructed events and run the smuon selection; (cutflow record, feature frame)."""
    path = tmp / f"{tag}.root"
    weights = ak.to_numpy(reco["weight"])
    write_events(path, reco, {"sample": label.replace(" ", "_").replace(",", "_"), "process": "benchmark",
                              "chunk": 0, "seed": seed, "xsec_pb": 1.0, "sum_weights": float(weights.sum()),
                              "xsec_source": "benchmark", "xsec_lo_pb": 1.0, "sqrt_s_gev": 13000.0,
                              "generator": "benchmark", "detector_card": str(CARD), "config_hash": "",
                              "susyscan_version": "benchmark"})
    cutflow = select_features(path, ANALYSIS, tmp / f"{tag}.csv.gz", tmp / f"{tag}.json")
    return cutflow, pd.read_csv(tmp / f"{tag}.csv.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--thresholds", default="0,0.5,1.0", help="jets.input_energy_min values (GeV); first = reference")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--only", default="", help="comma-separated substrings of the sample labels")
    args = parser.parse_args()
    thresholds = [float(v) for v in args.thresholds.split(",")]
    results: dict[str, Any] = {}
    lines = [f"# Jet-input threshold: physics effect ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"`python benchmarks/jet_input_threshold.py --events {args.events} --thresholds {args.thresholds} "
             f"--seed {args.seed}`; reference: threshold {thresholds[0]:g} GeV.", ""]
    for label, process, masses, spec in SAMPLES:
        if args.only and not any(s in label for s in args.only.split(",")):
            continue
        events = generate(process, args.events, args.seed, masses=masses, filter_spec=spec).events
        n_particles = ak.to_numpy(ak.num(events["particles"]))
        flat = respond(events["particles"], load_card(CARD), np.random.default_rng(args.seed))
        energy = flat.e[flat.visible & (flat.pf_class != PID_MUON)]  # the jet-input candidates (isolated e/gamma aside)
        res: dict[str, Any] = {"particles_per_event": float(n_particles.mean()),
                               "inputs_per_event": float(len(energy) / len(events)),
                               "inputs_removed": {f"{t:g}": float((energy <= t).mean()) for t in thresholds}}
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            raw = {t: reconstruct(events, CARD, {"jets.input_energy_min": t, "jets.energy_resolution": "0.0"},
                                  args.seed, OPTIONS) for t in thresholds}
            prod = {t: reconstruct(events, CARD, {"jets.input_energy_min": t}, args.seed, OPTIONS) for t in thresholds}
            selections = {t: select(prod[t], label, args.seed, tmp, f"t{t:g}") for t in thresholds}
        ref = thresholds[0]
        for t in thresholds:
            row: dict[str, Any] = {}
            for prefix in ("jet", "largejet"):
                m = matched(raw[ref], raw[t], prefix)
                row[f"{prefix}_pt_ratio"] = summary(m["pt_ratio"])
                row[f"{prefix}_pt_ratio_above50"] = summary(m["pt_ratio"][m["old_pt"] > 50.0])
                row[f"{prefix}_mass_ratio"] = summary(m["mass_ratio"][m["old_mass"] > 20.0])
            dmet = ak.to_numpy(raw[t]["met"]).astype(np.float64) - ak.to_numpy(raw[ref]["met"]).astype(np.float64)
            row["met_shift_unsmeared"] = summary(dmet)
            reco = prod[t]
            central = (np.abs(reco["jet_eta"]) < 2.5)
            lead_mass = ak.to_numpy(ak.fill_none(ak.firsts(reco["largejet_mass"]), np.nan)).astype(np.float64)
            row["production"] = {
                "n_jets": float(ak.mean(ak.num(reco["jet_pt"]))),
                "n_jets_central": float(ak.mean(ak.sum(central, axis=1))),
                "n_largejets": float(ak.mean(ak.num(reco["largejet_pt"]))),
                "n_largejets_central": float(ak.mean(ak.sum(np.abs(reco["largejet_eta"]) < 2.5, axis=1))),
                "met_mean": float(ak.mean(reco["met"])),
                "lead_largejet_mass_mean": float(np.nanmean(lead_mass)),
            }
            cutflow, frame = selections[t]
            ref_frame = selections[ref][1]
            cuts = {c["name"]: int(c["n_raw"]) for c in cutflow["cuts"]}
            regions = {}
            for region, value in cutflow["baselines"].items():
                now = set(frame.loc[frame[region] == 1, "event"])
                before = set(ref_frame.loc[ref_frame[region] == 1, "event"])
                regions[region] = {"n_raw": int(value["n_raw"]), "gained": len(now - before), "lost": len(before - now)}
            now, before = set(frame["event"]), set(ref_frame["event"])
            row["cutflow"] = cuts
            row["preselected"] = {"n": len(now), "gained": len(now - before), "lost": len(before - now)}
            row["regions"] = regions
            res[f"{t:g}"] = row
        results[label] = res
        lines += sample_lines(label, res, thresholds, args.events)
        print("\n".join(lines[-40:]), flush=True)  # noqa: T201
    (RESULTS / "jet_input_threshold_physics.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "jet_input_threshold_physics.md").write_text("\n".join(lines) + "\n")


def sample_lines(label: str, res: dict[str, Any], thresholds: list[float], n_events: int) -> list[str]:
    """Markdown tables of one sample."""
    removed = ", ".join(f"{100 * res['inputs_removed'][f'{t:g}']:.1f} % at {t:g} GeV" for t in thresholds[1:])
    lines = [f"## {label} ({n_events} events, {res['particles_per_event']:.0f} particles per event)", "",
             f"Jet-input candidates (visible particles other than muons): {res['inputs_per_event']:.0f} per event; "
             f"removed by the threshold: {removed}.", "",
             "Unsmeared jets (matched to the reference jets, dR < 0.2): mean [5 %-95 % quantiles] of new / old, and "
             "the fraction of reference jets without a match.", "",
             "| threshold (GeV) | R=0.4 pT ratio | R=0.4 pT > 50 | unmatched | R=1.0 pT ratio | R=1.0 mass ratio "
             "(m > 20) | unmatched | MET new - old (GeV) mean [5-95 %] |",
             "|---:|---|---|---:|---|---|---:|---|"]

    def fmt(s: dict[str, float], digits: int = 4) -> str:
        return f"{s['mean']:.{digits}f} [{s['q05']:.{digits}f}-{s['q95']:.{digits}f}]" if s["n"] else "-"

    for t in thresholds[1:]:
        r = res[f"{t:g}"]
        lines.append(f"| {t:g} | {fmt(r['jet_pt_ratio'])} | {fmt(r['jet_pt_ratio_above50'])} | "
                     f"{100 * r['jet_pt_ratio']['unmatched']:.1f} % | {fmt(r['largejet_pt_ratio'])} | "
                     f"{fmt(r['largejet_mass_ratio'])} | {100 * r['largejet_pt_ratio']['unmatched']:.1f} % | "
                     f"{fmt(r['met_shift_unsmeared'], 2)} |")
    lines += ["", "Production (card smearing): per-event means; smuon cutflow raw counts (events gained / lost "
              "against the reference, by event index).", "",
              "| threshold (GeV) | jets | jets abs(eta) < 2.5 | large-R jets | large-R abs(eta) < 2.5 | MET | "
              "leading large-R mass | preselected (+/-) | " + " | ".join(
                  r.replace("sr_", "") for r in res[f"{thresholds[0]:g}"]["regions"]) + " |",
              "|---:|" + "---:|" * (7 + len(res[f"{thresholds[0]:g}"]["regions"]))]
    for t in thresholds:
        r = res[f"{t:g}"]
        p = r["production"]
        cells = [f"{t:g}", f"{p['n_jets']:.3f}", f"{p['n_jets_central']:.3f}", f"{p['n_largejets']:.3f}",
                 f"{p['n_largejets_central']:.3f}", f"{p['met_mean']:.2f}", f"{p['lead_largejet_mass_mean']:.2f}",
                 f"{r['preselected']['n']} (+{r['preselected']['gained']}/-{r['preselected']['lost']})"]
        cells += [f"{v['n_raw']} (+{v['gained']}/-{v['lost']})" for v in r["regions"].values()]
        lines.append("| " + " | ".join(cells) + " |")
    cut_names = list(res[f"{thresholds[0]:g}"]["cutflow"])
    lines += ["", "| cut | " + " | ".join(f"{t:g} GeV" for t in thresholds) + " |", "|---|" + "---:|" * len(thresholds)]
    for cut in cut_names:
        lines.append(f"| {cut} | " + " | ".join(str(res[f'{t:g}']['cutflow'][cut]) for t in thresholds) + " |")
    return lines + [""]


if __name__ == "__main__":
    main()
