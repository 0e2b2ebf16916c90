"""One-bin statistics: checked against the asymptotic formulae by hand and against a separately built pyhf model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyhf
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from susyscan.recast import stats
from susyscan.recast.data import PublishedRegion, load_published, pseudo_observed
from susyscan.recast.upper_limits import markdown, upper_limit_table
from tests.recast.conftest import PUBLISHED, S95

NO_UNC = 1e-6  # a background uncertainty so small that the model is a plain Poisson count


@pytest.fixture(autouse=True)
def _backend():
    stats.set_backend()


def _nll2(n: float, mean: float) -> float:
    return 2.0 * (mean - n * math.log(mean))


def hand_cls(n: float, b: float, s: float) -> tuple[float, float]:
    """(observed, median expected) CLs of mu = 1 in a Poisson count, qtilde asymptotics (Cowan et al. 2011)."""
    mu_hat = (n - b) / s
    fit = min(max(mu_hat, 0.0), 1.0)
    q = 0.0 if mu_hat > 1.0 else _nll2(n, s + b) - _nll2(n, fit * s + b)
    q_a = _nll2(b, s + b) - _nll2(b, b)
    if q <= q_a:
        p_sb, p_b = norm.sf(math.sqrt(q)), norm.cdf(math.sqrt(q_a) - math.sqrt(q))
    else:
        p_sb, p_b = norm.sf((q + q_a) / (2 * math.sqrt(q_a))), norm.cdf((q_a - q) / (2 * math.sqrt(q_a)))
    return p_sb / p_b, norm.sf(math.sqrt(q_a)) / 0.5


@pytest.mark.parametrize(("n", "b", "s"), [(21, 18.8, 10.0), (27, 33.0, 8.0), (57, 51.0, 25.0)])
def test_cls_matches_hand_asymptotics_without_uncertainty(n, b, s) -> None:
    result = stats.cls(PublishedRegion("X", n, b, NO_UNC * b), s)
    obs, exp = hand_cls(n, b, s)
    assert result.cls_obs == pytest.approx(obs, rel=2e-3)
    assert result.cls_exp[2] == pytest.approx(exp, rel=2e-3)
    assert list(result.cls_exp) == sorted(result.cls_exp)  # -2 sigma ... +2 sigma, CLs increasing


def test_discovery_significance_matches_hand_formula() -> None:
    n, b = 57.0, 51.0
    sig = stats.discovery_significance(PublishedRegion("X", n, b, NO_UNC * b))
    q0 = 2.0 * (n * math.log(n / b) - (n - b))
    assert sig.q0 == pytest.approx(q0, rel=1e-3)
    assert sig.z == pytest.approx(math.sqrt(q0), rel=1e-3)
    assert sig.p0 == pytest.approx(norm.sf(math.sqrt(q0)), rel=1e-2)
    deficit = stats.discovery_significance(PublishedRegion("X", 27, 33, 5))
    assert (deficit.p0, deficit.z, deficit.q0) == (0.5, 0.0, 0.0)


def test_upper_limit_matches_hand_root_without_uncertainty() -> None:
    n, b = 21.0, 18.8
    s95 = brentq(lambda s: hand_cls(n, b, s)[0] - 0.05, 1.0, 100.0)
    ul = stats.upper_limit(PublishedRegion("X", n, b, NO_UNC * b))
    assert ul.s95_obs == pytest.approx(s95, rel=5e-3)


def test_upper_limit_matches_separately_built_pyhf_scan() -> None:
    """Our TOMS748 limit vs pyhf's linear-scan limit on a model spelled out here (normsys, published numbers)."""
    region = PublishedRegion("SR-SF-0J-EXC120", 57.0, 51.0, 5.0)
    model = pyhf.Model({"channels": [{"name": "c", "samples": [
        {"name": "s", "data": [1.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
        {"name": "b", "data": [51.0], "modifiers": [{"name": "u", "type": "normsys", "data": {"hi": 56 / 51, "lo": 46 / 51}}]},
    ]}], "parameters": [{"name": "mu", "bounds": [[0.0, 100.0]]}]}, poi_name="mu")
    data = [57.0, *model.config.auxdata]
    obs, exp = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=np.linspace(0.0, 40.0, 161))
    ul = stats.upper_limit(region)
    assert ul.s95_obs == pytest.approx(float(obs), rel=5e-3)
    assert ul.s95_exp[2] == pytest.approx(float(exp[2]), rel=5e-3)


def test_constraint_choice_changes_little_and_bad_inputs_fail() -> None:
    region = PublishedRegion("SR-DF-0J-INC160", 21.0, 18.8, 2.4)
    limits = [stats.cls(region, 10.0, c).cls_obs for c in stats.BACKGROUND_CONSTRAINTS]
    assert max(limits) / min(limits) < 1.05
    with pytest.raises(ValueError, match="constraint"):
        stats.cls(region, 10.0, "gauss")
    assert stats.cls(region, 0.0).cls_obs == 1.0


def test_upper_limit_table_layout_and_published_s95_two_regions() -> None:
    published = load_published(PUBLISHED)
    order = ["SR-DF-0J-INC160", "SR-SF-0J-EXC120"]
    table = upper_limit_table(published, order, 139.0, reference_s95=S95)
    assert list(table["region"]) == order
    assert np.allclose(table["xsec_vis95_obs_fb"], table["s95_obs"] / 139.0)
    # published (CheckMATE 2 compilation of ATLAS's Table): 13.0 / 10.9 and 23 / 18; our asymptotics within 10 %
    assert np.all(np.abs(table["s95_obs_rel_diff"]) < 0.10) and np.all(np.abs(table["s95_exp_rel_diff"]) < 0.10)
    text = markdown(table)
    assert text.splitlines()[0].startswith("| Signal region | N_obs | N_exp |") and "SR-SF-0J-EXC120" in text


@pytest.mark.slow
def test_all_sixteen_s95_within_ten_percent_of_published() -> None:
    published = load_published(PUBLISHED)
    table = upper_limit_table(published, list(pd.read_csv(PUBLISHED)["region"]), 139.0, reference_s95=S95)
    assert np.all(np.abs(table["s95_obs_rel_diff"]) < 0.10), table[["region", "s95_obs", "s95_obs_published"]]
    assert np.all(np.abs(table["s95_exp_rel_diff"]) < 0.10), table[["region", "s95_exp", "s95_exp_published"]]


def test_published_table_checks() -> None:
    published = load_published(PUBLISHED)
    assert published["SR-SF-0J-EXC120"] == PublishedRegion("SR-SF-0J-EXC120", 57.0, 51.0, 5.0)
    with pytest.raises(ValueError, match="missing from the table"):
        load_published(PUBLISHED, [*published, "SR-XX"])


def test_pseudo_data_asimov_and_seeded_poisson() -> None:
    published = load_published(PUBLISHED)
    asimov = pseudo_observed(published, {"SR-SF-0J-INC160": 12.0}, "asimov", 0)
    assert asimov["SR-SF-0J-INC160"].n_obs == pytest.approx(37.3 + 12.0)
    assert asimov["SR-DF-0J-INC100"].n_obs == pytest.approx(96.0)
    one = pseudo_observed(published, {"SR-SF-0J-INC160": 12.0}, "poisson", 7)
    again = pseudo_observed(published, {"SR-SF-0J-INC160": 12.0}, "poisson", 7)
    other = pseudo_observed(published, {"SR-SF-0J-INC160": 12.0}, "poisson", 8)
    assert one == again and one != other
    assert all(float(r.n_obs).is_integer() for r in one.values())
    with pytest.raises(ValueError, match="not in the published"):
        pseudo_observed(published, {"SR-NOPE": 1.0}, "asimov", 0)
