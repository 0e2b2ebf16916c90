"""Expected and observed CLs, expected upper limit and discovery significance for one region.

Expected CLs come from pyhf (``qtilde``, asymptotic calculator) on the background-only Asimov data.  A region
whose model has no nuisance parameter (no MC statistical uncertainty, no background-uncertainty scenario)
uses the exact asymptotic closed form instead (:func:`no_systematics_band`, Cowan et al. 2011): it is what
pyhf computes for such a model, without five numerical fits (tests/stats/test_cls.py checks the agreement).

With nuisance parameters, :func:`asimov_band` computes the same asymptotic band as ``pyhf.infer.hypotest``
from the one fit it needs: on the background-only Asimov data the unconditional maximum is the nominal point
(mu = 0, all nuisance parameters at their auxiliary values), so q_A = 2 (NLL(mu = 1, fitted theta) -
NLL(nominal)), and the band is (1 - Phi(sqrt(q_A) - n)) / Phi(n).  ``hypotest`` spends five fits on this
(it refits the Asimov data it was given); the gain is measured in benchmarks/results/limits.md (about 2x per
region) and the agreement, < 1e-5 relative, is tested against ``hypotest``.  ``method="hypotest"`` keeps the
pyhf call; a failed fit falls back to it.

When the only nuisance parameter is the MC-statistics gamma (no background-uncertainty scenario), the
profile at mu = 1 has a closed form (:func:`staterror_profile`, the root of a quadratic), so such a region
needs no fit and no pyhf model: ~0.1 ms instead of ~5 ms per region (benchmarks/results/limits.md),
cross-checked against pyhf's fit and ``hypotest`` in tests/stats/test_cls.py.  It is also more robust: at
large s/b with a large MC uncertainty SLSQP can stop above the minimum (too strong an exclusion; a test
keeps such a case), and the one-fit path above starts from this profile and never accepts a q_A above it.

The expected mu limit (:func:`expected_upper_limit`) solves CLs_exp(mu) = 0.05 with the same fit at each mu
(:func:`asimov_qa`), and the observed CLs (:func:`_observed_cls`) is pyhf's asymptotic qtilde CLs from fits
that start from pyhf's point and the MC-statistics profile and are polished by Powell: both went through
``hypotest``, which at ~1e6 background events gave a limit below 1 where CLs_exp(1) = 0.6 and CLs_obs = 0
where n_obs = b (tests/stats/test_cls_large_counts.py). The observed CLs costs ~0.09 s per region against
hypotest's ~0.011 s (review 2026-12-04, s = 12, b = 50, 20 % uncertainty with MC statistics, loaded machine):
four robust minimisations instead of pyhf's fits; it runs only where ``statistics.observed`` gives counts. The
stalled-fit refit of :func:`asimov_band` changes default-path CLs only where they are above ~0.4 (16 of 525
shapesys test variants moved, none below 0.4; the demo's cls.csv unchanged), so no exclusion moves.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pyhf
from scipy import optimize, stats

from susyscan.contracts import CLS_LEVEL
from susyscan.stats.model_spec import ScaleShift, has_nuisance_parameters, one_bin_model

logger = logging.getLogger(__name__)

PYHF = "pyhf"
CLOSED_FORM = "closed form"
ZERO_SIGNAL = "zero signal"
STAT_PROFILE = "stat-only profile"
METHODS = ("asimov", "hypotest")
#: pyhf's default bounds of a staterror gamma.
STATERROR_BOUNDS = (1e-10, 10.0)


def quiet_pyhf() -> None:
    """Keep pyhf's logger at WARNING (it logs every modifier of every model at INFO); for entry points."""
    logging.getLogger("pyhf").setLevel(logging.WARNING)


@dataclass
class RegionCounts:
    """Expected event counts of one region at one luminosity (signal at mu = 1).

    ``sig_stat``/``bkg_stat``: absolute MC statistical uncertainties (events), one shared ``staterror``;
    ``bkg_shifts``: scale-envelope modifiers of the background (events, :class:`~susyscan.stats.model_spec.ScaleShift`)."""

    label: str
    sig: float
    sig_stat: float
    bkg: float
    bkg_rel_unc: float = 0.0
    n_obs: float | None = None
    bkg_stat: float = 0.0
    bkg_shifts: tuple[ScaleShift, ...] = ()


@dataclass
class CLsResult:
    """CLs at mu = 1: median expected, the band (-2, -1, 0, +1, +2 sigma), observed, expected mu limit."""

    cls_exp: float
    cls_exp_band: list[float]
    mu_up_exp: float = math.nan
    cls_obs: float = math.nan
    notes: list[str] = field(default_factory=list)
    method: str = PYHF


def asimov_background_data(model: pyhf.pdf.Model) -> np.ndarray:
    """Background-only Asimov data (main + auxiliary) of ``model``."""
    return np.asarray(model.expected_data(np.asarray(background_init(model), dtype=float)))


def background_init(model: pyhf.pdf.Model) -> list[float]:
    """Fit starting point at mu = 0: with large s/b the default start (mu = 1) leaves scipy stuck."""
    init = list(model.config.suggested_init())
    init[model.config.poi_index] = 0.0
    return init


def cls_band_from_qa(q_a: float) -> list[float]:
    """Asymptotic expected CLs band (-2, -1, 0, +1, +2 sigma) for an Asimov test statistic q_A at mu = 1
    (qtilde, background-only Asimov data): CLs(n) = (1 - Phi(sqrt(q_A) - n)) / Phi(n)."""
    root = math.sqrt(max(q_a, 0.0))
    return [float(stats.norm.sf(root - n) / stats.norm.cdf(n)) for n in (-2, -1, 0, 1, 2)]


def asimov_band(data: np.ndarray, model: pyhf.pdf.Model, counts: RegionCounts | None = None,
                notes: list[str] | None = None) -> list[float]:
    """Expected CLs band at mu = 1 from one constrained fit (see the module docstring); ``data`` must be the
    background-only Asimov data of ``model`` (:func:`asimov_background_data`).  The fit: :func:`asimov_qa`."""
    return cls_band_from_qa(asimov_qa(data, model, counts, notes))


def asimov_qa(data: np.ndarray, model: pyhf.pdf.Model, counts: RegionCounts | None = None,
              notes: list[str] | None = None, mu: float = 1.0) -> float:
    """q_A at ``mu`` on the background-only Asimov data ``data`` of ``model``: 2 (NLL(mu, fitted theta) -
    NLL(nominal)), the nominal point being the unconditional maximum.

    With ``counts``, the fit starts from the exact MC-statistics profile at ``mu`` (:func:`staterror_profile`,
    other nuisance parameters nominal), and its q_A is checked against that profile's q_A, an upper bound
    (profiling more parameters only lowers the NLL at fixed mu): a fit that fails or ends above it did not
    converge (SLSQP's finite-difference gradients fail on ~1e5-1e6 events), and a derivative-free Powell refit
    replaces it (the smaller of its q_A and the bound), with a warning and a note.  A fit that ends within
    1e-3 of the bound in a model with other nuisance parameters may have stalled at its start (s = 600 with 10 %
    MC, b = 168000 with 20 % and 18 % MC: SLSQP stayed at the stat-only profile, q_A 3.843e-4, CLs 0.98436; from
    the nominal start SLSQP stops at 1.874e-4 and Powell reaches 1.7472e-4, CLs 0.989454, as an independent
    Nelder-Mead profile of the same likelihood); it is refit from the nominal start by SLSQP and Powell and the
    smallest q_A kept.  A q_A at least 1e-3 below the bound is kept as fitted."""
    init = background_init(model)
    nominal = np.asarray(init, dtype=float)
    start = list(init)
    bound = math.inf
    if counts is not None:
        bound, gamma = staterror_profile(counts.sig, counts.sig_stat, counts.bkg, counts.bkg_stat, mu=mu)
        start = _staterror_start(model, init, gamma)
    twice_nll_hat = float(np.ravel(pyhf.infer.mle.twice_nll(nominal, data, model))[0])
    try:
        _, twice_nll_mu = pyhf.infer.mle.fixed_poi_fit(mu, data, model, init_pars=start, return_fitted_val=True)
        q_a = float(np.ravel(twice_nll_mu)[0]) - twice_nll_hat
    except pyhf.exceptions.FailedMinimization:
        if counts is None:
            raise
        q_a = math.inf  # refit below
    label = counts.label if counts is not None else "model"
    if q_a > bound * (1.0 + 1e-6) + 1e-9:
        refit = _powell_refit(data, model, start, mu) - twice_nll_hat
        logger.warning("%s: SLSQP fit at mu = %.4g failed or ended above the MC-stat-only profile (q_A %.6g > "
                       "%.6g); Powell refit: %.6g", label, mu, q_a, bound, refit)
        if notes is not None:
            notes.append(f"SLSQP q_A {q_a:.4g} above the stat-only profile {bound:.4g}: Powell refit {refit:.4g}")
        return min(refit, bound)
    if q_a >= bound * (1.0 - 1e-3) and _has_other_nuisances(model):
        q_nom = _powell_refit(data, model, init, mu) - twice_nll_hat
        try:
            _, twice_nll_nom = pyhf.infer.mle.fixed_poi_fit(mu, data, model, init_pars=init,
                                                            return_fitted_val=True)
            q_nom = min(q_nom, float(np.ravel(twice_nll_nom)[0]) - twice_nll_hat)
        except pyhf.exceptions.FailedMinimization:
            pass
        if q_nom < q_a:
            logger.info("%s: fit at mu = %.4g from the stat-only profile ended at q_A %.6g (bound %.6g); from the "
                        "nominal start (SLSQP and Powell) %.6g, kept", label, mu, q_a, bound, q_nom)
            q_a = q_nom
    return q_a


def _staterror_start(model: pyhf.pdf.Model, init: list[float], gamma: float) -> list[float]:
    """``init`` with every staterror gamma set to ``gamma``."""
    start = list(init)
    for name in model.config.par_order:
        if name.startswith("staterror_"):
            start[model.config.par_slice(name).start] = gamma
    return start


def _has_other_nuisances(model: pyhf.pdf.Model) -> bool:
    """Whether ``model`` has a nuisance parameter other than the MC-statistics gamma."""
    return any(name != model.config.poi_name and not name.startswith("staterror_")
               for name in model.config.par_order)


def _powell_refit(data: np.ndarray, model: pyhf.pdf.Model, start: list[float], mu: float | None = 1.0) -> float:
    """Minimum of pyhf's twice NLL at ``mu`` (``None``: mu free too) over the nuisance parameters by Powell's
    derivative-free method (robust where SLSQP's finite-difference gradients fail on large event counts),
    within pyhf's bounds."""
    return _powell_min(data, model, start, mu)[0]


def _powell_min(data: np.ndarray, model: pyhf.pdf.Model, start: list[float] | np.ndarray,
                mu: float | None) -> tuple[float, np.ndarray]:
    """(twice NLL, parameters) of :func:`_powell_refit`."""
    poi = model.config.poi_index
    free = [i for i in range(len(start)) if mu is None or i != poi]
    bounds = [model.config.suggested_bounds()[i] for i in free]
    base = np.asarray(start, dtype=float).copy()
    if mu is not None:
        base[poi] = mu

    def twice_nll(x: np.ndarray) -> float:
        pars = base.copy()
        pars[free] = x
        return float(np.ravel(pyhf.infer.mle.twice_nll(pars, data, model))[0])

    if not free:
        return twice_nll(np.empty(0)), base
    res = optimize.minimize(twice_nll, base[free], method="Powell", bounds=bounds,
                            options={"xtol": 1e-10, "ftol": 1e-13, "maxfev": 20000})
    pars = base.copy()
    pars[free] = res.x
    return float(res.fun), pars


def staterror_profile(sig: float, sig_stat: float, bkg: float, bkg_stat: float, mu: float = 1.0,
                      n: float | None = None) -> tuple[float, float]:
    """(q_A, profiled gamma) at ``mu`` of a one-bin model whose only nuisance parameter is the shared
    MC-statistics gamma, profiled exactly on the data n (default: the background-only Asimov data n = b);
    without any MC statistical uncertainty, the no-systematics q_A = 2 (mu s - b ln(1 + mu s/b)) and gamma = 1.

    pyhf's ``staterror`` scales the samples that carry it: lambda(gamma) = a gamma + c with a the sum of those
    samples at ``mu`` and c the rest, Gaussian constraint of width sigma = sqrt(sum of their delta^2) / a0 (a0:
    the nominal sum, mu = 1; pyhf's width does not move with mu).  With
    NLL(gamma) = lambda - n ln lambda + (gamma - 1)^2 / (2 sigma^2), dNLL/dgamma = 0 is
    a gamma^2 + (a^2 sigma^2 + c - a) gamma + (a c sigma^2 - n a sigma^2 - c) = 0, whose larger root (the
    smaller one has lambda < 0) is the profiled gamma, clipped to pyhf's staterror bounds (the NLL is convex in
    gamma); q_A is 2 (NLL(mu, gamma) - NLL at lambda = n, gamma = 1), for n = b the unconditional minimum
    (mu = 0, gamma = 1).  On models where pyhf's SLSQP fit converges this agrees with it to < 1e-5; where it
    does not (large s/b, large sigma), the root is the true minimum (tests/stats/test_cls.py,
    tests/stats/test_cls_large_counts.py)."""
    n = bkg if n is None else n
    carried = [(v, d) for v, d in ((sig, sig_stat), (bkg, bkg_stat)) if d > 0]
    if not carried:
        return no_systematics_qa(mu * sig + (bkg - n), n), 1.0
    a0 = sum(v for v, _ in carried)
    a = mu * sig * (sig_stat > 0) + bkg * (bkg_stat > 0)
    if a == 0.0:  # only the signal carries the gamma and mu = 0: lambda does not depend on it, gamma = 1
        return no_systematics_qa(mu * sig + (bkg - n), n), 1.0
    c = mu * sig + bkg - a
    var = sum(d * d for _, d in carried) / (a0 * a0)
    qb, qc = a * a * var + c - a, a * c * var - n * a * var - c
    gamma = min(max((-qb + math.sqrt(qb * qb - 4.0 * a * qc)) / (2.0 * a), STATERROR_BOUNDS[0]), STATERROR_BOUNDS[1])
    # NLL(mu, gamma) - NLL(lambda = n, gamma = 1) = d - n ln(1 + d/n) + (gamma - 1)^2 / (2 sigma^2) with
    # d = lambda - n = a (gamma - 1) + mu s + b - n, written so that no two numbers of size n ln n are subtracted
    # (at n ~ 1e7 that difference lost every digit of q_A ~ 1e-8: q_A came out 0 or 2^-24)
    d = a * (gamma - 1.0) + mu * sig + (bkg - n)  # bkg - n first: exact 0 on Asimov data
    return 2.0 * (n * _x_minus_log1p(d / n) + (gamma - 1.0) ** 2 / (2.0 * var)), gamma


def no_systematics_qa(sig: float, bkg: float) -> float:
    """Asimov q_A without nuisance parameters, 2 (s - b ln(1 + s/b)) = 2 b (x - ln(1 + x)) with x = s/b."""
    return 2.0 * bkg * _x_minus_log1p(sig / bkg)


def _x_minus_log1p(x: float) -> float:
    """x - ln(1 + x), by its Taylor series where the direct difference cancels (|x| < 1e-3: the first
    neglected term, x^7 / 7, is < 2e-13 of the result)."""
    if abs(x) < 1e-3:
        return x * x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * (0.2 - x / 6.0))))
    return x - math.log1p(x)


def staterror_only_qa(sig: float, sig_stat: float, bkg: float, bkg_stat: float) -> float:
    """q_A of :func:`staterror_profile`."""
    return staterror_profile(sig, sig_stat, bkg, bkg_stat)[0]


def _expected_cls(mu: float, data: np.ndarray, model: pyhf.pdf.Model) -> list[float]:
    """Expected CLs band at ``mu`` in pyhf order (-2, -1, 0, +1, +2) sigma, smallest CLs first."""
    _, band = pyhf.infer.hypotest(mu, data, model, init_pars=background_init(model), test_stat="qtilde",
                                  return_expected_set=True)
    return [float(v) for v in band]


def no_systematics_band(sig: float, bkg: float) -> list[float]:
    """Asymptotic expected CLs band without nuisance parameters (Cowan et al. 2011, qtilde, Asimov):
    q_A = 2 (s - b ln(1 + s/b)), CLs(n) = (1 - Phi(sqrt(q_A) - n)) / Phi(n).  Nuisance parameters only
    weaken an exclusion, so this is a lower bound of the full model's CLs."""
    return cls_band_from_qa(no_systematics_qa(sig, bkg))


def _band_below(band: list[float], bound: list[float]) -> bool:
    """Whether any band value lies below its bound (beyond 1e-3 relative) or is NaN."""
    return any(not b >= lb * (1 - 1e-3) - 1e-12 for b, lb in zip(band, bound))


def _below_bound(band: list[float], counts: RegionCounts, bkg: float) -> bool:
    """Whether ``band`` lies below the MC-statistics-only bound of ``counts`` (see :func:`guard_band`)."""
    return _band_below(band, cls_band_from_qa(staterror_only_qa(counts.sig, counts.sig_stat, bkg, counts.bkg_stat)))


def _asimov_instead(band: list[float], data: np.ndarray, model: pyhf.pdf.Model, counts: RegionCounts,
                    notes: list[str]) -> list[float]:
    """The :func:`asimov_band` fit in place of a ``hypotest`` band below the bound (a failed pyhf fit): the same
    asymptotic quantity, from the robust fits; ``band`` unchanged if that fit fails too (then the bound is used).
    Measured: b = 5e5, 30 % background MC and 20 % uncertainty, s = 3.6e5: hypotest 0, bound 0.0164, asimov 0.0186."""
    try:
        fitted = asimov_band(data, model, counts, notes)
    except pyhf.exceptions.FailedMinimization:
        return band
    logger.warning("%s: pyhf hypotest CLs %s below the MC-stat-only bound (fit failure); using the asimov fit %s",
                   counts.label, band, fitted)
    notes.append("hypotest below the stat-only bound: asimov fit used")
    return fitted


def guard_band(band: list[float], sig: float, bkg: float, label: str, notes: list[str],
               sig_stat: float = 0.0, bkg_stat: float = 0.0) -> list[float]:
    """Replace a band below the MC-statistics-only bound (a failed fit) by the bound, with a warning.

    The bound is the band of :func:`staterror_profile` (the no-systematics band without MC statistical
    uncertainties): it profiles a subset of the nuisance parameters, so the full model's CLs is not below it.
    The no-systematics band alone underflows where the MC uncertainty dominates (b = 5e4 with a 100 % background
    MC uncertainty, s = 1.02e5: bound 0, true CLs 0.0461, hypotest 0)."""
    bound = cls_band_from_qa(staterror_only_qa(sig, sig_stat, bkg, bkg_stat))
    if _band_below(band, bound):
        logger.warning("%s: pyhf CLs %s below the MC-stat-only bound %s (fit failure), using the bound",
                       label, band, bound)
        notes.append("fit below the stat-only bound: bound used")
        return [b if b >= lb else lb for b, lb in zip(band, bound)]
    return band


def no_systematics_limit(sig: float, bkg: float, level: float = CLS_LEVEL) -> float:
    """Median expected mu limit without nuisance parameters: 2 (x - b ln(1 + x/b)) = (Phi^-1(1 - level/2))^2."""
    target = stats.norm.isf(level / 2.0) ** 2

    def g(x: float) -> float:
        return no_systematics_qa(x, bkg) - target

    upper = 10.0 * (target + math.sqrt(target * bkg) + 1.0)
    return float(optimize.brentq(g, 1e-12, upper)) / sig


def expected_upper_limit(model: pyhf.pdf.Model, data: np.ndarray, sig: float, bkg: float,
                         level: float = CLS_LEVEL, rtol: float = 1e-3, counts: RegionCounts | None = None) -> float:
    """Median expected upper limit on mu (root of CLs_exp(mu) = level, Brent's method on log CLs).

    CLs_exp(mu) = 2 Phi(-sqrt(q_A(mu))) with q_A from :func:`asimov_qa`, the fit (start, bound check, refits)
    of the expected band at mu = 1, so that mu_up_exp < 1 exactly when CLs_exp(1) < ``level``.  Through
    ``pyhf.infer.hypotest`` the limit was 0.949 at b = 1e6 (20 % uncertainty, 1 % MC), s = 1e5, where CLs_exp(1)
    = 0.605 and an independent profile gives 3.43.  The bracket starts just below the no-systematics limit
    (nuisance parameters only weaken it) and grows by factors of 1.5 to the first excluded mu, so fits never
    visit mu far above the limit, where scipy's SLSQP tends to fail.
    """
    hi = float(model.config.suggested_bounds()[model.config.poi_index][1])

    def median_cls(mu: float) -> float:
        return float(2.0 * stats.norm.sf(math.sqrt(max(asimov_qa(data, model, counts, mu=mu), 0.0))))

    def f(mu: float) -> float:
        try:
            cls = median_cls(mu)
        except pyhf.exceptions.FailedMinimization:  # SLSQP occasionally fails at one point: nudge mu
            cls = median_cls(mu * (1.0 - 1e-3))
        return math.log(max(cls, 1e-300)) - math.log(level)

    lo = min(0.98 * no_systematics_limit(sig, bkg, level), 0.5 * hi)
    f_lo = f(lo)
    while f_lo < 0 and lo * sig > 1e-3:  # never expected (nuisances weaken a limit): step down
        lo /= 2.0
        f_lo = f(lo)
    if f_lo < 0:
        return lo
    up = lo
    while True:
        up = min(1.5 * up, hi)
        if f(up) < 0:
            break
        if up >= hi:
            logger.warning("expected mu limit above the POI bound %.3g", hi)
            return math.inf
        lo = up
    return float(optimize.brentq(f, lo, up, rtol=rtol))


def _band_at_one(data: np.ndarray, model: pyhf.pdf.Model, label: str, notes: list[str]) -> list[float]:
    """Expected band at mu = 1; if SLSQP fails (very large s/b) use the first mu = 2^-k that fits: CLs falls
    with mu, so that band is a conservative upper bound of the band at mu = 1."""
    mu = 1.0
    for _ in range(20):
        try:
            band = _expected_cls(mu, data, model)
        except pyhf.exceptions.FailedMinimization:
            mu /= 2.0
            continue
        if mu < 1.0:
            logger.warning("%s: fit at mu = 1 failed; CLs taken at mu = %.3g (conservative)", label, mu)
            notes.append(f"fit at mu=1 failed: CLs at mu={mu:.3g} (upper bound)")
        return band
    raise pyhf.exceptions.FailedMinimization(optimize.OptimizeResult(message="no mu in [2^-19, 1] fits"))


def region_cls(counts: RegionCounts, modifier: str = "shapesys", upper_limit: bool = True,
               method: str = "asimov") -> CLsResult:
    """CLs of one region; zero signal gives CLs = 1.  The background must be positive: a region without
    background MC gets its documented substitute upstream (:func:`susyscan.stats.inputs.zero_mc_background_pb`).

    ``method``: ``"asimov"`` (one fit, :func:`asimov_band`; no fit at all, :func:`staterror_profile`, when the
    MC-statistics gamma is the only nuisance parameter and neither a mu limit nor observed CLs is asked for) or
    ``"hypotest"`` (``pyhf.infer.hypotest``) for models with nuisance parameters; a model without any uses the
    closed form either way.  ``CLsResult.method`` records which was used."""
    if method not in METHODS:
        raise ValueError(f"method {method!r} not in {METHODS}")
    notes: list[str] = []
    if not counts.sig > 0:
        logger.info("%s: zero signal yield -> CLs = 1, not excluded", counts.label)
        return CLsResult(1.0, [1.0] * 5, math.inf if upper_limit else math.nan,
                         1.0 if counts.n_obs is not None else math.nan,
                         ["zero signal: CLs set to 1"], ZERO_SIGNAL)
    bkg = counts.bkg
    if not (bkg > 0 and math.isfinite(bkg)):
        raise ValueError(f"{counts.label}: background {bkg} events is not positive; regions without background "
                         "MC must be given susyscan.stats.inputs.zero_mc_background_pb")
    if not has_nuisance_parameters(counts.sig_stat, counts.bkg_stat, counts.bkg_rel_unc, len(counts.bkg_shifts)):
        exact = no_systematics_band(counts.sig, bkg)
        result = CLsResult(exact[2], exact, notes=notes, method=CLOSED_FORM)
        if upper_limit:
            result.mu_up_exp = no_systematics_limit(counts.sig, bkg)
        if counts.n_obs is not None:
            observed_model = one_bin_model(counts.sig, 0.0, bkg, 0.0, modifier, counts.label)
            result.cls_obs = _observed_cls(observed_model, counts, notes)
        return result
    stat_only = method == "asimov" and counts.bkg_rel_unc == 0 and not counts.bkg_shifts
    try:
        model: pyhf.pdf.Model | None = None
        band: list[float] | None = None
        if stat_only:  # the exact profile: no fit, no model
            band = cls_band_from_qa(staterror_only_qa(counts.sig, counts.sig_stat, bkg, counts.bkg_stat))
        else:
            model = one_bin_model(counts.sig, counts.sig_stat, bkg, counts.bkg_rel_unc, modifier, counts.label,
                                  counts.bkg_stat, counts.bkg_shifts)
            data = asimov_background_data(model)
            if method == "asimov":
                try:
                    band = asimov_band(data, model, counts, notes)
                except pyhf.exceptions.FailedMinimization:
                    logger.info("%s: fit at mu = 1 failed, falling back to pyhf hypotest", counts.label)
            if band is None:
                band = _band_at_one(data, model, counts.label, notes)
                if method == "hypotest" and _below_bound(band, counts, bkg):
                    band = _asimov_instead(band, data, model, counts, notes)
        band = guard_band(band, counts.sig, bkg, counts.label, notes, counts.sig_stat, counts.bkg_stat)
        result = CLsResult(band[2], band, notes=notes, method=STAT_PROFILE if stat_only else PYHF)
        if (upper_limit or counts.n_obs is not None) and model is None:
            model = one_bin_model(counts.sig, counts.sig_stat, bkg, counts.bkg_rel_unc, modifier, counts.label,
                                  counts.bkg_stat, counts.bkg_shifts)
            data = asimov_background_data(model)
        if upper_limit and model is not None:
            try:
                result.mu_up_exp = expected_upper_limit(model, data, counts.sig, bkg, counts=counts)
            except pyhf.exceptions.FailedMinimization as err:
                logger.warning("%s: expected upper limit failed: %s", counts.label, err)
                notes.append(f"upper limit failed: {err}")
        if counts.n_obs is not None and model is not None:
            result.cls_obs = _observed_cls(model, counts, notes)
    except pyhf.exceptions.FailedMinimization as err:
        logger.warning("%s: pyhf fit failed (s=%.4g, b=%.4g): %s", counts.label, counts.sig, bkg, err)
        return CLsResult(math.nan, [math.nan] * 5, math.nan, math.nan, notes + [f"fit failed: {err}"])
    return result


def _observed_cls(model: pyhf.pdf.Model, counts: RegionCounts, notes: list[str]) -> float:
    """Observed CLs at mu = 1 for ``counts.n_obs`` (NaN, with a note, when the fits fail): pyhf's asymptotic
    qtilde CLs (``AsymptoticCalculator``) from fits made robust like the expected band's.

    As in ``pyhf.infer.hypotest``: q~ = 2 (NLL(1, theta_1) - NLL(mu_hat, theta_hat)) (0 if mu_hat > 1, mu_hat
    >= 0 by the POI bound), q_A the same on the Asimov data of the mu = 0 fit to the observation, and with
    t = sqrt(q~) - sqrt(q_A) (or (q~ - q_A) / (2 sqrt(q_A)) when q~ > q_A), CLs = Phi(-(t + sqrt(q_A))) / Phi(-t).
    Each minimum (:func:`_robust_min`) is the smallest of SLSQP fits from pyhf's start and from the MC-statistics
    profile, then polished by Powell: ``hypotest`` returned CLs_obs = 0 at b = 1e6 (20 % uncertainty, 1 % MC),
    s = 1e5, n_obs = b, where the expected CLs (which n_obs = b must reproduce) is 0.605."""
    n_obs = float(counts.n_obs) if counts.n_obs is not None else math.nan
    obs = np.concatenate([[n_obs], model.config.auxdata])
    poi = model.config.poi_index
    init = background_init(model)

    def starts(mu: float, n: float) -> list[list[float]]:
        if not n > 0:  # no profile start for an empty observation
            return [init]
        gamma = staterror_profile(counts.sig, counts.sig_stat, counts.bkg, counts.bkg_stat, mu=mu, n=n)[1]
        return [init, _staterror_start(model, init, gamma)]

    try:
        t_1, pars_1 = _robust_min(obs, model, 1.0, starts(1.0, n_obs), counts.label, notes)
        t_0, pars_0 = _robust_min(obs, model, 0.0, starts(0.0, n_obs), counts.label, notes)
        t_hat, pars_hat = min([_robust_min(obs, model, None, [list(pars_0), list(pars_1)], counts.label, notes),
                               (t_0, pars_0), (t_1, pars_1)], key=lambda fit: fit[0])
        q_obs = 0.0 if pars_hat[poi] > 1.0 else max(t_1 - t_hat, 0.0)
        asimov = np.asarray(model.expected_data(pars_0))
        asimov_start = list(pars_0)
        t_a1, _ = _robust_min(asimov, model, 1.0, [asimov_start] + starts(1.0, float(asimov[0]))[1:],
                              counts.label, notes)
        t_a0 = float(np.ravel(pyhf.infer.mle.twice_nll(pars_0, asimov, model))[0])
        q_a = max(t_a1 - t_a0, 0.0)
    except pyhf.exceptions.FailedMinimization as err:
        logger.warning("%s: observed CLs fit failed: %s", counts.label, err)
        notes.append(f"observed fit failed: {err}")
        return math.nan
    return qtilde_cls(q_obs, q_a)


def qtilde_cls(q_obs: float, q_a: float) -> float:
    """Asymptotic CLs of pyhf's ``AsymptoticCalculator`` (qtilde) for the observed q~ and the Asimov q_A, with
    log survival functions so that the ratio does not underflow to 0/0 at large q~."""
    sqrt_q, sqrt_qa = math.sqrt(q_obs), math.sqrt(q_a)
    if sqrt_q <= sqrt_qa or sqrt_qa == 0.0:
        t = sqrt_q - sqrt_qa
    else:
        t = (q_obs - q_a) / (2.0 * sqrt_qa)
    return float(math.exp(stats.norm.logsf(t + sqrt_qa) - stats.norm.logsf(t)))


def _robust_min(data: np.ndarray, model: pyhf.pdf.Model, mu: float | None, starts: list[list[float]], label: str,
                notes: list[str]) -> tuple[float, np.ndarray]:
    """(twice NLL, parameters) at the minimum over the nuisance parameters at ``mu`` (``None``: mu free too): the
    smallest of pyhf's SLSQP fits from ``starts`` and of Powell minimisations (:func:`_powell_min`) from the best
    of them and from each start (in the flat valley of large-count models Powell from SLSQP's end point can stop
    short, see :func:`asimov_qa`); a Powell gain of more than 1e-6 (SLSQP stalled) is logged with a note."""
    fits: list[tuple[float, np.ndarray]] = []
    for start in starts:
        try:
            if mu is None:
                pars, val = pyhf.infer.mle.fit(data, model, init_pars=start, return_fitted_val=True)
            else:
                pars, val = pyhf.infer.mle.fixed_poi_fit(mu, data, model, init_pars=start, return_fitted_val=True)
        except pyhf.exceptions.FailedMinimization:
            continue
        fits.append((float(np.ravel(val)[0]), np.asarray(pars, dtype=float)))
    best = min(fits, key=lambda fit: fit[0]) if fits else (math.inf, np.asarray(starts[0], dtype=float))
    polished = _powell_min(data, model, best[1], mu)
    if not math.isfinite(polished[0]):
        raise pyhf.exceptions.FailedMinimization(optimize.OptimizeResult(message=f"no finite NLL at mu = {mu}"))
    if polished[0] < best[0] - 1e-6:
        where = "mu free" if mu is None else f"mu = {mu:g}"
        logger.warning("%s: SLSQP fit (%s) to the observed data or its Asimov data failed or stalled (twice NLL "
                       "%.10g); Powell: %.10g", label, where, best[0], polished[0])
        notes.append(f"observed-CLs fit at {where}: SLSQP {best[0]:.10g}, Powell {polished[0]:.10g}")
    return polished if polished[0] < best[0] else best


def discovery_significance(sig: float, bkg: float, bkg_rel_unc: float = 0.0, modifier: str = "shapesys") -> float:
    """Median expected discovery significance Z from pyhf's q0 on the signal-plus-background Asimov data."""
    model = one_bin_model(sig, 0.0, bkg, bkg_rel_unc, modifier)
    pars = np.asarray(model.config.suggested_init(), dtype=float)
    pars[model.config.poi_index] = 1.0
    p0 = float(pyhf.infer.hypotest(0.0, model.expected_data(pars), model, test_stat="q0"))
    return float(stats.norm.isf(p0))
