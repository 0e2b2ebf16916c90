"""The event-weighted ROC AUC of ``susyscan.training.metrics`` (ewkino's test-split AUCs and permutation importance)."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.errors import EmptySelectionError
from susyscan.training.metrics import weighted_auc


def test_integer_weights_equal_repeated_events_and_ties_count_half() -> None:
    scores = np.array([0.1, 0.4, 0.35, 0.8, 0.5])
    labels = np.array([0, 0, 1, 1, 0])
    weights = np.array([1, 3, 2, 1, 2])
    repeated = np.repeat(np.arange(5), weights)
    assert weighted_auc(scores, labels, weights) == pytest.approx(weighted_auc(scores[repeated], labels[repeated]))
    # by hand, unit weights: signal 0.35 beats 0.1 only, 0.8 beats all three backgrounds -> 4 of 6 pairs
    assert weighted_auc(scores, labels) == pytest.approx(4 / 6)
    assert weighted_auc(np.array([0.5, 0.5]), np.array([0, 1])) == pytest.approx(0.5)


def test_no_signal_or_background_weight_is_an_error() -> None:
    with pytest.raises(EmptySelectionError, match="positive signal and background weight"):
        weighted_auc(np.array([0.2, 0.7]), np.array([0, 1]), np.array([1.0, 0.0]))
