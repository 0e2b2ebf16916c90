"""Merging chunk cutflows into luminosity-scaled yields and the tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.cutflow import cutflow_yields, make_cutflow, merge_sample_chunks
from susyscan.errors import EmptySelectionError, EventFileError


def _chunk(sample: str, process: str, chunk: int, sum_weights: float, xsec: float, counts: list[tuple[int, float, float]],
           is_signal: int = 0) -> dict:
    names = ["initial", "met", "z_veto"]
    return {"sample": sample, "process": process, "chunk": chunk, "is_signal": is_signal, "sum_weights": sum_weights,
            "xsec_pb": xsec, "warnings": [],
            "cuts": [{"name": n, "label": n.upper(), "for_comparison_only": n == "z_veto", "n_raw": c[0], "sumw": c[1],
                      "sumw2": c[2]} for n, c in zip(names, counts)]}


def _write(tmp_path: Path, chunks: list[dict]) -> list[Path]:
    paths = []
    for c in chunks:
        path = tmp_path / f"{c['sample']}_{c['chunk']}.cutflow.json"
        path.write_text(json.dumps(c))
        paths.append(path)
    return paths


@pytest.fixture()
def paths(tmp_path: Path) -> list[Path]:
    return _write(tmp_path, [
        _chunk("ww_a", "ww", 0, 100.0, 2.0, [(100, 100.0, 100.0), (40, 40.0, 40.0), (10, 10.0, 10.0)]),
        _chunk("ww_a", "ww", 1, 100.0, 2.0, [(100, 100.0, 100.0), (20, 20.0, 20.0), (0, 0.0, 0.0)]),
        _chunk("ww_b", "ww", 0, 50.0, 1.0, [(50, 50.0, 50.0), (5, 5.0, 5.0), (5, 5.0, 5.0)]),
        _chunk("smu_300_0", "smuon", 0, 10.0, 0.01, [(10, 10.0, 10.0), (9, 9.0, 9.0), (8, 8.0, 8.0)], is_signal=1),
    ])


def test_merge_chunks_sums_counts() -> None:
    a = _chunk("s", "p", 0, 10.0, 1.0, [(10, 10.0, 12.0), (4, 3.0, 5.0), (1, 1.0, 1.0)])
    b = _chunk("s", "p", 1, 20.0, 1.0, [(20, 20.0, 22.0), (6, 7.0, 9.0), (2, 2.0, 2.0)])
    merged = merge_sample_chunks([a, b])
    assert merged["total_sum_weights"] == 30.0
    assert [(c["n_raw"], c["sumw"], c["sumw2"]) for c in merged["cuts"]][1] == (10, 10.0, 14.0)


def test_yields_scaled_to_luminosity_and_grouped(paths: list[Path]) -> None:
    long = cutflow_yields(paths, lumi_ifb=10.0)
    ww_met = long[(long["group"] == "ww") & (long["cut"] == "met")].iloc[0]
    factor_a, factor_b = 2.0 * 1000 * 10 / 200.0, 1.0 * 1000 * 10 / 50.0
    assert np.isclose(ww_met["yield"], 60.0 * factor_a + 5.0 * factor_b)
    assert np.isclose(ww_met["stat"], np.sqrt(60.0 * factor_a**2 + 5.0 * factor_b**2))
    assert ww_met["n_raw"] == 65
    assert list(dict.fromkeys(long["group"])) == ["ww", "smu_300_0"]  # backgrounds per process, signals per sample
    sig_initial = long[(long["group"] == "smu_300_0") & (long["cut"] == "initial")].iloc[0]
    assert np.isclose(sig_initial["yield"], 0.01 * 1000 * 10)  # initial yield = sigma * L


def test_tables_written(paths: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    wide = make_cutflow(paths, 139.0, out / "c.csv", out / "c.md", out / "c.tex", None)
    csv = pd.read_csv(out / "c.csv")
    assert list(csv["cut"]) == ["initial", "met", "z_veto"] and {"ww", "ww_stat", "smu_300_0"} <= set(csv.columns)
    np.testing.assert_allclose(csv["ww"], wide["ww"], rtol=1e-5)
    md = (out / "c.md").read_text()
    assert "| Cut | ww | smu_300_0 |" in md and "Z_VETO (*)" in md
    assert md.count("\n|") == 5  # header, rule, 3 cuts
    tex = (out / "c.tex").read_text()
    assert r"\begin{tabular}{lrr}" in tex and "smu\\_300\\_0" in tex and r"\pm" in tex


def test_zero_sum_of_weights_is_an_error(tmp_path: Path) -> None:
    paths = _write(tmp_path, [_chunk("empty", "p", 0, 0.0, 1.0, [(0, 0.0, 0.0)] * 3)])
    with pytest.raises(EmptySelectionError, match="sample empty"):
        cutflow_yields(paths, 1.0)


def test_inconsistent_chunks_are_errors(tmp_path: Path) -> None:
    a = _chunk("s", "p", 0, 10.0, 1.0, [(1, 1.0, 1.0)] * 3)
    b = _chunk("s", "p", 1, 10.0, 2.0, [(1, 1.0, 1.0)] * 3)
    with pytest.raises(EventFileError, match="sample s.*xsec_pb"):
        merge_sample_chunks([a, b])
    c = dict(a, chunk=2, cuts=a["cuts"][:2])
    with pytest.raises(EventFileError, match="sample s chunk 2"):
        merge_sample_chunks([a, c])
