"""Lost muons and fake MET in WW -> mu nu mu nu, before/after the unidentified-muon MET fix (issue 11, section 5).

Before the fix, a muon that had a track but failed the card's identification efficiency was in no MET term
(not a muon, not a jet input, not in the soft term), so its whole pT became missing momentum. Now its track
enters the soft term (`susyscan.detector.simulate.missing_et`). This script keeps a frozen copy of the
previous MET function (`missing_et_before`) and runs the detector twice on the same Pythia WW events with the
same seed, patching the old function in for the "before" run; every branch but `met`/`met_phi` is checked
identical. It reports, before and after, the fraction of events with a lost muon (a truth W-decay muon with
no reconstructed muon within dR < 0.1) among events with MET above and below the cut, split into lost muons
that still have a track (a muon PF candidate within dR < 0.1: failed identification) and lost muons without
one (outside the tracker, or tracking inefficiency).

Run: python benchmarks/bench_lost_muon_met.py [--events 10000] [--seed 2026] [--met-cut 110] [--quick]
Writes benchmarks/results/lost_muon_met.md and prints the table. --quick: 2000 events.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import time
from pathlib import Path

import awkward as ak
import numpy as np

from susyscan.detector import load_card, simulate
from susyscan.detector.card import DetectorCard
from susyscan.detector.jets import FlatJets
from susyscan.detector.kinematics import delta_r
from susyscan.detector.objects import RecoObjects
from susyscan.detector.particles import FlatParticles
from susyscan.generation.pythia_run import generate

# the module (the package attribute `susyscan.detector.simulate` is the function of the same name)
detector_simulate = importlib.import_module("susyscan.detector.simulate")
RESULTS = Path(__file__).resolve().parent / "results" / "lost_muon_met.md"
MATCH_DR = 0.1


def missing_et_before(
    p: FlatParticles, muons: RecoObjects, electrons: RecoObjects, photons: RecoObjects, jets: FlatJets,
    jet_inputs: np.ndarray, card: DetectorCard,
) -> tuple[np.ndarray, np.ndarray]:
    """Frozen copy of the MET before the fix: muon tracks failing identification are in no term."""
    n, n_particles = p.n_events, len(p.pid)
    spx, spy = p.px * p.scale, p.py * p.scale
    used = np.zeros(n_particles, dtype=bool)
    used[jets.constituents] = True
    met_terms = np.concatenate([muons.index, electrons.index[electrons.isolated], photons.index[photons.isolated]])
    soft = np.zeros(n_particles, dtype=bool)
    soft[jet_inputs] = True
    soft &= ~used & (p.pt_smeared > card.met_soft_pt_min)
    objs = np.concatenate([met_terms, np.flatnonzero(soft)])
    sum_px = np.bincount(p.event[objs], weights=spx[objs], minlength=n) + np.bincount(jets.event, weights=jets.px, minlength=n)
    sum_py = np.bincount(p.event[objs], weights=spy[objs], minlength=n) + np.bincount(jets.event, weights=jets.py, minlength=n)
    return np.hypot(sum_px, sum_py), np.arctan2(-sum_py, -sum_px)


def run_detector(events: ak.Array, card: DetectorCard, seed: int, before: bool) -> ak.Array:
    """simulate() with the current MET, or with the frozen pre-fix MET patched in."""
    current = detector_simulate.missing_et
    if before:
        detector_simulate.missing_et = missing_et_before
    try:
        return simulate(events, card, np.random.default_rng([seed, 1]))
    finally:
        detector_simulate.missing_et = current


def _any_match(truth_mu: ak.Array, eta: ak.Array, phi: ak.Array) -> np.ndarray:
    """Per truth muon (jagged), whether any object (eta, phi) of the event lies within MATCH_DR."""
    objs = ak.zip({"eta": eta, "phi": phi})
    pairs = ak.cartesian({"t": truth_mu, "o": objs}, nested=True)
    return ak.any(delta_r(pairs.t.eta, pairs.t.phi, pairs.o.eta, pairs.o.phi) < MATCH_DR, axis=2)


def lost_muon_flags(events: ak.Array, reco: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per event: (a truth W muon lost but tracked, a truth W muon lost without a track)."""
    truth = events["truth"]
    mu = truth[abs(truth["pid"]) == 13]
    pt = np.hypot(mu["px"], mu["py"])
    truth_mu = ak.zip({"eta": np.arcsinh(mu["pz"] / pt), "phi": np.arctan2(mu["py"], mu["px"])})
    found = _any_match(truth_mu, reco.muon_eta, reco.muon_phi)
    is_mu_track = reco.pfcand_pid == 13
    tracked = _any_match(truth_mu, reco.pfcand_eta[is_mu_track], reco.pfcand_phi[is_mu_track])
    lost_tracked = ak.to_numpy(ak.any(~found & tracked, axis=1))
    lost_untracked = ak.to_numpy(ak.any(~found & ~tracked, axis=1))
    return lost_tracked, lost_untracked


def neutrino_met(events: ak.Array) -> np.ndarray:
    """Generator-level MET: pT of the vector sum of the final-state neutrinos."""
    p = events["particles"]
    nu = p[(abs(p["pid"]) == 12) | (abs(p["pid"]) == 14) | (abs(p["pid"]) == 16)]
    return np.hypot(ak.to_numpy(ak.sum(nu["px"], axis=1)), ak.to_numpy(ak.sum(nu["py"], axis=1)))


def _fraction(k: int, n: int) -> str:
    """k/n in percent with its binomial error."""
    if n == 0:
        return "-"
    f = k / n
    return f"{100 * f:.1f} ± {100 * np.sqrt(f * (1 - f) / n):.1f} %"


def table(rows: list[dict[str, object]]) -> list[str]:
    """Markdown rows of the summaries."""
    md = ["| MET | events | lost muon (any) | lost, tracked (failed ID) | lost, no track | mean MET (GeV) |",
          "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['label']} | {r['n']} | {r['any']} | {r['tracked']} | {r['untracked']} | {r['mean_met']} |")
    return md


def class_table(lost_tracked: np.ndarray, lost_untracked: np.ndarray, met_before: np.ndarray, met_after: np.ndarray,
                met_truth: np.ndarray, met_cut: float) -> list[str]:
    """Markdown rows: per lost-muon class, the fraction of events above the MET cut before, after, reference."""
    classes = (("no lost muon", ~(lost_tracked | lost_untracked)),
               ("lost, tracked (failed ID), no untracked", lost_tracked & ~lost_untracked),
               ("lost, no track", lost_untracked))
    md = [f"| events | n | MET > {met_cut:g}: before | after | reference (neutrino MET) |", "|---|---:|---:|---:|---:|"]
    for label, sel in classes:
        n = int(sel.sum())
        cells = [_fraction(int((met[sel] > met_cut).sum()), n) for met in (met_before, met_after, met_truth)]
        md.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    return md


def summarise(variant: str, met: np.ndarray, lost_tracked: np.ndarray, lost_untracked: np.ndarray,
              met_cut: float) -> list[dict[str, object]]:
    """Lost-muon fractions above and below the MET cut."""
    rows = []
    lost = lost_tracked | lost_untracked
    for label, sel in ((f"{variant}: MET > {met_cut:g} GeV", met > met_cut), (f"{variant}: MET < {met_cut:g} GeV", met <= met_cut)):
        n = int(sel.sum())
        rows.append({"label": label, "n": n, "any": _fraction(int(lost[sel].sum()), n),
                     "tracked": _fraction(int(lost_tracked[sel].sum()), n),
                     "untracked": _fraction(int(lost_untracked[sel].sum()), n),
                     "mean_met": f"{met[sel].mean():.1f}" if n else "-"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--met-cut", type=float, default=110.0)
    parser.add_argument("--quick", action="store_true", help="2000 events")
    args = parser.parse_args()
    n_events = 2000 if args.quick else args.events

    start = time.perf_counter()
    events = generate("ww_mumu", n_events, args.seed).events
    t_gen = time.perf_counter() - start
    card = load_card()
    reco = {}
    for variant in ("before", "after"):
        reco[variant] = run_detector(events, card, args.seed, before=variant == "before")
    for field in reco["after"].fields:
        if field in ("met", "met_phi"):
            continue
        if not ak.all(ak.ravel(reco["before"][field]) == ak.ravel(reco["after"][field])):
            raise RuntimeError(f"branch {field} differs between before and after: the comparison is not like-for-like")

    lost_tracked, lost_untracked = lost_muon_flags(events, reco["after"])
    rows: list[dict[str, object]] = []
    for variant in ("before", "after"):
        rows += summarise(variant, ak.to_numpy(reco[variant].met), lost_tracked, lost_untracked, args.met_cut)
    rows += summarise("reference, neutrino MET", neutrino_met(events), lost_tracked, lost_untracked, args.met_cut)
    n_reco = ak.to_numpy(ak.num(reco["after"].muon_pt))
    met_before, met_after = ak.to_numpy(reco["before"].met), ak.to_numpy(reco["after"].met)
    changed = np.abs(met_before - met_after) > 1e-3

    md = [
        "# Lost muons and MET in WW -> mu nu mu nu (issue 11, section 5)",
        "",
        f"`python benchmarks/bench_lost_muon_met.py --events {n_events} --seed {args.seed} --met-cut {args.met_cut:g}`"
        f" ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, Pythia {t_gen:.0f} s).",
        "",
        f"Pythia 8 `ww_mumu` (13 TeV, both W -> mu nu), {n_events} events; default detector card; the same events and",
        "detector seed for both rows, only the MET function differs (every other branch checked identical).",
        "*before*: a muon with a track that fails the identification efficiency is in no MET term, so its pT becomes",
        "missing momentum; *after*: its track enters the MET soft term (`susyscan.detector.simulate.missing_et`).",
        f"Lost muon: a truth W-decay muon with no reconstructed muon within dR < {MATCH_DR}; *tracked*: a muon PF",
        "candidate (track, pT > 1 GeV) lies within that dR (the muon failed identification, pT < 10 GeV included);",
        "*no track*: outside the tracker (|eta| > 2.5) or lost by the tracking efficiency. An event can have both kinds.",
        "The *reference* rows split the same events on the generator-level MET (vector sum of the neutrinos): the",
        "lost-muon fractions a perfect MET would show, i.e. the genuine correlation with the event kinematics.",
        "Errors: binomial, statistical only.",
        "",
        *table(rows),
        "",
        f"Events with a lost muon: {_fraction(int((lost_tracked | lost_untracked).sum()), n_events)} of all events "
        f"(tracked {_fraction(int(lost_tracked.sum()), n_events)}, no track {_fraction(int(lost_untracked.sum()), n_events)}); "
        f"events with fewer than 2 reconstructed muons: {_fraction(int((n_reco < 2).sum()), n_events)}.",
        "",
        "The rows above mix event classes (fake MET from untracked muons dilutes the MET > cut rows). Per class, the",
        f"fraction of events with MET > {args.met_cut:g} GeV; fake MET shows as an excess over the neutrino-MET reference:",
        "",
        *class_table(lost_tracked, lost_untracked, met_before, met_after, neutrino_met(events), args.met_cut),
        "",
        f"MET changed in {int(changed.sum())} events ({_fraction(int(changed.sum()), n_events)}); "
        f"events with MET > {args.met_cut:g} GeV: {int((met_before > args.met_cut).sum())} before, "
        f"{int((met_after > args.met_cut).sum())} after.",
    ]
    text = "\n".join(md) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)  # noqa: T201


if __name__ == "__main__":
    main()
