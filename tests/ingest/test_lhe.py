"""LHE ingestion: MLM-matched Z + jets (Z peak, matched cross section), unmatched ttbar, bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import EventFileError
from susyscan.ingest.lhe import matching_parameters, read_header, scan_lhe, shower_lhe
from susyscan.ingest.lhe_header import detect_scheme

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events"
Z_MLM = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-mlm.lhe.gz"
TTBAR = EVENTS / "pylhe-testfile-pythia-6.413-ttbar.lhe"
LHE_XSEC_SUM_PB = 607.33 + 1078.60 + 2064.91  # XSECUP of the 0, 1, 2-jet processes in <init>

def z_scheme(path: Path) -> str:
    return detect_scheme(read_header(path)[0], path)


pytestmark = pytest.mark.skipif(not Z_MLM.exists(), reason="reference LHE files not available")


@pytest.fixture(scope="module")
def z_mlm() -> tuple[ak.Array, dict]:
    return shower_lhe(Z_MLM, n_events=400, seed=5)


def test_header_detects_mlm() -> None:
    params = matching_parameters(scan_lhe(Z_MLM)["header"])
    assert params == {"matched": True, "xqcut": 10.0, "n_jet_max": 2, "max_jet_flavor": 4}
    assert z_scheme(Z_MLM) == "mlm" and z_scheme(TTBAR) == "none"
    assert matching_parameters(scan_lhe(TTBAR)["header"])["matched"] is False


def test_z_peak_from_final_state_leptons(z_mlm: tuple[ak.Array, dict]) -> None:
    events, _ = z_mlm
    p = events.particles
    lep = p[(np.abs(p.pid) == 11) | (np.abs(p.pid) == 13)]
    lep = lep[ak.argsort(np.hypot(lep.px, lep.py), ascending=False)][:, :2]
    lep = lep[(ak.num(lep) == 2)]
    lep = lep[ak.sum(lep.pid, axis=1) == 0]  # same flavour, opposite sign
    e, px, py, pz = (ak.to_numpy(ak.sum(lep[f], axis=1)) for f in ("e", "px", "py", "pz"))
    mll = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))
    counts, edges = np.histogram(mll, bins=np.arange(40.0, 142.0, 4.0))
    peak = 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])
    assert 86.0 <= peak <= 96.0
    assert np.mean(np.abs(mll - 91.19) < 10.0) > 0.4


def test_matched_cross_section_and_acceptance(z_mlm: tuple[ak.Array, dict]) -> None:
    events, info = z_mlm
    assert info["matched"] and info["n_jet_max"] == 2 and info["sqrt_s_gev"] == 7000.0
    assert info["n_read"] == 400 and len(events) == info["n_accepted"] < 400  # 400 LHE events read, MLM vetoes some
    assert 0.2 < info["acceptance"] < 0.8  # MLM vetoes a sizeable fraction
    assert info["xsec_pb"] == pytest.approx(info["acceptance"] * LHE_XSEC_SUM_PB, rel=0.02)
    assert 800.0 < info["xsec_pb"] < 2500.0


def test_unmatched_pythia6_ttbar() -> None:
    events, info = shower_lhe(TTBAR, n_events=None, seed=2)
    assert len(events) == 100 and not info["matched"] and info["acceptance"] == 1.0
    assert info["xsec_pb"] == pytest.approx(5.48, rel=0.01)
    tops = events.truth[np.abs(events.truth.pid) == 6]
    assert np.median(ak.to_numpy(ak.flatten(tops.mass))) == pytest.approx(175.0, abs=5.0)


def test_missing_file() -> None:
    with pytest.raises(EventFileError, match="nope.lhe"):
        shower_lhe("/no/such/dir/nope.lhe")


def test_truncated_mid_event(tmp_path: Path) -> None:
    text = gzip.decompress(Z_MLM.read_bytes())
    cut = text[: len(text) // 2]
    assert cut.rfind(b"<event>") > cut.rfind(b"</event>")  # the cut falls inside an event
    bad = tmp_path / "half.lhe"
    bad.write_bytes(cut)
    with pytest.raises(EventFileError, match="half.lhe.*truncated"):
        shower_lhe(bad, n_events=10)


def test_truncated_gzip(tmp_path: Path) -> None:
    raw = Z_MLM.read_bytes()
    bad = tmp_path / "half.lhe.gz"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(EventFileError, match="half.lhe.gz"):
        shower_lhe(bad, n_events=10)


def test_corrupt_gzip(tmp_path: Path) -> None:
    raw = bytearray(Z_MLM.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(64)
    bad = tmp_path / "corrupt.lhe.gz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(EventFileError, match="corrupt.lhe.gz"):
        shower_lhe(bad, n_events=10)
