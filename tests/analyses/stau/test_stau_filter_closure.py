"""Closure of the stau generator filter lep_tau_15 (config/stau.yaml): filtered vs unfiltered yields after the
lepton requirements of the stau preselection (exactly one e/mu, pT > 27 GeV; the tau, OS and MET cuts opened, so
that the comparison has MC statistics and tests what the filter acts on), and for tW at every cut stage with tau
truth tagging (the meaningful-statistics run: benchmarks/tw_filter_closure.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from susyscan.generation.closure import filter_closure, filter_closure_stages
from susyscan.generation.filters import FilterSpec, filter_from_config

REPO = Path(__file__).resolve().parents[3]
OPEN_TAU_CUTS = {"one_tau": "n_taus >= 0", "opposite_sign": "n_taus >= 0", "met_cut": "met >= 0"}


def lep_tau_15():  # noqa: ANN201
    config = yaml.safe_load((REPO / "config" / "stau.yaml").read_text())
    return filter_from_config("lep_tau_15", config["generation"]["filters"]["lep_tau_15"])


@pytest.mark.slow
@pytest.mark.parametrize("process", ["z_tautau", "ttbar_incl"])  # W, Z -> ll: unfiltered (docs/analysis_stau.md)
def test_lep_tau_15_closes_after_the_lepton_cuts(process: str, tmp_path: Path) -> None:
    result = filter_closure(process, lep_tau_15(), n_unfiltered=1500, n_filtered=800, workdir=tmp_path, seed=3,
                            analysis_config=REPO / "config" / "analyses" / "stau.yaml", cut_overrides=OPEN_TAU_CUTS)
    assert result.cut == "met_cut" and result.unfiltered_raw > 30
    assert abs(result.pull) < 3.0, result.as_row()


def test_lep_tau_15_closes_for_tw_at_every_stau_cut_and_a_too_tight_filter_does_not(tmp_path: Path) -> None:
    """tW (the external single_top_tw process) with tau truth tagging as the configs use it: filtered vs unfiltered
    at every cut stage of the stau preselection (a few hundred events: the lepton stages carry the test, the tau
    stages must not disagree wildly); a 80 GeV lepton filter, tighter than the 27 GeV cut, must fail at lepton_pt."""
    truth = {"tau_truth_tagging": True}
    stau = REPO / "config" / "analyses" / "stau.yaml"
    rows = filter_closure_stages("single_top_tw", lep_tau_15(), 400, 200, tmp_path / "loose", seed=5,
                                 analysis_config=stau, events_per_chunk=400, detector_options=truth)
    assert [r.cut for r in rows] == ["initial", "one_lepton", "lepton_pt", "one_tau", "opposite_sign", "met_cut",
                                     "b_veto"]
    assert 0.35 < rows[0].ratio < 0.65  # initial: the filter efficiency (0.48 +- 0.02 measured)
    by_cut = {r.cut: r for r in rows}
    assert by_cut["lepton_pt"].unfiltered_raw >= 40 and by_cut["met_cut"].unfiltered_raw >= 5
    for r in rows[1:]:
        assert abs(r.pull) < 3.0, r.as_row()
    tight = FilterSpec("lep_80", "one lepton (e, mu, tau) pT > 80 GeV: tighter than the 27 GeV cut", (80.0,), 2.7,
                       lepton_flavours=(11, 13, 15))
    biased = filter_closure("single_top_tw", tight, 400, 200, tmp_path / "tight", seed=5, analysis_config=stau,
                            events_per_chunk=400, cut="lepton_pt")
    assert biased.pull < -3.0 and biased.ratio < 0.6, biased.as_row()
