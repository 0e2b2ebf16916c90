"""Closure of the stau generator filter lep_tau_15 (config/stau.yaml): filtered vs unfiltered yields after the
lepton requirements of the stau preselection (exactly one e/mu, pT > 27 GeV; the tau, OS and MET cuts opened, so
that the comparison has MC statistics and tests what the filter acts on)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from susyscan.generation.closure import filter_closure
from susyscan.generation.filters import filter_from_config

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
