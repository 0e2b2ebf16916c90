"""Default model inputs: the analysis features followed by the derived features."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

logger = logging.getLogger(__name__)

#: Columns the dataset preparation reads besides the model inputs.
META_COLUMNS: tuple[str, ...] = ("weight_pb", "sample", "process", "is_signal", "m_parent", "m_lsp")


def default_feature_names() -> list[str]:
    """Return ``FEATURES + DERIVED`` (37 names) from the analysis stage, in the ONNX input order."""
    from susyscan.analysis.derived import DERIVED
    from susyscan.analysis.features import FEATURES

    return list(FEATURES) + list(DERIVED)


def default_add_derived() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Return ``susyscan.analysis.derived.add_derived`` (imported lazily)."""
    from susyscan.analysis.derived import add_derived

    return add_derived
