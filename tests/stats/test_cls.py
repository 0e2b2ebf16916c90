"""CLs against published references: the pyhf README example and the Cowan-Cranmer-Gross-Vitells formulae."""

from __future__ import annotations

import math

import numpy as np
import pyhf
import pytest
from scipy.stats import norm

from susyscan.stats.cls import RegionCounts, discovery_significance, region_cls
from susyscan.stats.model_spec import one_bin_model


def test_pyhf_readme_example() -> None:
    """pyhf README: uncorrelated_background hypotest at mu = 1 with observed [51, 48]."""
    pyhf.set_backend("numpy")
    model = pyhf.simplemodels.uncorrelated_background(signal=[12.0, 11.0], bkg=[50.0, 52.0],
                                                      bkg_uncertainty=[3.0, 7.0])
    cls_obs, cls_exp = pyhf.infer.hypotest(1.0, [51, 48] + model.config.auxdata, model,
                                           test_stat="qtilde", return_expected=True)
    assert float(cls_obs) == pytest.approx(0.0525, abs=5e-4)
    assert float(cls_exp) == pytest.approx(0.0645, abs=5e-4)


@pytest.mark.parametrize(("sig", "bkg", "n_obs", "rel"), [(12.0, 50.0, 51, 0.06), (11.0, 52.0, 48, 7 / 52)])
def test_one_bin_shapesys_matches_simplemodels(sig: float, bkg: float, n_obs: int, rel: float) -> None:
    """Our one-bin shapesys model reproduces pyhf.simplemodels.uncorrelated_background bin by bin."""
    ref = pyhf.simplemodels.uncorrelated_background(signal=[sig], bkg=[bkg], bkg_uncertainty=[bkg * rel])
    want = pyhf.infer.hypotest(1.0, [n_obs] + ref.config.auxdata, ref, test_stat="qtilde")
    got = region_cls(RegionCounts("t", sig, 0.0, bkg, rel, n_obs), 0.1, upper_limit=False)
    assert got.cls_obs == pytest.approx(float(want), rel=1e-6)


def ccgv_expected_cls(sig: float, bkg: float) -> list[float]:
    """Expected CLs band (-2..+2 sigma) from the asymptotic formulae (Cowan et al. 2011), one bin, no systematics.

    Asimov (mu' = 0) data n = b: q_A = -2 ln lambda(1) = 2 (s - b ln(1 + s/b)).  In the qtilde normal space
    the band at n sigma has sqrt(q) = sqrt(q_A) - n: CLs_sb = 1 - Phi(sqrt(q_A) - n), CLb = Phi(n).
    """
    q_a = 2.0 * (sig - bkg * math.log1p(sig / bkg))
    return [(1.0 - norm.cdf(math.sqrt(q_a) - n)) / norm.cdf(n) for n in (-2, -1, 0, 1, 2)]


@pytest.mark.parametrize(("sig", "bkg"), [(10.0, 50.0), (5.0, 2.0), (30.0, 400.0), (3.0, 0.5)])
def test_expected_cls_matches_asymptotic_formula(sig: float, bkg: float) -> None:
    res = region_cls(RegionCounts("t", sig, 0.0, bkg), 0.1)
    np.testing.assert_allclose(res.cls_exp_band, ccgv_expected_cls(sig, bkg), atol=1e-3, rtol=1e-3)
    assert res.cls_exp == res.cls_exp_band[2]
    # the expected limit is where the median CLs crosses 0.05
    at_limit = region_cls(RegionCounts("t", sig * res.mu_up_exp, 0.0, bkg), 0.1, upper_limit=False)
    assert at_limit.cls_exp == pytest.approx(0.05, rel=5e-3)


@pytest.mark.parametrize(("sig", "bkg"), [(10.0, 50.0), (5.0, 2.0), (50.0, 1000.0)])
def test_discovery_significance_asimov_formula(sig: float, bkg: float) -> None:
    z_a = math.sqrt(2.0 * ((sig + bkg) * math.log1p(sig / bkg) - sig))
    assert discovery_significance(sig, bkg) == pytest.approx(z_a, rel=1e-3)


def test_background_uncertainty_weakens_exclusion() -> None:
    none = region_cls(RegionCounts("t", 10.0, 0.0, 50.0, 0.0), 0.1, upper_limit=False)
    for modifier in ("shapesys", "normsys"):
        pess = region_cls(RegionCounts("t", 10.0, 0.0, 50.0, 0.2), 0.1, modifier, upper_limit=False)
        assert pess.cls_exp > none.cls_exp + 0.1


def test_signal_stat_error_is_a_staterror_modifier() -> None:
    model = one_bin_model(10.0, 2.0, 50.0, 0.0)
    assert any(name.startswith("staterror_SR_SR") for name in model.config.par_names)
    with_stat = region_cls(RegionCounts("t", 10.0, 2.0, 50.0), 0.1, upper_limit=False)
    without = region_cls(RegionCounts("t", 10.0, 0.0, 50.0), 0.1, upper_limit=False)
    assert with_stat.cls_exp > without.cls_exp


def test_zero_signal_is_not_excluded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO"):
        res = region_cls(RegionCounts("pt (500, 450) BDT", 0.0, 0.0, 20.0, n_obs=20), 0.1)
    assert res.cls_exp == 1.0 and res.cls_obs == 1.0 and math.isinf(res.mu_up_exp)
    assert "zero signal" in res.notes[0]
    assert "pt (500, 450) BDT: zero signal" in caplog.text


def test_zero_background_is_floored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        res = region_cls(RegionCounts("pt (300, 0) NN high", 3.0, 0.0, 0.0, 0.2), 0.05)
    floored = region_cls(RegionCounts("ref", 3.0, 0.0, 0.05, 0.2), 0.05)
    assert res.cls_exp == pytest.approx(floored.cls_exp)
    assert "floored" in res.notes[0]
    assert "pt (300, 0) NN high: zero background" in caplog.text


def test_no_systematics_bound_and_guard() -> None:
    from susyscan.stats.cls import guard_band, no_systematics_band

    np.testing.assert_allclose(no_systematics_band(10.0, 50.0), ccgv_expected_cls(10.0, 50.0), rtol=1e-12)
    notes: list[str] = []
    bound = no_systematics_band(10.0, 50.0)
    assert guard_band([b * 2 for b in bound], 10.0, 50.0, "t", notes) == [b * 2 for b in bound] and not notes
    assert guard_band([0.0] * 5, 10.0, 50.0, "t", notes) == bound and "bound" in notes[0]


@pytest.mark.parametrize(("sig", "stat", "bkg"), [(4.3e5, 1.9e4, 2.6e4), (2000.0, 90.0, 26.4)])
def test_large_signal_over_background_is_excluded(sig: float, stat: float, bkg: float) -> None:
    """Regression: with the default fit start (mu = 1) scipy got stuck and returned CLs = 1."""
    res = region_cls(RegionCounts("t", sig, stat, bkg, 0.2), 0.1)
    assert res.cls_exp < 1e-10 and res.mu_up_exp < 0.1


@pytest.mark.parametrize(("sig", "bkg", "rel"), [(10.0, 50.0, 0.1), (4.0, 3.0, 0.0)])
def test_expected_limit_matches_pyhf_upper_limit(sig: float, bkg: float, rel: float) -> None:
    """Our bracketed Brent root agrees with pyhf.infer.intervals.upper_limits.upper_limit (TOMS748)."""
    from susyscan.stats.cls import asimov_background_data

    model = one_bin_model(sig, 0.0, bkg, rel)
    _, expected = pyhf.infer.intervals.upper_limits.upper_limit(asimov_background_data(model), model, rtol=1e-5)
    ours = region_cls(RegionCounts("t", sig, 0.0, bkg, rel), 0.1).mu_up_exp
    assert ours == pytest.approx(float(expected[2]), rel=2e-3)
