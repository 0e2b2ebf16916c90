"""Fixtures of the bad-input tests: real event files, feature tables and ONNX models built in tmp dirs."""

from __future__ import annotations

import importlib.util

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest

from susyscan.analysis.config import AnalysisConfig, load_analysis_config
from susyscan.analyses.smuon import SPEC as SMUON
from susyscan.analyses.smuon.derived import DERIVED
from susyscan.analysis.features import FEATURES
from susyscan.analysis.merge import merge_features
from susyscan.analysis.select import select_features
from susyscan.analysis.synthetic import random_events, synthetic_metadata
from susyscan.eventio import write_events
from susyscan.eventio.schema import BRANCHES

REPO = Path(__file__).resolve().parents[2]
MODEL_FEATURES = FEATURES + DERIVED
SIGNAL_MASSES = {"m_smuon": 300.0, "m_neutralino": 100.0}


def full_branches(events: ak.Array) -> ak.Array:
    """``events`` plus empty collections for every contract branch it lacks (the analysis does not read them)."""
    columns = {f: events[f] for f in events.fields}
    for branch in BRANCHES:
        if branch not in columns:
            dtype = np.int32 if branch.endswith(("charge", "pid", "status", "btag")) else np.float32
            columns[branch] = ak.unflatten(np.zeros(0, dtype), np.zeros(len(events), np.int64))
    return ak.Array(columns)


def write_event_file(path: Path, events: ak.Array, sample: str = "ttbar", signal: bool = False,
                     xsec_pb: float = 2.0) -> Path:
    """A contract-conforming event file of ``events`` (a background, or the (300, 100) smuon point)."""
    meta = synthetic_metadata(sample=sample, process="smuon_R" if signal else "ttbar_mumu", n_events=len(events),
                              sum_weights=float(ak.sum(events["weight"])), xsec_pb=xsec_pb,
                              masses=SIGNAL_MASSES if signal else None)
    write_events(path, full_branches(events), meta)
    return path


def _onnx_helpers():  # noqa: ANN202
    """tests/scan/onnx_helpers.py, loaded by path (pytest runs with --import-mode=importlib)."""
    path = Path(__file__).resolve().parents[1] / "scan" / "onnx_helpers.py"
    spec = importlib.util.spec_from_file_location("tests_scan_onnx_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logistic_onnx(path: Path, feature_names: Sequence[str], feature: str = "met", slope: float = 0.02,
                  offset: float = -3.0, threshold: float = 0.7, region: str = "high", model_type: str = "nn") -> Path:
    """An ONNX classifier score = sigmoid(slope * x[feature] + offset) with the export metadata."""
    return _onnx_helpers().logistic_model(path, feature_names, feature, slope, offset, threshold, region, model_type)


def regions_for(model: Path) -> list[dict[str, Any]]:
    """Scan signal regions: one ONNX region on ``model`` and the static jet veto flag."""
    return [{"name": "NN high", "kind": "onnx", "model": str(model), "threshold": 0.7},
            {"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"}]


@pytest.fixture(scope="session")
def smuon_cfg() -> AnalysisConfig:
    """The shipped smuon analysis with the demo's looser mT2 cut (random events pass it)."""
    return load_analysis_config(REPO / "config/analyses/smuon.yaml", {"mt2_cut": "mt2 > 60.0"})


@pytest.fixture(scope="session")
def merged_features(tmp_path_factory: pytest.TempPathFactory, smuon_cfg: AnalysisConfig) -> dict[str, Path]:
    """Merged feature CSVs of a background ('ttbar') and a signal point, made from real event files (with the
    smuon spec: the derived features are written by the selection)."""
    base = tmp_path_factory.mktemp("features")
    out = {}
    for name, signal, seed in (("ttbar", False, 1), ("smuon_300_100", True, 2)):
        events = write_event_file(base / f"{name}.root", random_events(3000, seed=seed), sample=name, signal=signal)
        select_features(events, smuon_cfg, base / f"{name}_0.csv.gz", base / f"{name}_0.cutflow.json", spec=SMUON)
        out[name] = base / f"{name}.csv.gz"
        merge_features([base / f"{name}_0.csv.gz"], [base / f"{name}_0.cutflow.json"], out[name])
    return out


@pytest.fixture
def event_file_writer() -> Callable[..., Path]:
    """``write_event_file(path, events, sample='ttbar', signal=False, xsec_pb=2.0)``."""
    return write_event_file


@pytest.fixture
def onnx_writer() -> Callable[..., Path]:
    """``logistic_onnx(path, feature_names, ...)``."""
    return logistic_onnx


@pytest.fixture
def scan_regions() -> Callable[[Path], list[dict[str, Any]]]:
    """``regions_for(model_path)``: an ONNX region and a flag region for compute_point_yields."""
    return regions_for


def listing(directory: Path) -> list[str]:
    """Names of all files under ``directory`` (to assert that nothing was left behind)."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.fixture
def files_in() -> Callable[[Path], list[str]]:
    """``listing(directory)``: relative names of every file below a directory."""
    return listing
