"""Ewkino cutflow JSONs go through the shared cutflow code, including LO-normalised multi-chunk samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from susyscan.analysis.cutflow import cutflow_yields, merge_sample_chunks
from susyscan.errors import EventFileError


def _chunk(chunk: int, xsec: float, sum_weights: float, sumw: list[float]) -> dict:
    return {"sample": "znunu_jets", "process": "znunu_jets", "chunk": chunk, "is_signal": 0, "sum_weights": sum_weights,
            "xsec_pb": xsec, "warnings": [],
            "cuts": [{"name": f"c{i}", "label": f"cut {i}", "for_comparison_only": False, "n_raw": int(w),
                      "sumw": w, "sumw2": w} for i, w in enumerate(sumw)]}


def test_lo_chunks_with_slightly_different_cross_sections_are_combined(tmp_path: Path) -> None:
    # two Pythia runs of the same process: sigmaGen 11.21 and 11.37 pb (seen in the demo)
    a, b = _chunk(0, 11.21, 2000.0, [2000.0, 1500.0]), _chunk(1, 11.37, 1000.0, [1000.0, 800.0])
    merged = merge_sample_chunks([a, b])
    assert merged["xsec_pb"] == pytest.approx((11.21 * 2000 + 11.37 * 1000) / 3000)
    assert merged["total_sum_weights"] == 3000.0
    assert any("combined" in w for w in merged["warnings"])
    paths = []
    for c in (a, b):
        path = tmp_path / f"chunk{c['chunk']}.cutflow.json"
        path.write_text(json.dumps(c))
        paths.append(path)
    table = cutflow_yields(paths, 1.0)
    initial = table[table["cut"] == "c0"]["yield"].iloc[0]
    assert initial == pytest.approx(merged["xsec_pb"] * 1000.0)  # every event passes c0: yield = sigma * L


def test_table_normalised_chunks_still_must_agree() -> None:
    with pytest.raises(EventFileError, match="xsec_pb"):
        merge_sample_chunks([_chunk(0, 1.0, 10.0, [10.0]), _chunk(1, 2.0, 10.0, [10.0])])
