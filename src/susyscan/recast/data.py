"""The published signal-region table of a recast (observed counts, background and its uncertainty), and
pseudo-data replacing the observed counts by background + an injected signal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

PUBLISHED_COLUMNS = ("region", "n_obs", "bkg", "bkg_unc")
PSEUDO_MODES = ("none", "asimov", "poisson")


@dataclass(frozen=True)
class PublishedRegion:
    """One published signal region."""

    region: str
    n_obs: float
    bkg: float
    bkg_unc: float


def load_published(path: str | Path, regions: list[str] | None = None) -> dict[str, PublishedRegion]:
    """Read the published table; every region of ``regions`` must be in it (and the table has no others)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"published signal-region table {path} does not exist")
    frame = pd.read_csv(path)
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: lacks column(s) {missing} (need {list(PUBLISHED_COLUMNS)})")
    out: dict[str, PublishedRegion] = {}
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        values = (float(row.n_obs), float(row.bkg), float(row.bkg_unc))
        if not all(np.isfinite(values)) or values[0] < 0 or values[1] <= 0 or values[2] < 0:
            raise ConfigError(f"{path}, row {line} ({row.region}): need n_obs >= 0, bkg > 0, bkg_unc >= 0, got {values}")
        if row.region in out:
            raise ConfigError(f"{path}: duplicate region {row.region!r}")
        out[str(row.region)] = PublishedRegion(str(row.region), *values)
    if regions is not None:
        absent = sorted(set(regions) - set(out))
        extra = sorted(set(out) - set(regions))
        if absent or extra:
            raise ConfigError(f"{path}: regions of the analysis config missing from the table {absent}, "
                              f"table regions not in the analysis config {extra}")
    return out


def pseudo_observed(published: dict[str, PublishedRegion], injected: dict[str, float], mode: str,
                    seed: int) -> dict[str, PublishedRegion]:
    """Published regions with n_obs replaced by background + injected signal: ``asimov`` (exactly b + s) or
    ``poisson`` (one seeded Poisson draw per region, in sorted region order); ``none`` returns them unchanged."""
    if mode not in PSEUDO_MODES:
        raise ConfigError(f"pseudo-data mode {mode!r} unknown (known: {PSEUDO_MODES})")
    if mode == "none":
        return dict(published)
    unknown = sorted(set(injected) - set(published))
    if unknown:
        raise ConfigError(f"injected signal names regions {unknown} not in the published table")
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(published):
        region = published[name]
        mean = region.bkg + float(injected.get(name, 0.0))
        n_obs = mean if mode == "asimov" else float(rng.poisson(mean))
        out[name] = PublishedRegion(name, n_obs, region.bkg, region.bkg_unc)
    logger.info("pseudo-data (%s, seed %d): %s", mode, seed, {k: v.n_obs for k, v in out.items()})
    return out
