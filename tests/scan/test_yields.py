"""Signal-region yields with tiny ONNX models and flag regions on synthetic feature tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import ConfigError, FeatureError, ModelMetadataError
from susyscan.scan.inference import batched_scores
from susyscan.scan.regions import parse_regions
from susyscan.scan.yields import compute_background_yields, compute_point_yields

from .onnx_helpers import logistic_model

FEATURES = ["met", "mu1_pt", "n_jets"]


def feature_table(path: Path, n: int, seed: int, process: str = "signal", is_signal: int = 1,
                  masses: tuple[float, float] = (300.0, 100.0), weight: float = 1e-3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"met": rng.uniform(0, 400, n), "mu1_pt": rng.uniform(20, 300, n),
                       "n_jets": rng.integers(0, 4, n).astype(float)})
    df["weight_pb"] = weight * rng.uniform(0.5, 1.5, n)
    df["gen_weight"] = 1.0
    df["sample"], df["process"], df["is_signal"] = path.name.split(".")[0], process, is_signal
    df["m_parent"], df["m_lsp"] = masses if is_signal else (-1.0, -1.0)
    df["event"] = np.arange(n)
    df["sr_static_jet_veto"] = (df["n_jets"] == 0).astype(int)
    df["sr_dynamic_veto_1"] = (df["mu1_pt"] > 100).astype(int)
    df.to_csv(path, index=False)
    return df


@pytest.fixture()
def regions(tmp_path: Path) -> list[dict]:
    high = logistic_model(tmp_path / "high.onnx", FEATURES, "met", 0.05, -10.0, threshold=0.7)  # met > ~217
    low = logistic_model(tmp_path / "low.onnx", FEATURES, "mu1_pt", 0.1, -10.0, threshold=0.7, mass_region="low")
    return [{"name": "NN high", "kind": "onnx", "model": str(high)},
            {"name": "NN low", "kind": "onnx", "model": str(low), "threshold": 0.5},  # mu1_pt > 100
            {"name": "Jet veto", "kind": "flag", "column": "sr_static_jet_veto"},
            {"name": "Dynamic veto 1", "kind": "flag", "column": "sr_dynamic_veto_1"}]


def test_point_yields(tmp_path: Path, regions: list[dict]) -> None:
    df = feature_table(tmp_path / "smuon_300_100.csv.gz", 5000, seed=1)
    out = tmp_path / "yields" / "smuon_300_100.csv"
    table = compute_point_yields(tmp_path / "smuon_300_100.csv.gz", out, regions, batch_size=777,
                                 feature_names=FEATURES, weight_scale=2.0).set_index("region")
    assert list(pd.read_csv(out).columns) == ["region", "yield_pb", "stat_pb", "n_raw", "m_parent", "m_lsp"]
    w = 2.0 * df["weight_pb"]
    cut_high = 1.0 / (1.0 + np.exp(-(0.05 * df["met"].astype(np.float32) - 10.0))) > 0.7
    for name, sel in (("NN high", cut_high), ("NN low", df["mu1_pt"] > 100.0),
                      ("Jet veto", df["n_jets"] == 0), ("Dynamic veto 1", df["mu1_pt"] > 100)):
        assert table.loc[name, "n_raw"] == sel.sum()
        assert table.loc[name, "yield_pb"] == pytest.approx(w[sel].sum(), rel=1e-9)
        assert table.loc[name, "stat_pb"] == pytest.approx(np.sqrt((w[sel] ** 2).sum()), rel=1e-9)
    assert (table["m_parent"] == 300).all() and (table["m_lsp"] == 100).all()
    assert 0.3 < table.loc["NN high", "n_raw"] / 5000 < 0.5  # met uniform in [0, 400], cut near 217


def test_empty_point_gives_zero_yields(tmp_path: Path, regions: list[dict]) -> None:
    feature_table(tmp_path / "p.csv", 0, seed=1)
    table = compute_point_yields(tmp_path / "p.csv", tmp_path / "y.csv", regions, feature_names=FEATURES,
                                 masses=(500, 450))
    assert (table["yield_pb"] == 0).all() and (table["m_parent"] == 500).all()


def test_background_yields_per_process_and_total(tmp_path: Path, regions: list[dict]) -> None:
    ww = feature_table(tmp_path / "ww.csv.gz", 3000, seed=2, process="ww", is_signal=0, weight=0.01)
    tt = feature_table(tmp_path / "ttbar.csv.gz", 2000, seed=3, process="ttbar", is_signal=0, weight=0.02)
    out = tmp_path / "background_yields.csv"
    result = compute_background_yields([tmp_path / "ww.csv.gz", tmp_path / "ttbar.csv.gz"], out, regions,
                                       weight_scales={"ttbar": 4.0}, feature_names=FEATURES)
    got = result.set_index(["process", "region"])
    veto_ww, veto_tt = ww["n_jets"] == 0, tt["n_jets"] == 0
    assert got.loc[("ww", "Jet veto"), "yield_pb"] == pytest.approx(ww["weight_pb"][veto_ww].sum())
    assert got.loc[("ttbar", "Jet veto"), "yield_pb"] == pytest.approx(4.0 * tt["weight_pb"][veto_tt].sum())
    total = got.loc[("total", "Jet veto")]
    assert total["n_raw"] == veto_ww.sum() + veto_tt.sum()
    assert total["stat_pb"] == pytest.approx(np.hypot(got.loc[("ww", "Jet veto"), "stat_pb"],
                                                      got.loc[("ttbar", "Jet veto"), "stat_pb"]))
    assert total["min_event_weight_pb"] == pytest.approx(ww["weight_pb"].min())
    assert list(pd.read_csv(out)["process"].unique()) == ["ttbar", "ww", "total"]


def test_bad_inputs(tmp_path: Path, regions: list[dict]) -> None:
    with pytest.raises(ConfigError, match="regions\\[0\\].*kind"):
        parse_regions([{"name": "X", "kind": "cut"}])
    with pytest.raises(ConfigError, match="duplicate"):
        parse_regions([regions[2], regions[2]])
    df = feature_table(tmp_path / "p.csv", 10, seed=1)
    df.loc[3, "met"] = np.nan
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(FeatureError, match="p.csv.*met"):
        compute_point_yields(tmp_path / "p.csv", tmp_path / "y.csv", regions, feature_names=FEATURES)
    with pytest.raises(ModelMetadataError, match="feature list mismatch"):
        compute_point_yields(tmp_path / "p.csv", tmp_path / "y.csv", regions, feature_names=FEATURES[::-1])
    assert not (tmp_path / "y.csv").exists()


def test_batched_scores_independent_of_batch_size(tmp_path: Path) -> None:
    from susyscan.training.onnx_model import load_checked

    model = load_checked(logistic_model(tmp_path / "m.onnx", FEATURES, "met", 0.05, -10.0), FEATURES)
    x = np.random.default_rng(0).uniform(0, 400, (1001, 3)).astype(np.float32)
    ref = 1.0 / (1.0 + np.exp(-(0.05 * x[:, 0].astype(np.float64) - 10.0)))
    whole = batched_scores(model, x, 5000)
    np.testing.assert_allclose(whole, ref, atol=1e-6)
    for batch in (1, 100, 1000):
        np.testing.assert_array_equal(batched_scores(model, x, batch), whole)


def test_contract_features_with_derived(tmp_path: Path) -> None:
    """The smuon model inputs (27 features + 10 derived ones, written once by the selection); a cut on a derived
    ratio. The scan computes nothing: the derived columns come from the feature table."""
    from susyscan.analyses.smuon import SPEC
    from susyscan.analyses.smuon.derived import add_derived
    from susyscan.analysis.features import FEATURES as CONTRACT

    names = SPEC.model_inputs
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({c: rng.uniform(10, 200, n) for c in CONTRACT})
    df["ele1_pt"], df["ele2_pt"] = -999.0, -999.0
    df["weight_pb"], df["m_parent"], df["m_lsp"] = 1e-3, 200.0, 0.0
    df.to_csv(tmp_path / "raw.csv.gz", index=False)
    model = logistic_model(tmp_path / "m.onnx", names, "met_over_sum_lep_pt", 20.0, -20.0, threshold=0.5)
    region = [{"name": "NN", "kind": "onnx", "model": str(model)}]
    with pytest.raises(FeatureError, match="missing model features"):  # derived columns are not made up here
        compute_point_yields(tmp_path / "raw.csv.gz", tmp_path / "y.csv", region, feature_names=names)
    with pytest.raises(FeatureError, match="no model input features"):
        compute_point_yields(tmp_path / "raw.csv.gz", tmp_path / "y.csv", region)
    add_derived(df).to_csv(tmp_path / "pt.csv.gz", index=False)
    table = compute_point_yields(tmp_path / "pt.csv.gz", tmp_path / "y.csv", region, feature_names=names)
    expected = (df["met"] / (df["mu1_pt"] + df["mu2_pt"]) > 1.0).sum()
    assert abs(int(table.loc[0, "n_raw"]) - expected) <= 1  # float32 rounding at the cut edge
