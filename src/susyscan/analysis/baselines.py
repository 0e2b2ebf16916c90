"""Cut-and-count signal regions of an analysis YAML (``baselines.regions``) as 0/1 flag columns.

The smuon YAML holds the static jet veto and the six dynamic jet vetoes of Ref. [30] (docs/analysis_smuon.md);
this module only evaluates the expressions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.expressions import evaluate

logger = logging.getLogger(__name__)


def baseline_flags(
    cfg: AnalysisConfig, variables: Mapping[str, np.ndarray], comparison: np.ndarray
) -> dict[str, np.ndarray]:
    """0/1 int8 flag per configured region (keyed by its flag column); ANDed with ``comparison`` (the
    for_comparison_only cuts) when cfg.baselines_include_comparison_cuts."""
    flags: dict[str, np.ndarray] = {}
    n_events = len(comparison)
    for region in cfg.baselines:
        passed = np.broadcast_to(evaluate(region.expr, variables, region.column), (n_events,)).astype(bool)
        if cfg.baselines_include_comparison_cuts:
            passed = passed & comparison
        flags[region.column] = passed.astype(np.int8)
    return flags
