"""Cut expressions of the analysis YAML over named numpy arrays, through the one safe evaluator
(:mod:`susyscan.expressions`, grammar ``CUT_GRAMMAR``: arithmetic, comparisons, and/or/not, abs/min/max)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from susyscan.expressions import CUT_GRAMMAR, Expression

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1024)
def parse_cut(expr: str, cut_name: str = "?") -> Expression:
    """The checked expression of a cut (ConfigError naming the cut on a syntax or grammar error)."""
    return Expression.parse(expr, CUT_GRAMMAR, f"cut {cut_name!r}")


def variable_names(expr: str, cut_name: str = "?") -> set[str]:
    """Names of the variables an expression reads (raises ConfigError on a syntax error)."""
    return parse_cut(expr, cut_name).variables


def evaluate(expr: str, variables: Mapping[str, np.ndarray], cut_name: str = "?") -> np.ndarray:
    """Evaluate ``expr`` element-wise over ``variables``."""
    return parse_cut(expr, cut_name)(variables)
