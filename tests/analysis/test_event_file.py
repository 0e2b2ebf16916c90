"""End to end through a real ROOT event file (needs susyscan.eventio; skipped without it)."""

from __future__ import annotations

import json
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.select import analyse_events, select_features
from susyscan.analysis.synthetic import random_events, synthetic_metadata


def test_select_features_from_root_file(cfg: AnalysisConfig, tmp_path: Path) -> None:
    eventio = pytest.importorskip("susyscan.eventio")
    schema = pytest.importorskip("susyscan.eventio.schema")
    events = random_events(2000, seed=3)
    columns = {f: events[f] for f in events.fields}
    for branch in schema.BRANCHES:  # collections the analysis does not read: empty
        if branch not in columns:
            dtype = np.int32 if branch.endswith(("charge", "pid", "status")) else np.float32
            columns[branch] = ak.unflatten(np.zeros(0, dtype), np.zeros(len(events), np.int64))
    meta = synthetic_metadata(sample="ttbar", n_events=len(events))
    eventio.write_events(tmp_path / "chunk0.root", ak.Array(columns), meta)
    cutflow = select_features(tmp_path / "chunk0.root", cfg, tmp_path / "f.csv.gz", tmp_path / "f.cutflow.json")
    frame = pd.read_csv(tmp_path / "f.csv.gz")
    expected, _ = analyse_events(events, meta, cfg)
    assert frame["event"].tolist() == expected["event"].tolist() and len(frame) > 0
    assert json.loads((tmp_path / "f.cutflow.json").read_text())["cuts"] == cutflow["cuts"]
