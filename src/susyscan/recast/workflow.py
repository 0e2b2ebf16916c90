"""Parse-time helpers of workflow/rules/recast.smk: the recast block of the config, its grids as samples."""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path
from typing import Any

from susyscan.config.tables import Sample, known_grid_models, load_grid
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

#: The recast block's schema, shipped as package data.
SCHEMA = Path(str(importlib.resources.files("susyscan") / "schemas" / "recast.schema.yaml"))


def recast_settings(config: dict[str, Any], basedir: str | Path) -> dict[str, Any]:
    """The 'recast' block validated against susyscan/schemas/recast.schema.yaml (defaults filled in place;
    ``basedir`` is kept for callers and unused)."""
    from snakemake.utils import validate

    block = config.setdefault("recast", {})
    if not isinstance(block, dict):
        raise ConfigError(f"config key 'recast' must be a mapping, got {block!r}")
    for sub in ("pseudo_data", "refine"):  # nested defaults are filled only in existing mappings
        block.setdefault(sub, {})
    validate(block, str(SCHEMA), set_default=True)
    return block


def recast_grid_samples(settings: dict[str, Any], config: dict[str, Any], base: str | Path = ".") -> dict[str, list[Sample]]:
    """Grid points of each recast model (an enabled recast needs at least one analysis and one grid); their
    chunking and cross-section range are checked like the analysis grids'."""
    from susyscan.config.checks import _check_chunks, _check_processes

    if not settings.get("enabled", False):
        return {}
    if not settings.get("analyses"):
        raise ConfigError("config key 'recast.analyses': recast is enabled but no analysis is declared")
    if not settings.get("grids"):
        raise ConfigError("config key 'recast.grids': recast is enabled but no signal grid is declared")
    for name, spec in settings["analyses"].items():
        for key in ("config", "s95_reference"):
            if spec.get(key) and not (Path(base) / spec[key]).is_file():
                raise ConfigError(f"config key 'recast.analyses.{name}.{key}': file not found: {spec[key]}")
    out: dict[str, list[Sample]] = {}
    for model, path in settings["grids"].items():
        if model not in known_grid_models():
            raise ConfigError(f"config key 'recast.grids.{model}': unknown model (known: {known_grid_models()})")
        out[model] = list(load_grid(Path(base) / path, model))
        _check_chunks(out[model], config["generation"]["events_per_chunk_max"])
        _check_processes(out[model], float(config["sqrt_s_gev"]))
    return out


def merge_samples(declared: dict[str, Sample], extra: list[Sample]) -> dict[str, Sample]:
    """Recast grid points added to the declared samples; a name declared with other settings is an error."""
    out = dict(declared)
    for sample in extra:
        known = out.get(sample.name)
        if known is not None and (known.process, known.n_events, known.n_chunks) != (
                sample.process, sample.n_events, sample.n_chunks):
            raise ConfigError(f"recast grid point '{sample.name}' is also declared with other settings "
                              f"(process/n_events/n_chunks {known.process}/{known.n_events}/{known.n_chunks} vs "
                              f"{sample.process}/{sample.n_events}/{sample.n_chunks})")
        out.setdefault(sample.name, sample)
    return out


def alternatives(names: list[str]) -> str:
    """A regex matching exactly the given names (nothing when there are none)."""
    import re

    return "|".join(re.escape(n) for n in names) if names else "(?!x)x"


def injected_sample(settings: dict[str, Any], grids: dict[str, list[Sample]]) -> str:
    """The injected point of the pseudo-data mode ('' with the observed counts); an unknown point is an error."""
    pseudo = settings["pseudo_data"]
    if not settings.get("enabled") or pseudo["mode"] == "none":
        return ""
    names = {p.name for points in grids.values() for p in points}
    if pseudo["inject_sample"] not in names:
        raise ConfigError(f"config key 'recast.pseudo_data.inject_sample'={pseudo['inject_sample']!r} is not a recast "
                          f"grid point (points: {sorted(names)})")
    return str(pseudo["inject_sample"])


def recast_targets(settings: dict[str, Any], grids: dict[str, list[Sample]], formats: list[str], *,
                   results: str) -> list[str]:
    """Outputs of every recast analysis and grid under the run's results folder ([] when recast is disabled)."""
    if not settings.get("enabled"):
        return []
    targets = []
    for ra in sorted(settings["analyses"]):
        targets += [f"{results}/recast/{ra}/upper_limits.{ext}" for ext in ("csv", "md")]
        for grid in sorted(grids):
            base = f"{results}/recast/{ra}/{grid}"
            targets += [f"{base}/{f}" for f in ("cls_regions.csv", "best.csv", "small_excess.csv", "contour_lines.csv",
                                                "refine/proposal.tsv")]
            targets += [f"{base}/{name}.{fmt}" for name in ("contour", "small_excess") for fmt in formats]
    targets.append(f"{results}/recast/small_excess_multi.csv")
    return targets


def reference_table(config_path: str) -> str:
    """The published signal-region table named by a recast YAML."""
    from susyscan.recast.config import load_recast_config

    return load_recast_config(config_path).reference
