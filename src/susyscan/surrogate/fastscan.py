"""Fast scan: hard-process-only generation + the surrogate, for a dense grid of mass points.

Per point, Pythia runs with ``PartonLevel:all = off`` and ``HadronLevel:all = off`` (no shower, no
hadronisation; no detector simulation, analysis or network inference follow), the process-level recorder computes
the truth features (``susyscan.surrogate.truth``, the same definition as in training), and the surrogate gives the
efficiency per region.  The signal yield is the normalisation cross section of the full chain
(``susyscan.generation.chunk.normalisation``: the NLO+NLL table) times the efficiency, written in the scan's
yield-table format so that the statistics code computes CLs unchanged.  ``yield_scale`` shifts every yield by the
surrogate uncertainty (``1 - u``, ``1 + u``) for the uncertainty band of the contours.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.errors import ConfigError
from susyscan.generation.chunk import normalisation
from susyscan.generation.filters import make_hook
from susyscan.generation.processes import get_process, pythia_settings
from susyscan.generation.pythia_run import lo_cross_section, make_pythia
from susyscan.generation.seeds import chunk_seed
from susyscan.generation.slha import write_slha
from susyscan.surrogate.model import MAX_OUTSIDE_FRACTION, SurrogateModel
from susyscan.surrogate.truth import ProcessRecorder, features_from_particles

logger = logging.getLogger(__name__)

HARD_PROCESS_ONLY = ("PartonLevel:all = off", "HadronLevel:all = off")
#: No SLHA spectrum printout per point (printing only: same events).
QUIET = ("SLHA:verbose = 0",)


@dataclass
class HardProcessSample:
    """Truth features of a hard-process-only sample and its normalisation."""

    features: pd.DataFrame
    xsec_pb: float
    xsec_source: str
    seconds: float


def dense_grid(m_parent: Sequence[float], m_lsp: Sequence[float], min_gap: float) -> list[tuple[float, float]]:
    """Points (p, l) of the [min, max, step] ranges with l <= p - min_gap."""
    def values(spec: Sequence[float], key: str) -> np.ndarray:
        if len(spec) != 3 or not spec[2] > 0 or spec[1] < spec[0]:
            raise ConfigError(f"config key 'surrogate.fast_scan.{key}': [min, max, step] with step > 0, got {spec}")
        return np.arange(spec[0], spec[1] + 0.5 * spec[2], spec[2])

    return [(float(p), float(lsp)) for p in values(m_parent, "m_parent") for lsp in values(m_lsp, "m_lsp")
            if lsp <= p - min_gap]


def hard_process_sample(process: str, m_parent: float, m_lsp: float, n_events: int, seed: int,
                        sqrt_s_gev: float = 13000.0) -> HardProcessSample:
    """``n_events`` hard processes of a mass point (no shower) with their truth features and cross section."""
    spec = get_process(process)
    if len(spec.mass_keys) != 2:
        raise ConfigError(f"process {process!r}: the fast scan needs a two-mass signal process")
    masses = dict(zip(spec.mass_keys, (float(m_parent), float(m_lsp))))
    recorder = ProcessRecorder()
    start = time.process_time()
    with tempfile.TemporaryDirectory(prefix="susyscan_fast_") as tmp:
        slha = write_slha(spec.slha_model, masses, Path(tmp) / "point.slha") if spec.slha_model else None
        settings = pythia_settings(spec, seed, sqrt_s_gev, str(slha) if slha else None,
                                   extra_settings=HARD_PROCESS_ONLY + QUIET)
        hook = make_hook(None, spec.slepton_pair_fix, recorder)
        pythia = make_pythia(settings, f"fast scan {process} {masses}", hook)
        # pythia.next() rather than generate(): no particle-level conversion is needed (the features come
        # from the recorder), which is a large part of the time once the shower is off
        failed = sum(not pythia.next() for _ in range(n_events))
    if failed or recorder.n_processes != n_events:
        raise ConfigError(f"fast scan ({m_parent:g}, {m_lsp:g}): {failed} failed events, {recorder.n_processes} "
                          f"recorded hard processes for {n_events} requested")
    lo_pb, _ = lo_cross_section(pythia)
    features = features_from_particles(recorder.particles(), recorder.n_processes, m_parent, m_lsp)
    xsec, source = normalisation(spec, masses, spec.lo_factor * lo_pb, sqrt_s_gev)
    return HardProcessSample(features, float(xsec), source, time.process_time() - start)


def point_yields(model: SurrogateModel, sample: HardProcessSample, m_parent: float, m_lsp: float,
                 regions: Sequence[str] | None = None, yield_scale: float = 1.0,
                 max_outside_fraction: float = MAX_OUTSIDE_FRACTION) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Yield table (scan format: region, yield_pb, stat_pb, n_raw, m_parent, m_lsp, + efficiency columns) and the
    point's domain summary."""
    what = f"fast scan point ({m_parent:g}, {m_lsp:g})"
    eff, report = model.efficiencies(sample.features, what, m_parent=m_parent, m_lsp=m_lsp,
                                     max_outside_fraction=max_outside_fraction)
    if regions is not None:
        unknown = [r for r in regions if r not in set(eff["region"])]
        if unknown:
            raise ConfigError(f"{what}: regions {unknown} are not outputs of the surrogate {model.path}")
        eff = eff.set_index("region").loc[list(regions)].reset_index()
    n = len(sample.features)
    table = pd.DataFrame({
        "region": eff["region"], "yield_pb": sample.xsec_pb * eff["efficiency"] * yield_scale,
        "stat_pb": sample.xsec_pb * eff["stat_err"] * yield_scale,
        "n_raw": np.rint(eff["efficiency"] * n).astype(int), "m_parent": m_parent, "m_lsp": m_lsp,
        "efficiency": eff["efficiency"], "xsec_pb": sample.xsec_pb,
    })
    domain = {"m_parent": m_parent, "m_lsp": m_lsp, "n_events": n, "outside_fraction": report.fraction,
              "mass_inside_training_box": report.mass_inside, "outside_by_feature": report.by_feature,
              "generation_cpu_seconds": sample.seconds}
    return table, domain


def run_fast_scan(model_path: str | Path, points: Sequence[tuple[float, float]], process: str, n_events: int,
                  global_seed: int, regions: Sequence[str] | None, sqrt_s_gev: float = 13000.0,
                  scales: Mapping[str, float] | None = None,
                  max_outside_fraction: float = MAX_OUTSIDE_FRACTION) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Yield tables of every point (one table per ``scales`` entry, e.g. nominal / down / up) and the per-point
    domain and timing table.  Each point's seed is ``chunk_seed(global_seed, 'fast_<p>_<l>', 0)``."""
    model = SurrogateModel(model_path)
    scales = dict(scales or {"nominal": 1.0})
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in scales}
    domains = []
    for m_parent, m_lsp in points:
        seed = chunk_seed(global_seed, f"fast_{m_parent:g}_{m_lsp:g}", 0)
        start = time.process_time()
        sample = hard_process_sample(process, m_parent, m_lsp, n_events, seed, sqrt_s_gev)
        table, domain = point_yields(model, sample, m_parent, m_lsp, regions, 1.0, max_outside_fraction)
        for key, scale in scales.items():
            tables[key].append(table.assign(yield_pb=table["yield_pb"] * scale, stat_pb=table["stat_pb"] * scale))
        domain["cpu_seconds"] = time.process_time() - start
        domains.append(domain)
    domain_table = pd.DataFrame(domains)
    outside = domain_table[(domain_table["outside_fraction"] > max_outside_fraction)
                           | ~domain_table["mass_inside_training_box"].fillna(True).astype(bool)]
    if len(outside):
        logger.warning("fast scan: %d of %d points outside the surrogate's training domain (see the domain table)",
                       len(outside), len(domain_table))
    per_point = domain_table["cpu_seconds"]
    logger.info("fast scan: %d points, %.3f s CPU per point (generation + features + surrogate), %s events each",
                len(points), float(per_point.mean()) if len(per_point) else math.nan, n_events)
    return {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}, domain_table
