"""Recast objects, variables and region counts on hand-made events."""

from __future__ import annotations

import numpy as np

from susyscan.recast.select import select_chunk
from susyscan.recast.variables import recast_variables
from tests.recast.conftest import make_events

META = {"sample": "smuon_400_0", "process": "smuon_R", "chunk": 0, "sum_weights": 5.0, "sum_weights2": 5.0,
        "xsec_pb": 0.001, "masses": {"m_smuon": 400.0, "m_neutralino": 0.0}}

# two hard leptons at phi = +-0.4 with the MET opposite: large m_ll, mT2 and MET significance
SF_0J = {"muon": [(200.0, 0.0, 0.4, 1, 0.0), (150.0, 1.0, -0.4, -1, 0.0)], "met": 250.0, "met_phi": 3.1}
DF_1J = {"electron": [(200.0, 0.0, 0.4, 1, 0.0)], "muon": [(150.0, 1.0, -0.4, -1, 0.0)],
         "jet": [(60.0, -1.5, 1.5, 0)], "met": 250.0, "met_phi": 3.1}
BJET = {**SF_0J, "jet": [(60.0, -1.5, 1.5, 1)]}
SAME_SIGN = {"muon": [(200.0, 0.0, 0.4, 1, 0.0), (150.0, 1.0, -0.4, 1, 0.0)], "met": 250.0, "met_phi": 3.1}
# an electron inside a jet: the jet is removed (dR < 0.2), the electron kept; a muon near a jet is removed
OVERLAP = {"electron": [(100.0, 0.0, 0.0, 1, 0.0)], "muon": [(80.0, 1.0, 2.0, -1, 0.0), (50.0, -1.0, -2.0, 1, 0.0)],
           "jet": [(100.0, 0.05, 0.05, 0), (40.0, -1.1, -2.1, 0)], "met": 50.0}


def test_variables_flavour_charge_jets_and_overlap(recast_cfg) -> None:
    v = recast_variables(make_events([SF_0J, DF_1J, BJET, SAME_SIGN, OVERLAP]), recast_cfg)
    assert list(v["is_sf"]) == [1, 0, 1, 1, 0] and list(v["is_df"][:2]) == [0, 1]
    assert list(v["lep_charge_product"][:4]) == [-1, -1, -1, 1]
    assert list(v["n_bjets"][:3]) == [0, 0, 1] and list(v["n_nonb_jets"][:3]) == [0, 1, 0]
    # OVERLAP: the jet at the electron is removed; the muon near the second jet is removed -> e + mu left
    assert v["n_jets"][4] == 1 and v["n_electrons"][4] == 1 and v["n_muons"][4] == 1
    pt1, pt2, deta, dphi = 200.0, 150.0, 1.0, 0.8
    assert np.isclose(v["mll"][0], np.sqrt(2 * pt1 * pt2 * (np.cosh(deta) - np.cos(dphi))))
    assert v["mt2"][0] > 100.0 and v["met_significance"][0] > 10.0


def test_region_counts_follow_channels_and_windows(recast_cfg) -> None:
    record = select_chunk(make_events([SF_0J, DF_1J, BJET, SAME_SIGN, OVERLAP]), META, recast_cfg)
    regions = record["regions"]
    passing = {name for name, c in regions.items() if c["n_raw"]}
    mt2_sf = recast_variables(make_events([SF_0J]), recast_cfg)["mt2"][0]
    expected_sf = {"SR-SF-0J-INC100"} | ({"SR-SF-0J-INC160"} if mt2_sf > 160 else
                                         {"SR-SF-0J-EXC120"} if mt2_sf > 120 else {"SR-SF-0J-EXC100"})
    mt2_df = recast_variables(make_events([DF_1J]), recast_cfg)["mt2"][0]
    expected_df = {"SR-DF-1J-INC100"} | ({"SR-DF-1J-INC160"} if mt2_df > 160 else
                                         {"SR-DF-1J-EXC120"} if mt2_df > 120 else {"SR-DF-1J-EXC100"})
    assert passing == expected_sf | expected_df
    assert record["cuts"][-1]["n_raw"] == 2  # b-jet, same-sign and overlap events fail the selection
    assert [c["name"] for c in record["cuts"]][:3] == ["initial", "two_leptons", "opposite_charge"]
