"""Shared fixtures: a small learnable synthetic feature table and its prepared dataset."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from susyscan.training.dataset import PreparedDataset, build_dataset
from susyscan.training.synthetic import synthetic_feature_names, synthetic_feature_table

REGIONS = {"low": [0.0, 300.0], "high": [300.0, 100000.0]}
LUMI_FB = 139.0


@pytest.fixture(autouse=True)
def _single_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def feature_table() -> pd.DataFrame:
    return synthetic_feature_table(n_per_sample=300, seed=3)


@pytest.fixture(scope="session")
def feature_names() -> list[str]:
    return synthetic_feature_names()


@pytest.fixture(scope="session")
def low_dataset(feature_table: pd.DataFrame, feature_names: list[str]) -> PreparedDataset:
    return build_dataset(feature_table, "low", REGIONS["low"], LUMI_FB, seed=7, feature_names=feature_names)
