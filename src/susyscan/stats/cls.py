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
region) and the agreement, < 1e-6 relative, is tested against ``hypotest``.  ``method="hypotest"`` keeps the
pyhf call; a failed fit falls back to it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pyhf
from scipy import optimize, stats

from susyscan.stats.model_spec import has_nuisance_parameters, one_bin_model

logger = logging.getLogger(__name__)

CLS_LEVEL = 0.05
PYHF = "pyhf"
CLOSED_FORM = "closed form"
ZERO_SIGNAL = "zero signal"
METHODS = ("asimov", "hypotest")


def quiet_pyhf() -> None:
    """Keep pyhf's logger at WARNING (it logs every modifier of every model at INFO); for entry points."""
    logging.getLogger("pyhf").setLevel(logging.WARNING)


@dataclass
class RegionCounts:
    """Expected event counts of one region at one luminosity (signal at mu = 1).

    ``sig_stat``/``bkg_stat``: absolute MC statistical uncertainties (events), one shared ``staterror``."""

    label: str
    sig: float
    sig_stat: float
    bkg: float
    bkg_rel_unc: float = 0.0
    n_obs: float | None = None
    bkg_stat: float = 0.0


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


def asimov_band(data: np.ndarray, model: pyhf.pdf.Model) -> list[float]:
    """Expected CLs band at mu = 1 from one constrained fit (see the module docstring); ``data`` must be the
    background-only Asimov data of ``model`` (:func:`asimov_background_data`)."""
    init = background_init(model)
    nominal = np.asarray(init, dtype=float)
    _, twice_nll_mu = pyhf.infer.mle.fixed_poi_fit(1.0, data, model, init_pars=init, return_fitted_val=True)
    twice_nll_hat = pyhf.infer.mle.twice_nll(nominal, data, model)
    return cls_band_from_qa(float(np.ravel(twice_nll_mu)[0]) - float(np.ravel(twice_nll_hat)[0]))


def _expected_cls(mu: float, data: np.ndarray, model: pyhf.pdf.Model) -> list[float]:
    """Expected CLs band at ``mu`` in pyhf order (-2, -1, 0, +1, +2) sigma, smallest CLs first."""
    _, band = pyhf.infer.hypotest(mu, data, model, init_pars=background_init(model), test_stat="qtilde",
                                  return_expected_set=True)
    return [float(v) for v in band]


def no_systematics_band(sig: float, bkg: float) -> list[float]:
    """Asymptotic expected CLs band without nuisance parameters (Cowan et al. 2011, qtilde, Asimov):
    q_A = 2 (s - b ln(1 + s/b)), CLs(n) = (1 - Phi(sqrt(q_A) - n)) / Phi(n).  Nuisance parameters only
    weaken an exclusion, so this is a lower bound of the full model's CLs."""
    return cls_band_from_qa(2.0 * (sig - bkg * math.log1p(sig / bkg)))


def guard_band(band: list[float], sig: float, bkg: float, label: str, notes: list[str]) -> list[float]:
    """Replace a band below the no-systematics bound (a failed fit) by the bound, with a warning."""
    bound = no_systematics_band(sig, bkg)
    if any(not b >= lb * (1 - 1e-3) - 1e-12 for b, lb in zip(band, bound)):  # also catches NaN
        logger.warning("%s: pyhf CLs %s below the no-systematics bound %s (fit failure), using the bound",
                       label, band, bound)
        notes.append("fit below no-systematics bound: bound used")
        return [b if b >= lb else lb for b, lb in zip(band, bound)]
    return band


def no_systematics_limit(sig: float, bkg: float, level: float = CLS_LEVEL) -> float:
    """Median expected mu limit without nuisance parameters: 2 (x - b ln(1 + x/b)) = (Phi^-1(1 - level/2))^2."""
    target = stats.norm.isf(level / 2.0) ** 2

    def g(x: float) -> float:
        return 2.0 * (x - bkg * math.log1p(x / bkg)) - target

    upper = 10.0 * (target + math.sqrt(target * bkg) + 1.0)
    return float(optimize.brentq(g, 1e-12, upper)) / sig


def expected_upper_limit(model: pyhf.pdf.Model, data: np.ndarray, sig: float, bkg: float,
                         level: float = CLS_LEVEL, rtol: float = 1e-3) -> float:
    """Median expected upper limit on mu (root of CLs_exp(mu) = level, Brent's method on log CLs).

    The bracket starts just below the no-systematics limit (nuisance parameters only weaken it) and grows
    by factors of 1.5 to the first excluded mu, so fits never visit mu far above the limit, where scipy's
    SLSQP tends to fail.
    """
    hi = float(model.config.suggested_bounds()[model.config.poi_index][1])

    def f(mu: float) -> float:
        try:
            cls = _expected_cls(mu, data, model)[2]
        except pyhf.exceptions.FailedMinimization:  # SLSQP occasionally fails at one point: nudge mu
            cls = _expected_cls(mu * (1.0 - 1e-3), data, model)[2]
        if math.isnan(cls):  # both p-values underflow far above the limit (0/0 in pyhf)
            cls = 0.0
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

    ``method``: ``"asimov"`` (one fit, :func:`asimov_band`) or ``"hypotest"`` (``pyhf.infer.hypotest``) for
    models with nuisance parameters; a model without any uses the closed form either way."""
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
    if not has_nuisance_parameters(counts.sig_stat, counts.bkg_stat, counts.bkg_rel_unc):
        exact = no_systematics_band(counts.sig, bkg)
        result = CLsResult(exact[2], exact, notes=notes, method=CLOSED_FORM)
        if upper_limit:
            result.mu_up_exp = no_systematics_limit(counts.sig, bkg)
        if counts.n_obs is not None:
            model = one_bin_model(counts.sig, 0.0, bkg, 0.0, modifier, counts.label)
            result.cls_obs = _observed_cls(model, counts, notes)
        return result
    try:
        model = one_bin_model(counts.sig, counts.sig_stat, bkg, counts.bkg_rel_unc, modifier, counts.label,
                              counts.bkg_stat)
        data = asimov_background_data(model)
        band: list[float] | None = None
        if method == "asimov":
            try:
                band = asimov_band(data, model)
            except pyhf.exceptions.FailedMinimization:
                logger.info("%s: fit at mu = 1 failed, falling back to pyhf hypotest", counts.label)
        if band is None:
            band = _band_at_one(data, model, counts.label, notes)
        band = guard_band(band, counts.sig, bkg, counts.label, notes)
        result = CLsResult(band[2], band, notes=notes)
        if upper_limit:
            try:
                result.mu_up_exp = expected_upper_limit(model, data, counts.sig, bkg)
            except pyhf.exceptions.FailedMinimization as err:
                logger.warning("%s: expected upper limit failed: %s", counts.label, err)
                notes.append(f"upper limit failed: {err}")
        if counts.n_obs is not None:
            result.cls_obs = _observed_cls(model, counts, notes)
    except pyhf.exceptions.FailedMinimization as err:
        logger.warning("%s: pyhf fit failed (s=%.4g, b=%.4g): %s", counts.label, counts.sig, bkg, err)
        return CLsResult(math.nan, [math.nan] * 5, math.nan, math.nan, notes + [f"fit failed: {err}"])
    return result


def _observed_cls(model: pyhf.pdf.Model, counts: RegionCounts, notes: list[str]) -> float:
    """Observed CLs at mu = 1 for ``counts.n_obs`` (NaN, with a note, when the fit fails)."""
    obs = np.concatenate([[counts.n_obs], model.config.auxdata])
    try:
        return float(pyhf.infer.hypotest(1.0, obs, model, init_pars=background_init(model), test_stat="qtilde"))
    except pyhf.exceptions.FailedMinimization as err:
        logger.warning("%s: observed CLs fit failed: %s", counts.label, err)
        notes.append(f"observed fit failed: {err}")
        return math.nan


def discovery_significance(sig: float, bkg: float, bkg_rel_unc: float = 0.0, modifier: str = "shapesys") -> float:
    """Median expected discovery significance Z from pyhf's q0 on the signal-plus-background Asimov data."""
    model = one_bin_model(sig, 0.0, bkg, bkg_rel_unc, modifier)
    pars = np.asarray(model.config.suggested_init(), dtype=float)
    pars[model.config.poi_index] = 1.0
    p0 = float(pyhf.infer.hypotest(0.0, model.expected_data(pars), model, test_stat="q0"))
    return float(stats.norm.isf(p0))
