"""Shared fixtures for the analysis tests: the smuon config and a dimuon-event builder."""

from __future__ import annotations

from pathlib import Path
import pytest

from susyscan.analysis.config import AnalysisConfig, load_analysis_config

CONFIG_PATH = Path(__file__).resolve().parents[2] / "config" / "analyses" / "smuon.yaml"


@pytest.fixture(scope="session")
def cfg() -> AnalysisConfig:
    return load_analysis_config(CONFIG_PATH)

