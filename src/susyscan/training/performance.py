"""Expected signal and background passing the score cut on the test set (the paper's performance table)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from susyscan.training.dataset import Split


def performance_table(test: Split, scores: np.ndarray, samples: list[dict], score_cut: float) -> pd.DataFrame:
    """Per sample and for the total background: expected events before/after ``score > score_cut``.

    The weights estimate the full-sample yields at the dataset's luminosity: a test split's are scaled by
    n_sample / n_sample_test; the out-of-fold evaluation passes every event once with its unscaled weight.
    (``n_test_raw`` counts the events evaluated.)
    """
    passing = np.asarray(scores) > score_cut
    rows = []
    for code, entry in enumerate(samples):
        in_sample = test.sample == code
        expected = float(test.weight[in_sample].sum())
        selected = float(test.weight[in_sample & passing].sum())
        rows.append(
            {
                "sample": entry["sample"],
                "process": entry["process"],
                "is_signal": entry["is_signal"],
                "m_parent": entry["m_parent"],
                "m_lsp": entry["m_lsp"],
                "n_test_raw": int(in_sample.sum()),
                "n_test_raw_pass": int((in_sample & passing).sum()),
                "expected": expected,
                "expected_pass": selected,
                "efficiency": selected / expected if expected != 0 else float("nan"),
            }
        )
    table = pd.DataFrame(rows)
    background = table[table["is_signal"] == 0]
    total: dict[str, Any] = {
        "sample": "total_background",
        "process": "background",
        "is_signal": 0,
        "m_parent": -1.0,
        "m_lsp": -1.0,
        "n_test_raw": int(background["n_test_raw"].sum()),
        "n_test_raw_pass": int(background["n_test_raw_pass"].sum()),
        "expected": float(background["expected"].sum()),
        "expected_pass": float(background["expected_pass"].sum()),
    }
    total["efficiency"] = total["expected_pass"] / total["expected"] if total["expected"] != 0 else float("nan")
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["score_cut"] = float(score_cut)
    return table.sort_values(["is_signal", "m_parent", "m_lsp", "sample"], ascending=[False, True, True, True])
