"""Object-based MET significance (the recasts' approximation)."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np

from susyscan.recast.metsig import met_resolution, met_significance


def test_hand_computed_values_0j_and_1j() -> None:
    leptons = ak.Array([[100.0, 50.0], [100.0, 50.0]])
    jets = ak.Array([[], [200.0]])
    s = met_significance(np.array([150.0, 150.0]), leptons, jets)
    sigma0 = math.sqrt(3.0**2 + 1.5**2 + 8.9**2)          # 0.03 * pT per lepton, 8.9 GeV soft term
    sigma1 = math.sqrt(3.0**2 + 1.5**2 + 16.0**2 + 8.9**2)  # + 0.08 * 200 GeV jet
    assert np.allclose(s, [150.0 / sigma0, 150.0 / sigma1])
    assert s[1] < s[0]  # a jet makes the same MET less significant


def test_resolution_grows_with_object_pt_and_uses_the_parameters() -> None:
    low = met_resolution(ak.Array([[30.0, 30.0]]), ak.Array([[]]), 0.03, 0.08, 8.9)
    high = met_resolution(ak.Array([[300.0, 300.0]]), ak.Array([[]]), 0.03, 0.08, 8.9)
    assert high[0] > low[0] > 8.9
    assert np.allclose(met_resolution(ak.Array([[]]), ak.Array([[]]), 0.03, 0.08, 5.0), [5.0])


def test_no_objects_no_soft_term_is_infinite_for_nonzero_met() -> None:
    s = met_significance(np.array([10.0, 0.0]), ak.Array([[], []]), ak.Array([[], []]), soft_term_gev=0.0)
    assert np.isinf(s[0]) and s[1] == 0.0
