"""Configuration: schema validation with defaults, semantic checks, sample and grid tables."""

from __future__ import annotations

from susyscan.config.checks import semantic_checks
from susyscan.config.tables import GridPoint, Sample, load_grid, load_samples, signal_sample_name
from susyscan.config.validate import config_hash, load_config, results_dir, validate_config

__all__ = [
    "GridPoint",
    "Sample",
    "config_hash",
    "load_config",
    "load_grid",
    "load_samples",
    "results_dir",
    "semantic_checks",
    "signal_sample_name",
    "validate_config",
]
