"""End to end through the click commands: scan point/background -> stats limits -> stats contours."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from susyscan.scan.cli import scan
from susyscan.stats.cli import stats


def _load_onnx_helpers():  # noqa: ANN202
    """tests/scan/onnx_helpers.py, loaded by path (pytest runs with --import-mode=importlib)."""
    path = Path(__file__).resolve().parents[1] / "scan" / "onnx_helpers.py"
    spec = importlib.util.spec_from_file_location("tests_scan_onnx_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


logistic_model = _load_onnx_helpers().logistic_model

FEATURES = ["met", "mu1_pt", "n_jets"]


def write_table(path: Path, n: int, seed: int, signal: bool, masses: tuple[float, float], weight: float) -> None:
    rng = np.random.default_rng(seed)
    met = rng.uniform(100, 400, n) if signal else rng.exponential(40.0, n)
    df = pd.DataFrame({"met": met, "mu1_pt": rng.uniform(20, 300, n), "n_jets": rng.integers(0, 3, n).astype(float)})
    df["weight_pb"], df["process"], df["is_signal"] = weight, "signal" if signal else "ww", int(signal)
    df["m_parent"], df["m_lsp"] = masses if signal else (-1.0, -1.0)
    df["sr_static_jet_veto"] = (df["n_jets"] == 0).astype(int)
    df.to_csv(path, index=False)


def test_cli_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = logistic_model(tmp_path / "nn.onnx", FEATURES, "met", 0.05, -10.0, threshold=0.7)
    regions = tmp_path / "regions.yaml"
    regions.write_text(yaml.safe_dump({"scan": {"regions": [
        {"name": "NN high", "kind": "onnx", "model": str(model)},
        {"name": "Jet veto", "kind": "flag", "column": "sr_static_jet_veto"}]}}))
    runner = CliRunner()
    feats = ["--regions", str(regions), "--model-inputs", json.dumps(FEATURES)]
    write_table(tmp_path / "ww.csv", 4000, 1, False, (-1, -1), 5e-3)
    res = runner.invoke(scan, ["background", "--features", str(tmp_path / "ww.csv"), *feats,
                               "--out", str(tmp_path / "bkg.csv"), "--scale", "ww=2"])
    assert res.exit_code == 0, res.output
    yield_files = []
    for i, (mp, ml) in enumerate([(m, lsp) for m in (200, 300, 400, 500) for lsp in (0, 100) if lsp < m]):
        write_table(tmp_path / f"s{i}.csv", 500, 10 + i, True, (mp, ml), 2e-3 * (300 / mp) ** 4)
        out = tmp_path / f"y{i}.csv"
        res = runner.invoke(scan, ["point", "--features", str(tmp_path / f"s{i}.csv"), *feats, "--out", str(out)])
        assert res.exit_code == 0, res.output
        yield_files += ["--yields", str(out)]
    res = runner.invoke(stats, ["limits", *yield_files, "--background", str(tmp_path / "bkg.csv"),
                                "--out", str(tmp_path / "cls.csv"), "--workspaces", str(tmp_path / "ws"),
                                "--lumi", "139", "--lumi", "3000", "--no-upper-limits"])
    assert res.exit_code == 0, res.output
    cls = pd.read_csv(tmp_path / "cls.csv")
    assert set(cls["region"]) == {"NN high", "Jet veto", "best"} and len(list((tmp_path / "ws").iterdir())) == 16
    res = runner.invoke(stats, ["contours", "--cls", str(tmp_path / "cls.csv"), "--out-dir", str(tmp_path / "plots"),
                                "--mass-reach", str(tmp_path / "plots" / "mass_reach.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "plots" / "contour_3000ifb.png").exists()
    reach = pd.read_csv(tmp_path / "plots" / "mass_reach.csv").set_index(["region", "lumi_ifb", "scenario"])
    # more luminosity never reduces the reach
    for region in ("NN high", "Jet veto"):
        lo, hi = reach.loc[(region, 139.0, "optimistic")], reach.loc[(region, 3000.0, "optimistic")]
        assert np.nan_to_num(hi["mass_reach_gev"]) >= np.nan_to_num(lo["mass_reach_gev"])
