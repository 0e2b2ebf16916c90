"""Closure of the generator filters: filtered and unfiltered samples give the same reco-level yields.

The fast test uses the paper's muon and MET cuts with the mT2 cut opened (mT2 > 0) and a muon-only filter,
so that a few thousand unfiltered events suffice; a too-tight filter must fail the same comparison. The slow
tests use the paper's full preselection (mT2 > 100 GeV) and the workflow's dimuon_mt2 filter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from susyscan.generation.closure import filter_closure
from susyscan.generation.filters import FilterSpec

OPEN_MT2 = {"mt2_cut": "mt2 > 0.0"}


def test_muon_filter_closes_for_ttbar_and_a_too_tight_one_does_not(tmp_path: Path) -> None:
    loose = FilterSpec("dimuon", "muon pT 40/15, looser than the 50/20 reco cut", (40.0, 15.0), 2.5)
    result = filter_closure("ttbar_mumu", loose, 1500, 600, tmp_path / "loose", seed=7, cut_overrides=OPEN_MT2)
    assert result.filtered_raw >= 20 and result.unfiltered_raw >= 30
    assert abs(result.pull) < 3.0
    tight = FilterSpec("tight", "muon pT 120/60, tighter than the reco cut", (120.0, 60.0), 2.5)
    biased = filter_closure("ttbar_mumu", tight, 1500, 300, tmp_path / "tight", seed=7, cut_overrides=OPEN_MT2)
    assert biased.pull < -3.0 and biased.ratio < 0.6


PAPER_FILTER = FilterSpec("dimuon_mt2", "workflow filter", muon_pt_min=(40.0, 15.0), muon_abs_eta_max=2.5, mt2_min=80.0)


@pytest.mark.slow
@pytest.mark.parametrize(("process", "n_unfiltered", "n_filtered"), [("ttbar_mumu", 120_000, 4000),
                                                                     ("ww_mumu", 60_000, 4000)])
def test_dimuon_mt2_filter_closes_at_the_paper_preselection(tmp_path: Path, process: str, n_unfiltered: int,
                                                            n_filtered: int) -> None:
    result = filter_closure(process, PAPER_FILTER, n_unfiltered, n_filtered, tmp_path, seed=11)
    assert result.unfiltered_raw >= 20
    assert abs(result.pull) < 3.0
