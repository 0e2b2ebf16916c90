"""Unbiasedness of tau truth tagging with the random-tag MC error taken out: on the same Pythia events and detector
response, the truth-tagged yields of the stau preselection vs the mean of K random-tag replicas in which only the
tau tag's uniform numbers are redrawn (``susyscan.detector.jets.tau_tag`` wrapped for the replicas).

    PYTHONPATH=src nice -n 10 python benchmarks/tau_truth_tagging_replicas.py w_lnu 6000 40

Prints, per cut, the truth-tagged sum of weights (generator weight 1 per event) and the replica mean with its error.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import numpy as np

from susyscan.analyses import load_spec
from susyscan.analysis.config import load_analysis_config
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import synthetic_metadata
from susyscan.detector import load_card
from susyscan.detector.truthtag import truth_tag_metadata
from susyscan.generation.pythia_run import generate

YAML = "config/analyses/stau.yaml"


def main() -> None:
    process, n_events, n_replicas = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    logging.basicConfig(level=logging.WARNING)
    sim: Any = importlib.import_module("susyscan.detector.simulate")  # the module (the package exports the function)
    events = generate(process, n_events, 11).events
    card = load_card()
    cfg, spec = load_analysis_config(YAML), load_spec(YAML)

    def sums(truth_tagged: bool) -> dict[str, tuple[int, float]]:
        reco = sim.simulate(events, card, np.random.default_rng(1), tau_truth_tagging=truth_tagged)
        meta = synthetic_metadata("replicas", process, n_events=n_events)
        meta |= truth_tag_metadata(card) if truth_tagged else {}
        return {c["name"]: (c["n_raw"], c["sumw"]) for c in analyse_events(reco, meta, cfg, spec)[1]["cuts"]}

    truth = sums(True)
    original, redraw = sim.tau_tag, np.random.default_rng(99)
    sim.tau_tag = lambda jets, had, tracks, n, c, u, flavour: original(jets, had, tracks, n, c, redraw.random(len(u)),
                                                                       flavour)
    replicas = [sums(False) for _ in range(n_replicas)]
    sim.tau_tag = original
    for cut in ("lepton_pt", "one_tau", "opposite_sign", "met_cut"):
        values = np.array([r[cut][1] for r in replicas])
        print(f"{cut}: truth tagging {truth[cut][1]:.3f} ({truth[cut][0]} MC events) | random replicas "
              f"{values.mean():.3f} +- {values.std(ddof=1) / np.sqrt(n_replicas):.3f} (one replica: sd "
              f"{values.std(ddof=1):.3f}, K = {n_replicas})")


if __name__ == "__main__":
    main()
