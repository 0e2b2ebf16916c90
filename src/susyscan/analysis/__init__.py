"""Smuon analysis: object selection, overlap removal, preselection cutflows, features, baselines."""

from __future__ import annotations

from susyscan.analysis.derived import DERIVED, add_derived
from susyscan.analysis.features import FEATURES, SENTINEL

__all__ = ["DERIVED", "FEATURES", "SENTINEL", "add_derived"]
