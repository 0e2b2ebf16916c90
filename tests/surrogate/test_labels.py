"""Labels: the scan's own region masks, joined to the truth table per (chunk, event)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import FeatureError
from susyscan.scan.yields import compute_point_yields
from susyscan.surrogate.labels import PRESELECTION, join_labels, region_labels

REGIONS = [{"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"},
           {"name": "Dynamic veto 1", "kind": "flag", "column": "sr_dynamic_veto_1"}]


def _feature_table(path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 50
    df = pd.DataFrame({"chunk": np.repeat([0, 1], n // 2), "event": np.tile(np.arange(0, 2 * (n // 2), 2), 2),
                       "weight_pb": 0.01, "m_parent": 300.0, "m_lsp": 100.0, "sample": "smuon_300_100",
                       "sr_static_jet_veto": rng.integers(0, 2, n), "sr_dynamic_veto_1": rng.integers(0, 2, n)})
    df.to_csv(path, index=False)
    return df


def test_labels_use_the_scan_masks(tmp_path: Path) -> None:
    path = tmp_path / "smuon_300_100.csv.gz"
    _feature_table(path)
    labels = region_labels(path, REGIONS)
    yields = compute_point_yields(path, tmp_path / "yields.csv", REGIONS)
    for region in ("Static jet veto", "Dynamic veto 1"):
        row = yields.set_index("region").loc[region]
        assert labels[region].sum() == row["n_raw"]
        assert 0.01 * labels[region].sum() == pytest.approx(row["yield_pb"])
    assert (labels[PRESELECTION] == 1).all()


def test_join_fills_failed_events_and_refuses_orphans(tmp_path: Path) -> None:
    path = tmp_path / "s.csv.gz"
    features = _feature_table(path)
    labels = region_labels(path, REGIONS)
    truth = pd.DataFrame({"sample": "s", "chunk": np.repeat([0, 1], 50), "event": np.tile(np.arange(50), 2),
                          "met": 1.0})
    joined = join_labels(truth, labels, ["Static jet veto", "Dynamic veto 1"], "test")
    assert len(joined) == 100 and joined[PRESELECTION].sum() == len(features)
    failed = joined[joined["event"] % 2 == 1]
    assert (failed[[PRESELECTION, "Static jet veto", "Dynamic veto 1"]] == 0).all().all()
    with pytest.raises(FeatureError, match="10 selected event.s. have no truth row, e.g. chunk 0 event 40"):
        join_labels(truth[truth["event"] < 40], labels, ["Static jet veto"], "test")
    with pytest.raises(FeatureError, match="duplicate"):
        join_labels(pd.concat([truth, truth.head(1)]), labels, ["Static jet veto"], "test")
