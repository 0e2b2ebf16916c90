"""Small-excess flags, independent regions, and the pseudo-data injection test of seed 003."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from susyscan.recast.data import load_published, pseudo_observed
from susyscan.recast.limits import best_regions, max_independent, multiply_flagged, point_region_table
from susyscan.recast.stats import is_small_excess, set_backend
from susyscan.recast.yields import YIELD_COLUMNS
from tests.recast.conftest import PUBLISHED

INJECTED = 400.0
MASSES = [200.0, 250.0, 300.0, 350.0, 400.0, 450.0, 500.0, 600.0, 700.0]
REGIONS = ("SR-SF-0J-INC160", "SR-SF-0J-INC100")


def signal(m: float) -> float:
    """A falling signal: 25 events at the injected mass, e-fold every 170 GeV, all at mT2 > 160 GeV."""
    return 25.0 * math.exp(-(m - INJECTED) / 170.0)


def synthetic_yields() -> pd.DataFrame:
    rows = [{"sample": f"smuon_{m:g}_0", "process": "smuon_R", "m_parent": m, "m_lsp": 0.0, "region": region,
             "n_raw": 100, "efficiency": 0.1, "signal": signal(m), "signal_mc_unc": 0.0, "xsec_pb": 1.0,
             "xsec_unc_pb": 0.05} for m in MASSES for region in REGIONS]
    return pd.DataFrame(rows, columns=YIELD_COLUMNS)


def test_flag_definition() -> None:
    assert is_small_excess(cls_obs=0.2, cls_exp=0.01)
    assert not is_small_excess(cls_obs=0.01, cls_exp=0.01)  # excluded
    assert not is_small_excess(cls_obs=0.2, cls_exp=0.2)    # not expected to be excluded
    assert is_small_excess(cls_obs=0.051, cls_exp=0.05)      # CLs_exp <= 0.05 is inclusive


def test_largest_set_of_disjoint_regions(recast_cfg) -> None:
    assert max_independent([], recast_cfg) == 0
    assert max_independent(["SR-SF-0J-INC100", "SR-SF-0J-INC160"], recast_cfg) == 1  # nested
    assert max_independent(["SR-SF-0J-EXC100", "SR-SF-0J-EXC120", "SR-SF-0J-INC160", "SR-SF-0J-INC100"],
                           recast_cfg) == 3
    assert max_independent(["SR-SF-0J-INC100", "SR-DF-1J-INC100"], recast_cfg) == 2  # other channel


def test_injected_point_and_neighbours_flagged_far_points_not(recast_cfg) -> None:
    set_backend()
    yields = synthetic_yields()
    injected = yields[yields["sample"] == f"smuon_{INJECTED:g}_0"]
    published = pseudo_observed(load_published(PUBLISHED), dict(zip(injected["region"], injected["signal"], strict=True)),
                                "asimov", seed=0)
    table = point_region_table(yields, published, recast_cfg)
    best = best_regions(table, yields, published, recast_cfg).set_index("m_parent")
    flagged = set(best.index[best["small_excess"]])
    assert {INJECTED, INJECTED - 50.0, INJECTED + 50.0} <= flagged
    assert not flagged & {200.0, 250.0, 600.0, 700.0}
    assert best.loc[200.0, "cls_obs"] <= 0.05 and best.loc[700.0, "cls_exp"] > 0.05  # far: excluded / insensitive
    assert best.loc[INJECTED, "z"] > 2.0  # the injected excess is a ~2-3 sigma local excess
    # INC160 and INC100 overlap: never more than one independent flagged region here
    assert best["n_independent_flagged"].max() == 1 and best.loc[INJECTED, "n_flagged_regions"] >= 1
    # with the published counts nothing is flagged in this signal model
    real = best_regions(point_region_table(yields, load_published(PUBLISHED), recast_cfg), yields,
                        load_published(PUBLISHED), recast_cfg)
    assert not real["small_excess"].any()


def test_points_found_by_several_analyses() -> None:
    a = pd.DataFrame({"analysis": "A", "sample": ["smuon_300_0", "smuon_400_0"], "m_parent": [300.0, 400.0],
                      "m_lsp": [0.0, 0.0], "n_independent_flagged": [1, 0]})
    b = pd.DataFrame({"analysis": "B", "sample": ["smuon_300_0", "smuon_400_0"], "m_parent": [300.0, 400.0],
                      "m_lsp": [0.0, 0.0], "n_independent_flagged": [1, 2]})
    summary = multiply_flagged([a, b]).set_index("m_parent")
    assert summary.loc[300.0, "n_analyses_flagged"] == 2 and summary.loc[300.0, "found_multiple"]
    assert summary.loc[400.0, "n_analyses_flagged"] == 1 and summary.loc[400.0, "found_multiple"]  # 2 in B alone
    single = multiply_flagged([a]).set_index("m_parent")
    assert not single["found_multiple"].any()
    other_model = a.assign(sample=["slepton_lr_300_0", "slepton_lr_400_0"])
    apart = multiply_flagged([a, other_model])
    assert len(apart) == 4 and not apart["found_multiple"].any()  # same masses, different models: not combined


@pytest.mark.parametrize("mode", ["poisson"])
def test_seeded_poisson_injection_is_reproducible(recast_cfg, mode) -> None:
    set_backend()
    yields = synthetic_yields()
    yields = yields[yields["m_parent"].isin([350.0, 400.0, 450.0])]
    injected = yields[yields["sample"] == "smuon_400_0"]
    inj = dict(zip(injected["region"], injected["signal"], strict=True))
    tables = [point_region_table(yields, pseudo_observed(load_published(PUBLISHED), inj, mode, seed), recast_cfg)
              for seed in (3, 3)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
