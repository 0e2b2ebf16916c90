"""Cut-and-count baselines: the static jet veto and the six dynamic jet vetoes of Ref. [30].

Dynamic vetoes (Fuks, Nordstrom, Ruiz, Williamson, arXiv:1901.09937): an event is vetoed when a
hadronic-activity proxy H exceeds a leptonic one L, with H in {pT(j1), HT} and
L in {pT(mu1), S_T = pT(mu1)+pT(mu2), S_T + MET}, giving six vetoes (numbered as in DYNAMIC_VETOES).
The expressions live in the analysis YAML; this module evaluates them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.expressions import evaluate

logger = logging.getLogger(__name__)

STATIC_VETO = "sr_static_jet_veto"
DYNAMIC_VETOES: dict[str, str] = {
    "sr_dynamic_veto_1": "veto if pT(j1) > pT(mu1)",
    "sr_dynamic_veto_2": "veto if pT(j1) > pT(mu1) + pT(mu2)",
    "sr_dynamic_veto_3": "veto if pT(j1) > pT(mu1) + pT(mu2) + MET",
    "sr_dynamic_veto_4": "veto if HT > pT(mu1)",
    "sr_dynamic_veto_5": "veto if HT > pT(mu1) + pT(mu2)",
    "sr_dynamic_veto_6": "veto if HT > pT(mu1) + pT(mu2) + MET",
}


def baseline_flags(
    cfg: AnalysisConfig, variables: Mapping[str, np.ndarray], comparison: np.ndarray
) -> dict[str, np.ndarray]:
    """0/1 int8 flag per configured baseline region; ANDed with ``comparison`` (the
    for_comparison_only cuts) when cfg.baselines_include_comparison_cuts."""
    flags: dict[str, np.ndarray] = {}
    n_events = len(comparison)
    for region, expr in cfg.baselines.items():
        passed = np.broadcast_to(evaluate(expr, variables, region), (n_events,)).astype(bool)
        if cfg.baselines_include_comparison_cuts:
            passed = passed & comparison
        flags[region] = passed.astype(np.int8)
    return flags
