"""Shared selection: object selection, overlap removal, YAML cuts, cutflows, event variables and feature CSVs.

What is specific to one analysis (features, derived features, models, labels) lives in ``susyscan.analyses``.
"""

from __future__ import annotations

from susyscan.analysis.features import FEATURES, SENTINEL

__all__ = ["FEATURES", "SENTINEL"]
