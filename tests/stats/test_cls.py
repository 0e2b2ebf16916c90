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
    """Our one-bin shapesys model reproduces pyhf.simplemodels.uncorrelated_background bin by bin.  The observed
    CLs agree to < 1e-4, not 1e-6: hypotest's SLSQP fit at mu = 0 (which sets its Asimov data) ends at gamma =
    1.003082 for 51 observed, b = 50, tau = 1/0.06^2, where the exact minimum (n + tau) / (b + tau) = 1.003051
    is what our Powell-polished fit finds (q_A 2.18707 against hypotest's 2.18701)."""
    ref = pyhf.simplemodels.uncorrelated_background(signal=[sig], bkg=[bkg], bkg_uncertainty=[bkg * rel])
    want = pyhf.infer.hypotest(1.0, [n_obs] + ref.config.auxdata, ref, test_stat="qtilde")
    got = region_cls(RegionCounts("t", sig, 0.0, bkg, rel, n_obs), upper_limit=False)
    assert got.cls_obs == pytest.approx(float(want), rel=1e-4)
    model = one_bin_model(sig, 0.0, bkg, rel)
    assert model.spec["channels"][0]["samples"][1]["modifiers"][0]["data"] == ref.spec["channels"][0]["samples"][1][
        "modifiers"][0]["data"]


def ccgv_expected_cls(sig: float, bkg: float) -> list[float]:
    """Expected CLs band (-2..+2 sigma) from the asymptotic formulae (Cowan et al. 2011), one bin, no systematics.

    Asimov (mu' = 0) data n = b: q_A = -2 ln lambda(1) = 2 (s - b ln(1 + s/b)).  In the qtilde normal space
    the band at n sigma has sqrt(q) = sqrt(q_A) - n: CLs_sb = 1 - Phi(sqrt(q_A) - n), CLb = Phi(n).
    """
    q_a = 2.0 * (sig - bkg * math.log1p(sig / bkg))
    return [(1.0 - norm.cdf(math.sqrt(q_a) - n)) / norm.cdf(n) for n in (-2, -1, 0, 1, 2)]


def pyhf_expected_band(model: pyhf.pdf.Model) -> list[float]:
    """pyhf.infer.hypotest's expected band at mu = 1 on the background-only Asimov data of ``model``."""
    init = list(model.config.suggested_init())
    init[model.config.poi_index] = 0.0
    data = model.expected_data(np.asarray(init))
    _, band = pyhf.infer.hypotest(1.0, data, model, init_pars=init, test_stat="qtilde", return_expected_set=True)
    return [float(v) for v in band]


@pytest.mark.parametrize(("sig", "bkg"), [(10.0, 50.0), (5.0, 2.0), (30.0, 400.0), (3.0, 0.5)])
def test_expected_cls_matches_asymptotic_formula(sig: float, bkg: float) -> None:
    """A region without nuisance parameters uses the closed form, which pyhf reproduces to < 1e-3."""
    res = region_cls(RegionCounts("t", sig, 0.0, bkg))
    assert res.method == "closed form"
    np.testing.assert_allclose(res.cls_exp_band, ccgv_expected_cls(sig, bkg), rtol=1e-9)
    np.testing.assert_allclose(res.cls_exp_band, pyhf_expected_band(one_bin_model(sig, 0.0, bkg, 0.0)),
                               atol=1e-3, rtol=1e-3)
    assert res.cls_exp == res.cls_exp_band[2]
    # the expected limit is where the median CLs crosses 0.05
    at_limit = region_cls(RegionCounts("t", sig * res.mu_up_exp, 0.0, bkg), upper_limit=False)
    assert at_limit.cls_exp == pytest.approx(0.05, rel=5e-3)


@pytest.mark.parametrize(("sig", "bkg"), [(10.0, 50.0), (5.0, 2.0), (50.0, 1000.0)])
def test_discovery_significance_asimov_formula(sig: float, bkg: float) -> None:
    z_a = math.sqrt(2.0 * ((sig + bkg) * math.log1p(sig / bkg) - sig))
    assert discovery_significance(sig, bkg) == pytest.approx(z_a, rel=1e-3)


def test_background_uncertainty_weakens_exclusion() -> None:
    none = region_cls(RegionCounts("t", 10.0, 0.0, 50.0, 0.0), upper_limit=False)
    for modifier in ("shapesys", "normsys"):
        pess = region_cls(RegionCounts("t", 10.0, 0.0, 50.0, 0.2), modifier, upper_limit=False)
        assert pess.cls_exp > none.cls_exp + 0.1


def test_signal_stat_error_is_a_staterror_modifier() -> None:
    model = one_bin_model(10.0, 2.0, 50.0, 0.0)
    assert any(name.startswith("staterror_SR_SR") for name in model.config.par_names)
    with_stat = region_cls(RegionCounts("t", 10.0, 2.0, 50.0), upper_limit=False)
    without = region_cls(RegionCounts("t", 10.0, 0.0, 50.0), upper_limit=False)
    assert with_stat.cls_exp > without.cls_exp


def test_zero_signal_is_not_excluded(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO"):
        res = region_cls(RegionCounts("pt (500, 450) BDT", 0.0, 0.0, 20.0, n_obs=20))
    assert res.cls_exp == 1.0 and res.cls_obs == 1.0 and math.isinf(res.mu_up_exp)
    assert "zero signal" in res.notes[0]
    assert "pt (500, 450) BDT: zero signal" in caplog.text


@pytest.mark.parametrize("bkg", [0.0, -0.3, float("nan")])
def test_non_positive_background_is_an_error_not_a_floor(bkg: float) -> None:
    """No silent floor: the zero-MC substitute is set (and logged) upstream, by background_for_limits."""
    with pytest.raises(ValueError, match="pt \\(300, 0\\) NN high: background .* not positive"):
        region_cls(RegionCounts("pt (300, 0) NN high", 3.0, 0.0, bkg, 0.2))


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
    res = region_cls(RegionCounts("t", sig, stat, bkg, 0.2))
    assert res.cls_exp < 1e-10 and res.mu_up_exp < 0.1


@pytest.mark.parametrize(("sig", "bkg", "rel"), [(10.0, 50.0, 0.1), (4.0, 3.0, 0.0)])
def test_expected_limit_matches_pyhf_upper_limit(sig: float, bkg: float, rel: float) -> None:
    """Our bracketed Brent root agrees with pyhf.infer.intervals.upper_limits.upper_limit (TOMS748)."""
    from susyscan.stats.cls import asimov_background_data

    model = one_bin_model(sig, 0.0, bkg, rel)
    _, expected = pyhf.infer.intervals.upper_limits.upper_limit(asimov_background_data(model), model, rtol=1e-5)
    ours = region_cls(RegionCounts("t", sig, 0.0, bkg, rel)).mu_up_exp
    assert ours == pytest.approx(float(expected[2]), rel=2e-3)


@pytest.mark.parametrize(("sig", "sig_stat", "bkg", "bkg_stat", "rel", "modifier"), [
    (10.0, 1.0, 50.0, 5.0, 0.0, "shapesys"), (10.0, 0.0, 50.0, 5.0, 0.2, "shapesys"),
    (4.0, 0.5, 3.0, 1.5, 0.2, "normsys"), (300.0, 20.0, 12.0, 12.0, 0.0, "shapesys"),
    (2.0, 0.2, 800.0, 40.0, 0.2, "shapesys")])
def test_one_fit_asimov_band_matches_pyhf_hypotest(sig: float, sig_stat: float, bkg: float, bkg_stat: float,
                                                    rel: float, modifier: str) -> None:
    """The one-fit band (method "asimov"; no fit with only the MC-stat gamma) is pyhf's hypotest band to < 1e-5."""
    counts = RegionCounts("t", sig, sig_stat, bkg, rel, bkg_stat=bkg_stat)
    fast = region_cls(counts, modifier, upper_limit=False)
    slow = region_cls(counts, modifier, upper_limit=False, method="hypotest")
    assert slow.method == "pyhf" and fast.method == ("stat-only profile" if rel == 0 else "pyhf") and not fast.notes
    np.testing.assert_allclose(fast.cls_exp_band, slow.cls_exp_band, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(fast.cls_exp_band, pyhf_expected_band(one_bin_model(
        sig, sig_stat, bkg, rel, modifier, bkg_stat=bkg_stat)), rtol=1e-5, atol=1e-12)


def hand_built_model(sig: float, sig_stat: float, bkg: float, bkg_stat: float, shared: bool) -> pyhf.pdf.Model:
    """One-bin HistFactory model written out by hand: MC stat errors on both samples, one shared name or two."""
    name_b = "mcstat" if shared else "mcstat_bkg"
    spec = {"channels": [{"name": "SR", "samples": [
        {"name": "signal", "data": [sig], "modifiers": [{"name": "mu", "type": "normfactor", "data": None},
                                                        {"name": "mcstat", "type": "staterror", "data": [sig_stat]}]},
        {"name": "background", "data": [bkg], "modifiers": [{"name": name_b, "type": "staterror",
                                                             "data": [bkg_stat]}]}]}],
            "parameters": [{"name": "mu", "bounds": [[0.0, 100.0]]}]}
    return pyhf.Model(spec, poi_name="mu")


@pytest.mark.parametrize(("sig", "sig_stat", "bkg", "bkg_stat"), [(10.0, 1.5, 50.0, 6.0), (3.0, 0.4, 1.2, 0.9)])
def test_background_staterror_is_histfactory_shared_gamma(sig: float, sig_stat: float, bkg: float,
                                                          bkg_stat: float) -> None:
    """Signal and background MC stat errors share one gamma per bin (same modifier name), with the
    constraint width sqrt(ds^2 + db^2) / (s + b), and our CLs equal those of the hand-built pyhf model."""
    ours = one_bin_model(sig, sig_stat, bkg, 0.0, bkg_stat=bkg_stat)
    assert [p for p in ours.config.par_names if p.startswith("staterror")] == ["staterror_SR_SR[0]"]
    sigma = ours.config.param_set("staterror_SR_SR").width()[0]
    assert sigma == pytest.approx(math.hypot(sig_stat, bkg_stat) / (sig + bkg), rel=1e-12)
    got = region_cls(RegionCounts("t", sig, sig_stat, bkg, bkg_stat=bkg_stat), upper_limit=False)
    by_hand = pyhf_expected_band(hand_built_model(sig, sig_stat, bkg, bkg_stat, shared=True))
    np.testing.assert_allclose(got.cls_exp_band, by_hand, rtol=1e-5)
    # Two gammas (separate names) give the same expected CLs at mu = 1 to ~1e-8 (both add the variance
    # ds^2 + db^2), hence the name check above; without the background term the CLs do change:
    no_bkg_stat = pyhf_expected_band(hand_built_model(sig, sig_stat, bkg, 1e-9, shared=True))
    assert got.cls_exp > no_bkg_stat[2] + 1e-3


def test_background_stat_error_weakens_exclusion() -> None:
    without = region_cls(RegionCounts("t", 10.0, 1.0, 50.0), upper_limit=False)
    with_stat = region_cls(RegionCounts("t", 10.0, 1.0, 50.0, bkg_stat=10.0), upper_limit=False)
    assert with_stat.cls_exp > without.cls_exp + 0.02
    model = one_bin_model(10.0, 0.0, 50.0, 0.0, bkg_stat=10.0)
    assert model.config.par_names == ["mu_SIG", "staterror_SR_SR[0]"]


def test_method_is_checked() -> None:
    with pytest.raises(ValueError, match="'minos'"):
        region_cls(RegionCounts("t", 10.0, 1.0, 50.0), method="minos")


def test_stat_only_profile_is_the_true_minimum_where_slsqp_stops_early() -> None:
    """s/b = 50 with a 30 % signal MC uncertainty: pyhf's SLSQP fit at mu = 1 ends at gamma ~ 1e-3, above the
    minimum of pyhf's own NLL (gamma = 0.0306, found by a bounded scan), and hypotest's CLs is 5x too small."""
    from scipy import optimize

    from susyscan.stats.cls import asimov_background_data, asimov_band, staterror_profile

    sig, sig_stat, bkg, bkg_stat = 31.408, 9.4225, 0.63793, 0.31897
    model = one_bin_model(sig, sig_stat, bkg, 0.0, bkg_stat=bkg_stat)
    data = asimov_background_data(model)

    def twice_nll(mu: float, gamma: float) -> float:
        return float(pyhf.infer.mle.twice_nll(np.array([mu, gamma]), data, model)[0])

    scan = optimize.minimize_scalar(lambda g: twice_nll(1.0, g), bounds=(1e-10, 10.0), method="bounded",
                                    options={"xatol": 1e-12})
    q_a, gamma = staterror_profile(sig, sig_stat, bkg, bkg_stat)
    assert gamma == pytest.approx(scan.x, rel=1e-6)
    assert q_a == pytest.approx(scan.fun - twice_nll(0.0, 1.0), rel=1e-9)
    ours = region_cls(RegionCounts("t", sig, sig_stat, bkg, bkg_stat=bkg_stat), upper_limit=False)
    hypotest = region_cls(RegionCounts("t", sig, sig_stat, bkg, bkg_stat=bkg_stat), upper_limit=False,
                          method="hypotest")
    assert ours.cls_exp == pytest.approx(float(norm.sf(math.sqrt(q_a)) / 0.5), rel=1e-12)
    assert pyhf_expected_band(model)[2] < ours.cls_exp / 4  # the failed fit: too strong an exclusion
    # which method="hypotest" replaces by the stat-only bound, here the exact profile
    assert hypotest.cls_exp == pytest.approx(ours.cls_exp, rel=1e-12) and "stat-only bound" in hypotest.notes[0]
    # the one-fit path starts from the profile and never ends above it
    notes: list[str] = []
    band = asimov_band(data, model, RegionCounts("t", sig, sig_stat, bkg, bkg_stat=bkg_stat), notes)
    assert band[2] >= ours.cls_exp * (1 - 1e-6)


@pytest.mark.parametrize(("sig", "sig_stat", "bkg", "bkg_stat"), [(10.0, 1.0, 50.0, 0.0), (10.0, 0.0, 50.0, 8.0),
                                                                  (3.0, 0.3, 1.5, 1.5), (500.0, 0.0, 200.0, 200.0)])
def test_stat_only_profile_matches_pyhf_fit(sig: float, sig_stat: float, bkg: float, bkg_stat: float) -> None:
    """Each staterror case (signal only, background only, both, gamma at its lower bound) against pyhf's fit."""
    from susyscan.stats.cls import asimov_background_data, background_init, staterror_profile

    model = one_bin_model(sig, sig_stat, bkg, 0.0, bkg_stat=bkg_stat)
    data = asimov_background_data(model)
    pars, fitted = pyhf.infer.mle.fixed_poi_fit(1.0, data, model, init_pars=background_init(model),
                                                return_fitted_val=True)
    nominal = pyhf.infer.mle.twice_nll(np.asarray(background_init(model)), data, model)
    q_a, gamma = staterror_profile(sig, sig_stat, bkg, bkg_stat)
    assert q_a == pytest.approx(float(np.ravel(fitted)[0] - np.ravel(nominal)[0]), rel=1e-5, abs=1e-7)
    assert gamma == pytest.approx(float(pars[1]), rel=1e-3, abs=1e-6)


def test_failed_slsqp_fit_on_large_counts_is_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    """~1e5-1e6 events, 20 % background uncertainty: from the nominal start SLSQP's fit at mu = 1 ended at
    q_A ~ 3e4 (CLs ~ 0).  Started from the MC-stat profile it converges; when it fails, the Powell refit
    reaches the same minimum of pyhf's NLL (a Nelder-Mead search from the nominal point agrees)."""
    from scipy import optimize

    from susyscan.stats.cls import asimov_background_data, background_init

    counts = RegionCounts("t", 148339.26, 6675.27, 701330.97, 0.2, bkg_stat=56106.48)
    model = one_bin_model(counts.sig, counts.sig_stat, counts.bkg, 0.2, bkg_stat=counts.bkg_stat)
    data = asimov_background_data(model)
    nominal = np.asarray(background_init(model), dtype=float)

    def twice_nll(x: np.ndarray) -> float:
        return float(pyhf.infer.mle.twice_nll(np.concatenate([[1.0], x]), data, model)[0])

    ref = optimize.minimize(twice_nll, nominal[1:], method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-12, "maxfev": 5000})
    q_a = ref.fun - float(pyhf.infer.mle.twice_nll(nominal, data, model)[0])
    assert q_a == pytest.approx(1.129, abs=2e-3)
    want = float(norm.sf(math.sqrt(q_a)) / 0.5)
    assert region_cls(counts, upper_limit=False).cls_exp == pytest.approx(want, rel=1e-4)

    def failing_fit(*args: object, **kwargs: object) -> None:
        raise pyhf.exceptions.FailedMinimization(optimize.OptimizeResult(message="forced"))

    monkeypatch.setattr(pyhf.infer.mle, "fixed_poi_fit", failing_fit)
    res = region_cls(counts, upper_limit=False)
    assert "Powell refit" in res.notes[0] and res.cls_exp == pytest.approx(want, rel=1e-4)


@pytest.mark.parametrize(("sig", "bkg", "frac"), [(66.0, 1.0e7, 0.05), (66.0, 5.0e6, 0.05), (66.0, 3.0e5, 0.05),
                                                  (1.2e5, 3.5e6, 0.05), (10.0, 50.0, 0.1)])
def test_stat_only_profile_keeps_its_digits_at_large_counts(sig: float, bkg: float, frac: float) -> None:
    """q_A against the same NLL difference in 50-digit arithmetic (mpmath) at the profiled gamma. At b = 1e7 the
    former difference of two n ln n terms returned q_A = 0 (and 2^-24 at 5e6) where it is ~1e-8."""
    import mpmath

    from susyscan.stats.cls import staterror_profile

    sig_stat, bkg_stat = frac * sig, frac * bkg
    q_a, gamma = staterror_profile(sig, sig_stat, bkg, bkg_stat)
    with mpmath.workdps(50):
        a, n = mpmath.mpf(sig) + bkg, mpmath.mpf(bkg)
        var = (mpmath.mpf(sig_stat) ** 2 + mpmath.mpf(bkg_stat) ** 2) / a ** 2
        g = mpmath.mpf(gamma)
        lam = a * g
        exact = 2 * ((lam - n * mpmath.log(lam)) - (n - n * mpmath.log(n)) + (g - 1) ** 2 / (2 * var))
    assert q_a > 0
    assert q_a == pytest.approx(float(exact), rel=1e-9)
