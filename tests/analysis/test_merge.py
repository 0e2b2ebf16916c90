"""Merging chunk feature CSVs and the weight_pb column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.io import write_csv_gz_atomic, write_json_atomic
from susyscan.analysis.merge import merge_features
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import random_events, synthetic_metadata
from susyscan.errors import EventFileError


def test_merge_adds_weight_pb(cfg: AnalysisConfig, tmp_path: Path) -> None:
    features, cutflows = [], []
    for chunk, n in enumerate([1500, 1000]):
        meta = synthetic_metadata(sample="zz", n_events=n, chunk=chunk, xsec_pb=0.5)
        frame, cutflow = analyse_events(random_events(n, seed=chunk), meta, cfg)
        features.append(tmp_path / f"chunk{chunk}.csv.gz")
        cutflows.append(tmp_path / f"chunk{chunk}.cutflow.json")
        write_csv_gz_atomic(frame, features[-1])
        write_json_atomic(cutflow, cutflows[-1])
    merged = merge_features(features, cutflows, tmp_path / "zz.csv.gz")
    reread = pd.read_csv(tmp_path / "zz.csv.gz")
    assert len(reread) == len(merged) > 0
    np.testing.assert_allclose(reread["weight_pb"], reread["gen_weight"] * 0.5 / 2500.0)
    # sum of weight_pb over all generated events would be xsec; the selected fraction is smaller
    assert 0 < reread["weight_pb"].sum() < 0.5


def test_merge_rejects_foreign_sample(cfg: AnalysisConfig, tmp_path: Path) -> None:
    frame, cutflow = analyse_events(random_events(3000, seed=1), synthetic_metadata(sample="a", n_events=3000), cfg)
    write_csv_gz_atomic(frame, tmp_path / "a.csv.gz")
    write_json_atomic(dict(cutflow, sample="b"), tmp_path / "b.json")
    with pytest.raises(EventFileError, match="'b'"):
        merge_features([tmp_path / "a.csv.gz"], [tmp_path / "b.json"], tmp_path / "out.csv.gz")
