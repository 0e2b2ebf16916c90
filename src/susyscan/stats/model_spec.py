"""pyhf specifications of one-bin counting experiments (one channel per signal region).

MC statistical uncertainties follow the HistFactory convention: the signal and the background sample of a
channel each carry a ``staterror`` modifier of the *same* name, ``staterror_<channel>``.  pyhf shares
``staterror`` modifiers of one name across the samples of a channel: one gamma parameter per bin scales
both samples, with a Gaussian constraint of width sqrt(sigma_s^2 + sigma_b^2) / (s + b), i.e. the total
MC statistical uncertainty of the bin (what ROOT HistFactory's StatError on both samples gives).  For the
expected CLs at mu = 1 two separate gammas would give the same numbers to ~1e-8 (both add the variance
sigma_s^2 + sigma_b^2); the shared one is the convention and keeps one parameter per region.  The
relative background-uncertainty scenarios are a separate ``shapesys``/``normsys`` modifier of the background.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pyhf

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

POI_NAME = "mu_SIG"
BKG_MODIFIERS = ("shapesys", "normsys")


def channel_name(region: str) -> str:
    """pyhf-safe channel name for a signal region, e.g. ``"NN high"`` -> ``"SR_NN_high"``."""
    return "SR_" + re.sub(r"[^A-Za-z0-9]+", "_", region).strip("_")


def staterror_name(channel: str) -> str:
    """Name of the MC-statistics modifier of ``channel``, shared by its signal and background samples."""
    return f"staterror_{channel}"


def background_sample(channel: str, bkg: float, bkg_rel_unc: float, modifier: str,
                      bkg_stat: float = 0.0) -> dict[str, Any]:
    """Background sample with a relative uncertainty (none when ``bkg_rel_unc`` is 0) and its MC statistical
    uncertainty ``bkg_stat`` (absolute, events) as the channel's shared ``staterror`` (none when 0)."""
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


def has_nuisance_parameters(sig_stat: float, bkg_stat: float, bkg_rel_unc: float) -> bool:
    """Whether the one-bin model of a region has any nuisance parameter (else CLs has a closed form)."""
    return sig_stat > 0 or bkg_stat > 0 or bkg_rel_unc > 0


def one_bin_spec(sig: float, sig_stat: float, bkg: float, bkg_rel_unc: float,
                 modifier: str = "shapesys", region: str = "SR", bkg_stat: float = 0.0) -> dict[str, Any]:
    """Model spec (no observations) for one region; yields are expected event counts."""
    channel = channel_name(region)
    return {"channels": [{"name": channel, "samples": [
        signal_sample(channel, sig, sig_stat), background_sample(channel, bkg, bkg_rel_unc, modifier, bkg_stat)]}]}


def one_bin_model(sig: float, sig_stat: float, bkg: float, bkg_rel_unc: float,
                  modifier: str = "shapesys", region: str = "SR", bkg_stat: float = 0.0) -> pyhf.pdf.Model:
    """pyhf model of a one-bin counting experiment with POI bounds [0, mu_upper_bound]."""
    spec = one_bin_spec(sig, sig_stat, bkg, bkg_rel_unc, modifier, region, bkg_stat)
    parameters = measurement(mu_upper_bound(sig, bkg, bkg_rel_unc))["config"]["parameters"]
    return pyhf.Model({**spec, "parameters": parameters}, poi_name=POI_NAME, validate=False)
