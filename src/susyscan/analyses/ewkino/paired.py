"""MC uncertainty of the 1 GeV / 10 GeV significance ratio: a paired bootstrap over the quoting events.

Both networks are quoted on the same events (same preselection, same cut-choice halves), so their S/sqrt(S+B) are
strongly correlated and the error of the ratio is far smaller than the two errors combined as if independent.
Each replica reweights every quoting event by one Poisson(1) number, shared by the two networks; the score cuts stay
those of the significance tables (chosen on the optimisation half), so the spread is the MC statistical error of
the quoted ratio at fixed cuts. The bootstrap itself is shared with the stau analysis
(``susyscan.training.halves.paired_ratio_bootstrap``, re-exported here).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.errors import FeatureError
from susyscan.training.halves import paired_ratio_bootstrap as paired_ratio_bootstrap  # shared with stau, re-exported

logger = logging.getLogger(__name__)

ID_COLUMNS = ["sample", "chunk", "event"]
SCORE_COLUMNS = [*ID_COLUMNS, "is_signal", "m_parent", "m_lsp", "baseline", "optimise", "weight_pb", "score"]


def score_table(sample: np.ndarray, chunk: np.ndarray, event: np.ndarray, is_signal: np.ndarray,
                m_parent: np.ndarray, m_lsp: np.ndarray, baseline: np.ndarray, optimise: np.ndarray,
                weight_pb: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Per-event scores of one network with the event id, the half (``optimise``) and the half-normalised weight."""
    return pd.DataFrame({"sample": sample.astype(str), "chunk": chunk.astype(np.int64),
                         "event": event.astype(np.int64), "is_signal": is_signal.astype(np.int8),
                         "m_parent": m_parent, "m_lsp": m_lsp, "baseline": baseline.astype(np.int8),
                         "optimise": optimise.astype(np.int8), "weight_pb": weight_pb, "score": score})


def join_scores(low: pd.DataFrame, high: pd.DataFrame) -> pd.DataFrame:
    """The two networks' quoting events side by side (``score_low``, ``score_high``); the event sets, halves and
    weights must agree (they do when both thresholds read inputs of the same event files)."""
    merged = low.merge(high[[*ID_COLUMNS, "optimise", "weight_pb", "score"]], on=ID_COLUMNS, how="outer",
                       suffixes=("_low", "_high"), indicator=True, validate="one_to_one")
    unmatched = int((merged["_merge"] != "both").sum())
    if unmatched:
        raise FeatureError(f"paired bootstrap: {unmatched} events are scored by only one of the two networks")
    if not (merged["optimise_low"] == merged["optimise_high"]).all() or \
            not np.allclose(merged["weight_pb_low"], merged["weight_pb_high"], rtol=1e-12, atol=0.0):
        raise FeatureError("paired bootstrap: the two score tables disagree on the halves or the event weights")
    quote = merged[merged["optimise_low"] == 0]
    return quote.rename(columns={"weight_pb_low": "weight_pb"})[
        ["sample", "is_signal", "m_parent", "m_lsp", "weight_pb", "score_low", "score_high"]].reset_index(drop=True)
