"""Semantic checks of a schema-valid config: what a JSON schema cannot express."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from susyscan.config.tables import GRID_COLUMNS, GridPoint, Sample, load_grid, load_samples
from susyscan.errors import ConfigError


def _check_regions(regions: dict[str, list[float]], points: list[GridPoint]) -> None:
    for name, (low, high) in regions.items():
        if not low < high:
            raise ConfigError(f"config key 'training.regions.{name}': need min < max, got [{low:g}, {high:g})")
    for point in points:
        if not point.train:
            continue
        inside = [n for n, (lo, hi) in regions.items() if lo <= point.m_parent < hi]
        if len(inside) != 1:
            raise ConfigError(
                f"training point {point.name} (m_parent={point.m_parent:g}) lies in {len(inside)} regions "
                f"{inside} of 'training.regions'; each training point must lie in exactly one"
            )
    for name, (lo, hi) in regions.items():
        if not any(p.train and lo <= p.m_parent < hi for p in points):
            raise ConfigError(
                f"config key 'training.regions.{name}': no grid point with train=yes has m_parent in [{lo:g}, {hi:g})"
            )


def _check_chunks(samples: list[Sample], max_per_chunk: int) -> None:
    for sample in samples:
        per_chunk = math.ceil(sample.n_events / sample.n_chunks)
        if sample.n_chunks > sample.n_events:
            raise ConfigError(f"sample '{sample.name}': n_chunks={sample.n_chunks} exceeds n_events={sample.n_events}")
        if per_chunk > max_per_chunk:
            raise ConfigError(
                f"sample '{sample.name}': {per_chunk} events per chunk exceeds "
                f"'generation.events_per_chunk_max'={max_per_chunk}; raise n_chunks"
            )


def _check_processes(samples: list[Sample], sqrt_s_gev: float) -> None:
    """Generated samples must name a registered process; signal masses must lie inside their NLO table."""
    from susyscan.generation.chunk import REFERENCE_SQRT_S_GEV
    from susyscan.generation.processes import get_process
    from susyscan.generation.xsec import lookup

    for sample in samples:
        if sample.source != "generate":
            continue
        try:
            spec = get_process(sample.process)
        except ValueError as err:
            raise type(err)(f"sample '{sample.name}': {err}") from None
        if sample.is_signal and spec.xsec_table and spec.xsec_table_mass and sqrt_s_gev == REFERENCE_SQRT_S_GEV:
            try:
                lookup(spec.xsec_table, sample.masses[spec.xsec_table_mass])
            except ValueError as err:
                raise type(err)(f"grid point '{sample.name}': {err}") from None


def semantic_checks(config: dict[str, Any], base: str | Path = ".") -> dict[str, list[Sample]]:
    """Check cross-key consistency; return the samples of each enabled analysis (backgrounds + grid points)."""
    base = Path(base)
    split = config["training"]["split"]
    if abs(sum(split) - 1.0) > 1e-9:
        raise ConfigError(f"config key 'training.split': fractions must sum to 1, got {split} (sum {sum(split):g})")
    enabled = [name for name, spec in config["analyses"].items() if spec.get("enabled", False)]
    if not enabled:
        raise ConfigError("config key 'analyses': no analysis is enabled")
    backgrounds = load_samples(base / config["samples"])
    known = set(GRID_COLUMNS)
    for sample in backgrounds:
        unknown = set(sample.analyses) - known
        if unknown:
            raise ConfigError(f"sample '{sample.name}' in {config['samples']}: unknown analyses {sorted(unknown)}")
    per_analysis: dict[str, list[Sample]] = {}
    for name in enabled:
        spec = config["analyses"][name]
        if not (base / spec["config"]).is_file():
            raise ConfigError(f"config key 'analyses.{name}.config': file not found: {spec['config']}")
        if name not in config["grids"]:
            raise ConfigError(f"analysis '{name}' is enabled but 'grids.{name}' declares no mass grid")
        points = load_grid(base / config["grids"][name], name)
        if name == "smuon":
            _check_regions(config["training"]["regions"], points)
        bkgs = [s for s in backgrounds if name in s.analyses]
        if not bkgs:
            raise ConfigError(f"analysis '{name}' is enabled but no sample in {config['samples']} lists it under 'analyses'")
        overlap = {p.name for p in points} & {s.name for s in backgrounds}
        if overlap:
            raise ConfigError(f"sample names {sorted(overlap)} appear both in the grid and in {config['samples']}")
        _check_chunks(bkgs + points, config["generation"]["events_per_chunk_max"])
        _check_processes(bkgs + points, float(config["sqrt_s_gev"]))
        per_analysis[name] = bkgs + list(points)
    return per_analysis
