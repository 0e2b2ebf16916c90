"""Bad event files (truncated, corrupt, missing branch, bad weights) flowing into the analysis stage.

The readers' own errors are unit-tested in tests/eventio; here the stage entry point
``select_features`` must fail naming the file and leave neither a feature CSV nor a cutflow behind.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.config import AnalysisConfig
from susyscan.analysis.cutflow import cutflow_yields
from susyscan.analysis.merge import merge_features
from susyscan.analysis.select import select_features
from susyscan.analysis.synthetic import random_events
from susyscan.errors import EventFileError, FeatureError


def _select(events_path: Path, cfg: AnalysisConfig, out: Path) -> dict:
    return select_features(events_path, cfg, out / "features.csv.gz", out / "features.cutflow.json")


@pytest.fixture
def good_file(tmp_path: Path, event_file_writer) -> Path:
    return event_file_writer(tmp_path / "in" / "chunk0.root", random_events(500, seed=7))


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_truncated_event_file(tmp_path: Path, good_file: Path, smuon_cfg: AnalysisConfig, files_in, keep: float) -> None:
    data = good_file.read_bytes()
    bad = tmp_path / "in" / "truncated.root"
    bad.write_bytes(data[: int(len(data) * keep)])
    out = tmp_path / "out"
    with pytest.raises(EventFileError, match="truncated.root"):
        _select(bad, smuon_cfg, out)
    assert not out.exists() or files_in(out) == []


@pytest.mark.parametrize("branch", ["muon_pt", "met", "weight"])
def test_corrupt_event_file(tmp_path: Path, good_file: Path, smuon_cfg: AnalysisConfig, files_in, branch: str) -> None:
    """Scrambled bytes inside the (compressed) data of a branch the analysis reads."""
    import uproot

    with uproot.open(good_file) as handle:
        seek = int(handle["events"][branch].member("fBasketSeek")[0])
        size = int(handle["events"][branch].member("fBasketBytes")[0])
    data = bytearray(good_file.read_bytes())
    start, stop = seek + size // 2, seek + size - 4
    data[start:stop] = np.random.default_rng(3).integers(0, 256, stop - start, dtype=np.uint8).tobytes()
    bad = tmp_path / "in" / "corrupt.root"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out"
    with pytest.raises(EventFileError, match="corrupt.root"):
        _select(bad, smuon_cfg, out)
    assert not out.exists() or files_in(out) == []


def test_empty_and_text_files(tmp_path: Path, smuon_cfg: AnalysisConfig, files_in) -> None:
    out = tmp_path / "out"
    for name, content in (("empty.root", b""), ("text.root", b"this is not a ROOT file\n" * 100)):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(EventFileError, match=name):
            _select(path, smuon_cfg, out)
    with pytest.raises(EventFileError, match="absent.root"):
        _select(tmp_path / "absent.root", smuon_cfg, out)
    assert not out.exists() or files_in(out) == []


def _write_without(path: Path, branch: str) -> Path:
    """An event file written with plain uproot, lacking ``branch`` (e.g. made by an older writer)."""
    import uproot

    from susyscan.analysis.synthetic import synthetic_metadata

    events = random_events(200, seed=5)
    with uproot.recreate(path) as handle:
        handle["events"] = {f: events[f] for f in events.fields if f != branch}
        handle["metadata"] = json.dumps(synthetic_metadata(sample="ww", n_events=200))
    return path


@pytest.mark.parametrize("branch", ["muon_iso", "met_phi", "weight", "jet_btag"])
def test_missing_branch(tmp_path: Path, smuon_cfg: AnalysisConfig, files_in, branch: str) -> None:
    bad = _write_without(tmp_path / "old_writer.root", branch)
    out = tmp_path / "out"
    with pytest.raises(EventFileError, match=rf"old_writer.root.*{branch}"):
        _select(bad, smuon_cfg, out)
    assert not out.exists() or files_in(out) == []


def test_nonfinite_weight_is_an_error(tmp_path: Path, event_file_writer, smuon_cfg: AnalysisConfig, files_in) -> None:
    """A NaN generator weight would make every normalised yield of the sample NaN."""
    events = random_events(300, seed=9)
    weights = np.ones(300)
    weights[17] = np.nan
    path = event_file_writer(tmp_path / "nanweight.root", ak.with_field(events, weights, "weight"))
    out = tmp_path / "out"
    with pytest.raises((EventFileError, FeatureError), match=r"nanweight.root|weight"):
        _select(path, smuon_cfg, out)
    assert not out.exists() or files_in(out) == []


def test_negative_weights_warned_and_kept(tmp_path: Path, event_file_writer, smuon_cfg: AnalysisConfig,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """NLO-style negative weights: warned, kept in the features, and entering every sum with their sign."""
    events = random_events(2000, seed=11)
    weights = np.where(np.arange(2000) % 4 == 0, -1.0, 1.0)
    path = event_file_writer(tmp_path / "nlo.root", ak.with_field(events, weights, "weight"), sample="ttbar_nlo")
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        cutflow = _select(path, smuon_cfg, out)
    assert any("negative weight" in r.getMessage() for r in caplog.records)
    assert any("500 events with negative weight" in w for w in cutflow["warnings"])
    features = pd.read_csv(out / "features.csv.gz")
    selected_weights = weights[features["event"].to_numpy()]
    assert (features["gen_weight"].to_numpy() == selected_weights).all()
    assert (features["gen_weight"] < 0).any(), "negative-weight events must not be dropped"
    initial = cutflow["cuts"][0]
    assert initial["n_raw"] == 2000 and initial["sumw"] == pytest.approx(weights.sum())
    last = cutflow["cuts"][-1]
    assert last["sumw"] <= last["n_raw"]  # signed sum, not a count

    merged = merge_features([out / "features.csv.gz"], [out / "features.cutflow.json"], tmp_path / "merged.csv.gz")
    # weight_pb = gen_weight * xsec / total sum of weights (signed: 2000 - 2 * 500)
    assert merged["weight_pb"].to_numpy() == pytest.approx(merged["gen_weight"].to_numpy() * 2.0 / 1000.0)
    table = cutflow_yields([out / "features.cutflow.json"], 1.0)
    assert np.isfinite(np.asarray(table.select_dtypes("number"), dtype=float)).all()
