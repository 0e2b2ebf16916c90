"""One-bin pyhf models of published signal regions: observed/expected CLs of a signal, the discovery
significance of the observed counts, and model-independent upper limits on the number of signal events.

Each region is one bin: the signal (POI ``mu`` scales it), the published background with its total
uncertainty as ONE constrained nuisance parameter, and the observed count as data. The constraint type is a
choice (``BACKGROUND_CONSTRAINTS``): ``normsys`` (Gaussian-constrained alpha, exponential interpolation: the
background stays positive; the default), ``histosys`` (Gaussian in the background itself) or ``shapesys``
(Poisson auxiliary measurement, pyhf's ``simplemodels.uncorrelated_background``). Asymptotic formulae throughout
(ATLAS used pseudo-experiments for its published S95; docs/validation.md compares).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import pyhf
from scipy.stats import norm

from susyscan.contracts import CLS_LEVEL
from susyscan.errors import ConfigError
from susyscan.recast.data import PublishedRegion

logger = logging.getLogger(__name__)

BACKGROUND_CONSTRAINTS = ("normsys", "histosys", "shapesys")
EXPECTED_SIGMAS = (-2, -1, 0, 1, 2)
"""Order of pyhf's expected set: quantiles of the background-only test statistic, CLs increasing."""


def _background_modifier(region: PublishedRegion, constraint: str) -> dict[str, Any]:
    rel = region.bkg_unc / region.bkg
    if constraint == "normsys":
        if rel >= 1.0:
            raise ConfigError(f"region {region.region}: normsys needs bkg_unc < bkg, got {region.bkg_unc} >= {region.bkg}")
        return {"name": "bkg_unc", "type": "normsys", "data": {"hi": 1.0 + rel, "lo": 1.0 - rel}}
    if constraint == "histosys":
        return {"name": "bkg_unc", "type": "histosys",
                "data": {"hi_data": [region.bkg + region.bkg_unc], "lo_data": [max(region.bkg - region.bkg_unc, 0.0)]}}
    if constraint == "shapesys":
        return {"name": "bkg_unc", "type": "shapesys", "data": [region.bkg_unc]}
    raise ConfigError(f"background constraint {constraint!r} unknown (known: {BACKGROUND_CONSTRAINTS})")


def poi_upper_bound(region: PublishedRegion, signal: float) -> float:
    """An upper bound of mu wide enough for every limit: ten times the events that could hide in the region."""
    room = region.n_obs + region.bkg + 5.0 * (math.sqrt(region.bkg) + region.bkg_unc) + 10.0
    return max(10.0, 10.0 * room / max(signal, 1e-9))


def region_model(region: PublishedRegion, signal: float, constraint: str = "normsys") -> tuple[pyhf.pdf.Model, list[float]]:
    """(pyhf model, data incl. auxiliary) of one region with ``signal`` events at mu = 1."""
    if not signal > 0:
        raise ConfigError(f"region {region.region}: one-bin model needs signal > 0, got {signal}")
    spec = {
        "version": "1.0.0",
        "channels": [{"name": "SR", "samples": [
            {"name": "signal", "data": [float(signal)], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "background", "data": [region.bkg], "modifiers": [_background_modifier(region, constraint)]},
        ]}],
        "observations": [{"name": "SR", "data": [region.n_obs]}],
        "measurements": [{"name": "recast", "config": {
            "poi": "mu", "parameters": [{"name": "mu", "bounds": [[0.0, poi_upper_bound(region, signal)]]}]}}],
    }
    workspace = pyhf.Workspace(spec)
    model = workspace.model()
    return model, list(workspace.data(model))


@dataclass(frozen=True)
class ClsResult:
    """Observed CLs and the expected CLs at the EXPECTED_SIGMAS quantiles."""

    cls_obs: float
    cls_exp: tuple[float, float, float, float, float]


def cls(region: PublishedRegion, signal: float, constraint: str = "normsys") -> ClsResult:
    """CLs of ``signal`` events in ``region`` (qtilde, asymptotics); signal <= 0 gives CLs = 1."""
    if not signal > 0:
        return ClsResult(1.0, (1.0,) * 5)
    model, data = region_model(region, signal, constraint)
    obs, expected = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", return_expected_set=True)
    return ClsResult(float(obs), tuple(float(e) for e in expected))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Significance:
    """Local significance of the observed count: q0, background-only p-value p0, Z = Phi^-1(1 - p0)."""

    q0: float
    p0: float
    z: float


def discovery_significance(region: PublishedRegion, constraint: str = "normsys") -> Significance:
    """q0 test (mu >= 0) with a unit signal; a deficit gives q0 = 0, p0 = 0.5, Z = 0."""
    model, data = region_model(region, 1.0, constraint)
    p0 = float(pyhf.infer.hypotest(0.0, data, model, test_stat="q0"))
    p0 = min(max(p0, 0.0), 0.5)
    z = float(norm.isf(p0)) if p0 > 0 else math.inf
    return Significance(q0=max(z, 0.0) ** 2, p0=p0, z=max(z, 0.0))


@dataclass(frozen=True)
class UpperLimit:
    """Model-independent 95 % CLs upper limits on the number of signal events in one region."""

    region: str
    s95_obs: float
    s95_exp: tuple[float, float, float, float, float]
    clb: float
    significance: Significance


def upper_limit(region: PublishedRegion, constraint: str = "normsys", level: float = CLS_LEVEL) -> UpperLimit:
    """S95 observed and expected (EXPECTED_SIGMAS quantiles) from a unit signal, by pyhf's TOMS748 root finding;
    CL_b is the background-only confidence level 1 - p_b of the observed data at mu = S95_obs."""
    model, data = region_model(region, 1.0, constraint)
    obs, expected = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=None, level=level,
                                                                  test_stat="qtilde")
    _, (_, clb) = pyhf.infer.hypotest(float(obs), data, model, test_stat="qtilde", return_tail_probs=True)
    return UpperLimit(region.region, float(obs), tuple(float(e) for e in expected),  # type: ignore[arg-type]
                      float(clb), discovery_significance(region, constraint))


def is_small_excess(cls_obs: float, cls_exp: float, level: float = CLS_LEVEL) -> bool:
    """Seed 003: expected to be excluded (CLs_exp <= level) but not excluded (CLs_obs > level)."""
    return bool(cls_exp <= level and cls_obs > level)


def set_backend() -> None:
    """numpy backend with the scipy optimiser, pyhf's per-model INFO messages off (called by the entry points,
    never at import)."""
    pyhf.set_backend("numpy", "scipy")
    logging.getLogger("pyhf").setLevel(logging.WARNING)

