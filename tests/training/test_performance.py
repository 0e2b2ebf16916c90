"""Performance table: expected events passing the score cut, per sample and total background."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.training.dataset import Split
from susyscan.training.performance import performance_table

SAMPLES = [
    {"sample": "sig", "process": "smuon", "is_signal": 1, "m_parent": 200.0, "m_lsp": 0.0},
    {"sample": "tt", "process": "ttbar", "is_signal": 0, "m_parent": -1.0, "m_lsp": -1.0},
    {"sample": "ww", "process": "ww", "is_signal": 0, "m_parent": -1.0, "m_lsp": -1.0},
]


def test_hand_computed_yields_and_efficiencies():
    sample = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    weight = np.array([1.0, 1.0, 2.0, 4.0, 10.0, 30.0, 5.0, 5.0])
    scores = np.array([0.9, 0.8, 0.2, 0.71, 0.95, 0.1, 0.5, 0.7])
    split = Split(X=np.zeros((8, 1)), y=(sample == 0).astype(np.int8), weight=weight, sample=sample,
                  m_parent=np.zeros(8), m_lsp=np.zeros(8))
    table = performance_table(split, scores, SAMPLES, score_cut=0.7).set_index("sample")
    assert table.loc["sig", "expected"] == pytest.approx(8.0)
    assert table.loc["sig", "expected_pass"] == pytest.approx(6.0)  # 0.9, 0.8, 0.71 pass; 0.7 is not > 0.7
    assert table.loc["sig", "efficiency"] == pytest.approx(0.75)
    assert table.loc["tt", "expected_pass"] == pytest.approx(10.0)
    assert table.loc["ww", "expected_pass"] == pytest.approx(0.0)
    assert table.loc["total_background", "expected"] == pytest.approx(50.0)
    assert table.loc["total_background", "efficiency"] == pytest.approx(0.2)
    assert table.loc["total_background", "n_test_raw_pass"] == 1
