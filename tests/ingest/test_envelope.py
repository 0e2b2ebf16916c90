"""LHEF 3 scale variations -> per-process (inclusive) envelope from the event-file metadata (a diagnostic; the
likelihood takes the per-region envelope of the per-event weights: tests/stats/test_scale_envelope.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from susyscan.ingest.weights import combine_envelopes, envelope_from_sums
from susyscan.stats.envelope import process_envelopes


def _alt(nominal: float, up: float, down: float) -> list[dict]:
    """alt_weights of one chunk: nominal, (1,1), (2,2) = up, (0.5,0.5) = down, (0.5,2) = far outside (excluded)."""
    return [{"name": "Weight", "scales": None, "sum_weights": nominal, "sum_weights2": 1.0},
            {"name": "MUR1.0_MUF1.0", "scales": [1.0, 1.0], "sum_weights": nominal, "sum_weights2": 1.0},
            {"name": "MUR2.0_MUF2.0", "scales": [2.0, 2.0], "sum_weights": up, "sum_weights2": 1.0},
            {"name": "MUR0.5_MUF0.5", "scales": [0.5, 0.5], "sum_weights": down, "sum_weights2": 1.0},
            {"name": "MUR0.5_MUF2.0", "scales": [0.5, 2.0], "sum_weights": 10 * nominal, "sum_weights2": 1.0}]


def test_envelope_excludes_the_extreme_points_and_combines_chunks() -> None:
    env = envelope_from_sums(100.0, {(1.0, 1.0): 100.0, (2.0, 2.0): 90.0, (0.5, 0.5): 115.0, (0.5, 2.0): 300.0})
    assert env["up"] == pytest.approx(0.15) and env["down"] == pytest.approx(0.10) and env["n_variations"] == 2
    combined = combine_envelopes([_alt(100.0, 90.0, 110.0), _alt(50.0, 40.0, 60.0)])
    assert combined["down"] == pytest.approx(20.0 / 150.0) and combined["up"] == pytest.approx(20.0 / 150.0)
    assert envelope_from_sums(100.0, {}) is None


def test_process_envelopes() -> None:
    metas = [{"process": "dy_nlo", "alt_weights": _alt(100.0, 80.0, 110.0)},
             {"process": "dy_nlo", "alt_weights": _alt(100.0, 80.0, 110.0)},
             {"process": "ttbar", "alt_weights": []}]
    envs = process_envelopes(metas)
    assert envs["ttbar"] is None and envs["dy_nlo"]["symmetric"] == pytest.approx(0.2)
    assert envs["dy_nlo"]["n_chunks"] == 2


def test_envelope_from_an_ingested_lhef3_file(tmp_path: Path) -> None:
    """LHEF 3 weights of a real file -> event-file metadata -> the process envelope the likelihood uses."""
    from susyscan.eventio.reader import read_metadata
    from susyscan.ingest import ingest_file

    wbj = Path(__file__).resolve().parents[1] / "data" / "events" / "pylhe-testfile-madgraph-2.0.0-wbj.lhe"
    for chunk, first in enumerate((0, 30)):
        ingest_file(wbj, tmp_path / f"chunk{chunk}.root", {"sample": "wbj", "process": "wbj", "chunk": chunk},
                    first_event=first, n_events=29, ingest_options={"sqrt_s_gev": 8000.0})
    metas = [read_metadata(tmp_path / f"chunk{c}.root") for c in (0, 1)]
    assert all(m["scale_envelope"]["n_variations"] == 6 for m in metas)
    env = process_envelopes(metas)["wbj"]
    assert env["n_chunks"] == 2 and 0.05 < env["symmetric"] < 0.3
    sums = {a["name"]: sum(m["alt_weights"][i]["sum_weights"] for m in metas) for i, a in enumerate(metas[0]["alt_weights"])}
    assert env["down"] == pytest.approx(max(0.0, 1 - min(sums[n] for n in ("MUR2.0_MUF2.0", "MUR2.0_MUF1.0",
                                                                            "MUR1.0_MUF2.0", "MUR0.5_MUF0.5",
                                                                            "MUR0.5_MUF1.0", "MUR1.0_MUF0.5"))
                                        / sums["MUR1.0_MUF1.0"]))
