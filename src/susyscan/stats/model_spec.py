"""pyhf specifications of one-bin counting experiments (one channel per signal region).

MC statistical uncertainties follow the HistFactory convention: the signal and the background sample of a
channel each carry a ``staterror`` modifier of the *same* name, ``staterror_<channel>``.  pyhf shares
``staterror`` modifiers of one name across the samples of a channel: one gamma parameter per bin scales
both samples, with a Gaussian constraint of width sqrt(sigma_s^2 + sigma_b^2) / (s + b), i.e. the total
MC statistical uncertainty of the bin (what ROOT HistFactory's StatError on both samples gives).  For the
expected CLs at mu = 1 two separate gammas would give the same numbers to ~1e-8 (both add the variance
sigma_s^2 + sigma_b^2); the shared one is the convention and keeps one parameter per region.  The
relative background-uncertainty scenarios are a separate ``shapesys``/``normsys`` modifier of the background.

A scenario that takes the muR/muF scale envelope (``statistics.scale_envelope_scenarios``,
:mod:`susyscan.stats.envelope`) adds to the background one :class:`ScaleShift` per process with scale weights: a
``histosys`` (default; additive, so the processes' shifts add up exactly) or ``normsys`` (multiplicative) named
``scale_<process>``, whose +-1 sigma are the region's background with that process at the top and bottom of its
7-point envelope (the lower one kept at or above 0.1 % of the background, with a warning when it is raised).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyhf

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

POI_NAME = "mu_SIG"
BKG_MODIFIERS = ("shapesys", "normsys")
SCALE_MODIFIERS = ("histosys", "normsys")
#: Smallest background kept by the lower side of a scale modifier, as a fraction of the nominal.
MIN_SCALE_FACTOR = 1e-3


@dataclass(frozen=True)
class ScaleShift:
    """Scale-variation envelope of one background process in one region, as absolute shifts of the region's total
    background: ``up``/``down`` (>= 0, same unit as the background) at +1/-1 sigma of the nuisance parameter
    ``name``; ``kind``: the pyhf modifier, one of :data:`SCALE_MODIFIERS`."""

    name: str
    up: float
    down: float
    kind: str = "histosys"

    def scaled(self, factor: float) -> ScaleShift:
        """The same shift in other units (e.g. pb -> events)."""
        return ScaleShift(self.name, self.up * factor, self.down * factor, self.kind)

    def modifier(self, bkg: float, region: str = "") -> dict[str, Any]:
        """pyhf modifier of this shift on a background sample of ``bkg`` events (of ``region``, for the log).

        The lower side is kept at or above :data:`MIN_SCALE_FACTOR` x ``bkg`` (a negative or zero background has
        no Poisson likelihood), with a warning naming the region, the shift and both values."""
        lo = bkg - self.down
        if lo < MIN_SCALE_FACTOR * bkg:
            _warn_scale_floor(region or "region", self.name, bkg, self.down)
            lo = MIN_SCALE_FACTOR * bkg
        if self.kind == "histosys":
            return {"name": self.name, "type": "histosys", "data": {"hi_data": [bkg + self.up], "lo_data": [lo]}}
        if self.kind == "normsys":
            return {"name": self.name, "type": "normsys", "data": {"hi": (bkg + self.up) / bkg, "lo": lo / bkg}}
        raise ConfigError(f"statistics.scale_envelope_modifier: {self.kind!r} not in {SCALE_MODIFIERS}")


@functools.lru_cache(maxsize=4096)
def _warn_scale_floor(region: str, name: str, bkg: float, down: float) -> None:
    """The floor's warning, once per (region, shift, values): a region's model is rebuilt for every signal point
    with the same background, which repeated it per point."""
    logger.warning("%s: %s lower side %.6g - %.6g = %.6g is below %g of the background: set to %.6g",
                   region, name, bkg, down, bkg - down, MIN_SCALE_FACTOR, MIN_SCALE_FACTOR * bkg)


def scale_modifier_name(process: str) -> str:
    """Nuisance-parameter name of a process's scale envelope, e.g. ``"dy fxfx"`` -> ``"scale_dy_fxfx"``."""
    return "scale_" + re.sub(r"[^A-Za-z0-9]+", "_", process).strip("_")


def bound_rel_unc(bkg: float, bkg_rel_unc: float, shifts: Sequence[ScaleShift] = ()) -> float:
    """Relative background uncertainty used for the POI bound: the flat part plus the larger side of every shift."""
    return bkg_rel_unc + sum(max(s.up, s.down) for s in shifts) / bkg if bkg > 0 else bkg_rel_unc


def channel_name(region: str) -> str:
    """pyhf-safe channel name for a signal region, e.g. ``"NN high"`` -> ``"SR_NN_high"``."""
    return "SR_" + re.sub(r"[^A-Za-z0-9]+", "_", region).strip("_")


def staterror_name(channel: str) -> str:
    """Name of the MC-statistics modifier of ``channel``, shared by its signal and background samples."""
    return f"staterror_{channel}"


def background_sample(channel: str, bkg: float, bkg_rel_unc: float, modifier: str,
                      bkg_stat: float = 0.0, shifts: Sequence[ScaleShift] = ()) -> dict[str, Any]:
    """Background sample with a relative uncertainty (none when ``bkg_rel_unc`` is 0), its MC statistical
    uncertainty ``bkg_stat`` (absolute, events) as the channel's shared ``staterror`` (none when 0) and one
    scale-envelope modifier per :class:`ScaleShift` (events)."""
    if modifier not in BKG_MODIFIERS:
        raise ConfigError(f"stats.bkg_modifier: {modifier!r} not in {BKG_MODIFIERS}")
    modifiers: list[dict[str, Any]] = []
    if bkg_rel_unc > 0:
        name = f"bkg_unc_{channel}"
        if modifier == "shapesys":
            modifiers.append({"name": name, "type": "shapesys", "data": [bkg * bkg_rel_unc]})
        else:
            modifiers.append({"name": name, "type": "normsys",
                              "data": {"hi": 1.0 + bkg_rel_unc, "lo": max(1.0 - bkg_rel_unc, 1e-3)}})
    modifiers.extend(shift.modifier(bkg, channel) for shift in shifts)
    if bkg_stat > 0:
        modifiers.append({"name": staterror_name(channel), "type": "staterror", "data": [bkg_stat]})
    return {"name": "background", "data": [bkg], "modifiers": modifiers}


def signal_sample(channel: str, sig: float, sig_stat: float) -> dict[str, Any]:
    """Signal sample scaled by the POI, with its MC statistical uncertainty as the channel's shared ``staterror``."""
    modifiers: list[dict[str, Any]] = [{"name": POI_NAME, "type": "normfactor", "data": None}]
    if sig_stat > 0:
        modifiers.append({"name": staterror_name(channel), "type": "staterror", "data": [sig_stat]})
    return {"name": "signal", "data": [sig], "modifiers": modifiers}


def mu_upper_bound(sig: float, bkg: float, bkg_rel_unc: float = 0.0) -> float:
    """A POI upper bound well above the expected limit (about (3 + 2 sqrt(b) + 2 r b) / s)."""
    return float(max(10.0, 10.0 * (3.0 + 2.0 * bkg**0.5 + 2.0 * bkg_rel_unc * bkg) / max(sig, 1e-12)))


def measurement(mu_max: float) -> dict[str, Any]:
    """Measurement block with the POI and its bounds."""
    return {"name": "NormalMeasurement",
            "config": {"poi": POI_NAME, "parameters": [{"name": POI_NAME, "bounds": [[0.0, mu_max]]}]}}


def has_nuisance_parameters(sig_stat: float, bkg_stat: float, bkg_rel_unc: float, n_shifts: int = 0) -> bool:
    """Whether the one-bin model of a region has any nuisance parameter (else CLs has a closed form)."""
    return sig_stat > 0 or bkg_stat > 0 or bkg_rel_unc > 0 or n_shifts > 0


def one_bin_spec(sig: float, sig_stat: float, bkg: float, bkg_rel_unc: float,
                 modifier: str = "shapesys", region: str = "SR", bkg_stat: float = 0.0,
                 shifts: Sequence[ScaleShift] = ()) -> dict[str, Any]:
    """Model spec (no observations) for one region; yields are expected event counts."""
    channel = channel_name(region)
    return {"channels": [{"name": channel, "samples": [
        signal_sample(channel, sig, sig_stat),
        background_sample(channel, bkg, bkg_rel_unc, modifier, bkg_stat, shifts)]}]}


def one_bin_model(sig: float, sig_stat: float, bkg: float, bkg_rel_unc: float,
                  modifier: str = "shapesys", region: str = "SR", bkg_stat: float = 0.0,
                  shifts: Sequence[ScaleShift] = ()) -> pyhf.pdf.Model:
    """pyhf model of a one-bin counting experiment with POI bounds [0, mu_upper_bound]."""
    spec = one_bin_spec(sig, sig_stat, bkg, bkg_rel_unc, modifier, region, bkg_stat, shifts)
    parameters = measurement(mu_upper_bound(sig, bkg, bound_rel_unc(bkg, bkg_rel_unc, shifts)))["config"]["parameters"]
    return pyhf.Model({**spec, "parameters": parameters}, poi_name=POI_NAME, validate=False)
