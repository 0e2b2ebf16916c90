"""Negative event weights (NLO samples) through selection, cutflow, training data, background yields and the
likelihood inputs (docs/nlo_ingestion.md, "Negative weights")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.config import load_analysis_config
from susyscan.analysis.cutflow import cutflow_yields
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import build_events, dimuon_record, synthetic_metadata
from susyscan.stats.inputs import background_for_limits
from susyscan.training.dataset import build_dataset
from susyscan.training.synthetic import synthetic_feature_names, synthetic_feature_table

SMUON = Path(__file__).resolve().parents[2] / "config" / "analyses" / "smuon.yaml"
SIGNS = np.array([1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0])  # 3 of 10 negative


def test_selection_and_cutflow_keep_signed_weights(tmp_path: Path) -> None:
    cfg = load_analysis_config(SMUON)
    weights = 5.0 * SIGNS
    events = build_events([dimuon_record(weight=float(w)) for w in weights])
    meta = synthetic_metadata(sample="dy_fxfx", process="dy", n_events=len(weights),
                              sum_weights=float(weights.sum()), xsec_pb=2.0)
    meta["sum_weights2"] = float(np.square(weights).sum())
    features, record = analyse_events(events, meta, cfg)
    assert len(features) == 10 and (features["gen_weight"] < 0).sum() == 3
    last = record["cuts"][-1]
    assert last["n_raw"] == 10 and last["sumw"] == pytest.approx(20.0) and last["sumw2"] == pytest.approx(250.0)
    path = tmp_path / "dy.cutflow.json"
    path.write_text(json.dumps(record))
    table = cutflow_yields([path], lumi_ifb=1.0)
    row = table[table["cut"] == record["cuts"][-1]["name"]].iloc[0]
    factor = 2.0 * 1000.0 / 20.0  # xsec * lumi / sum of signed weights
    assert row["yield"] == pytest.approx(20.0 * factor)  # sum w
    assert row["stat"] == pytest.approx(np.sqrt(250.0) * factor)  # sqrt(sum w^2)
    assert row["n_eff"] == pytest.approx(20.0**2 / 250.0)  # (sum w)^2 / sum w^2 = 1.6, not 10


def test_training_uses_every_event_unweighted_and_yields_keep_the_sign() -> None:
    """Documented choice: negative-weight events are trained on like any other (unweighted, class-balanced:
    |w| is constant in aMC@NLO samples), and keep their signed weight in every expected yield."""
    names = synthetic_feature_names(6)
    df = synthetic_feature_table(n_per_sample=200, feature_names=names, seed=3)
    is_ttbar = (df["sample"] == "ttbar").to_numpy()
    flip = np.zeros(len(df), dtype=bool)
    flip[np.flatnonzero(is_ttbar)[::5]] = True  # 20 % of ttbar negative
    df.loc[flip, "weight_pb"] *= -1.0
    df.loc[flip, "gen_weight"] = -1.0
    heldout_sum = 0.0
    for fold in (0, 1):
        data = build_dataset(df, "low", (0.0, 250.0), lumi_fb=100.0, seed=1, feature_names=names, kfold=2, fold=fold)
        code = [s["sample"] for s in data.info["samples"]].index("ttbar")
        train_w = data.train.frame["gen_weight"].to_numpy()[data.train.sample == code]
        assert (train_w < 0).sum() > 0.1 * len(train_w)  # negative-weight events are trained on
        assert data.heldout is not None
        for split in (data.train, data.val, data.test, data.heldout):
            in_tt = split.sample == code
            assert np.array_equal(np.sign(split.weight[in_tt]), np.sign(split.frame["weight_pb"].to_numpy()[in_tt]))
        heldout_sum += float(data.heldout.weight[data.heldout.sample == code].sum())
    # the held-out tables of the two folds hold every event once with its signed, unscaled expected yield
    assert heldout_sum == pytest.approx(float(df.loc[is_ttbar, "weight_pb"].sum()) * 1000.0 * 100.0)


def _background_table(total_yield: float, n_raw: int = 12) -> pd.DataFrame:
    return pd.DataFrame([
        {"region": "SR1", "process": "dy_fxfx", "yield_pb": total_yield, "stat_pb": 0.02, "n_raw": n_raw,
         "min_event_weight_pb": 0.01, "max_event_weight_pb": 0.01},
        {"region": "SR1", "process": "total", "yield_pb": total_yield, "stat_pb": 0.02, "n_raw": n_raw,
         "min_event_weight_pb": 0.01, "max_event_weight_pb": 0.01},
        {"region": "SR2", "process": "dy_fxfx", "yield_pb": 0.05, "stat_pb": 0.03, "n_raw": 12,
         "min_event_weight_pb": 0.01, "max_event_weight_pb": 0.01},
        {"region": "SR2", "process": "total", "yield_pb": 0.05, "stat_pb": 0.03, "n_raw": 12,
         "min_event_weight_pb": 0.01, "max_event_weight_pb": 0.01},
    ])


def test_negative_region_total_never_reaches_pyhf(tmp_path: Path) -> None:
    """A region whose summed background weight is negative gets the documented zero-MC treatment (a positive
    upper-bound background with 100 % MC uncertainty), never a negative Poisson mean."""
    path = tmp_path / "background_yields.csv"
    _background_table(-0.01).to_csv(path, index=False)
    bkg = background_for_limits(path)
    assert bool(bkg.loc["SR1", "zero_mc"]) and bkg.loc["SR1", "fit_pb"] > 0
    assert bkg.loc["SR1", "stat_pb"] == bkg.loc["SR1", "fit_pb"]  # 100 % MC stat
    assert not bool(bkg.loc["SR2", "zero_mc"]) and bkg.loc["SR2", "fit_pb"] == pytest.approx(0.05)
    assert (bkg["fit_pb"] > 0).all()


def test_chunks_of_an_nlo_sample_combine_within_their_statistical_errors(tmp_path: Path) -> None:
    """Per-chunk merged cross sections of a small NLO sample scatter by their statistical error (here 12 %
    apart, 8 % error each): combined, not refused as for generator LO chunks (10 % tolerance)."""
    from susyscan.analysis.cutflow import merge_sample_chunks

    def chunk(index: int, xsec: float, err: float | None) -> dict:
        return {"sample": "dy_fxfx", "process": "dy", "chunk": index, "is_signal": 0, "sum_weights": 100.0,
                "xsec_pb": xsec, "xsec_err_pb": err, "warnings": [],
                "cuts": [{"name": "initial", "n_raw": 100, "sumw": 100.0, "sumw2": 400.0}]}

    merged = merge_sample_chunks([chunk(0, 2000.0, 160.0), chunk(1, 2240.0, 170.0)])
    assert merged["xsec_pb"] == pytest.approx(2120.0)
    from susyscan.errors import EventFileError

    with pytest.raises(EventFileError, match="disagree on xsec_pb"):
        merge_sample_chunks([chunk(0, 2000.0, None), chunk(1, 2240.0, None)])  # no errors: the 10 % rule
    with pytest.raises(EventFileError, match="disagree on xsec_pb"):
        merge_sample_chunks([chunk(0, 2000.0, 10.0), chunk(1, 2240.0, 10.0)])  # 12 % apart at 0.5 % errors
