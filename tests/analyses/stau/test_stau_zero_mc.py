"""The zero-background-MC stand-in (susyscan.stats.inputs) with tau truth tagging: its unit is the largest event
weight *without* the truth-tag factor P1 (the weight of one raw MC event tagged with probability 1), in the scan's
background table (scan.yields) and in the stau multiclass table (training.multiclass_compare) alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.analysis.tautruth import untagged_abs_weights
from susyscan.errors import FeatureError
from susyscan.scan.yields import compute_background_yields
from susyscan.stats.inputs import ZERO_MC_EVENTS, background_for_limits
from susyscan.training.multiclass_compare import yield_tables

# truth-tagged W+jets (generator weight 2 pb per event) and ttbar (0.3 pb): weight_pb = w x P1
P1 = np.array([0.01, 0.02, 0.5, 0.8, 0.05])
RAW = np.array([2.0, 2.0, 2.0, 0.3, 0.3])
PROCESS = ["w_lnu", "w_lnu", "w_lnu", "ttbar_incl", "ttbar_incl"]


def _tagged() -> pd.DataFrame:
    return pd.DataFrame({"process": PROCESS, "weight_pb": RAW * P1, "tau_tag_weight": P1, "is_signal": 0,
                         "sr_pass": [1, 1, 0, 1, 0], "sr_empty": 0})


def test_untagged_weights() -> None:
    frame = _tagged()
    assert untagged_abs_weights(frame["weight_pb"].to_numpy(), frame, "t").tolist() == pytest.approx(RAW.tolist())
    plain = frame.drop(columns="tau_tag_weight")      # random tags: the weight as it is
    assert untagged_abs_weights(-plain["weight_pb"].to_numpy(), plain, "t").tolist() == pytest.approx(
        (RAW * P1).tolist())
    mixed = pd.concat([frame, plain.assign(weight_pb=3.0)], ignore_index=True)   # NaN factor: a random-tag file
    assert untagged_abs_weights(mixed["weight_pb"].to_numpy(), mixed, "t").max() == pytest.approx(3.0)
    bad = frame.assign(tau_tag_weight=[0.0, 0.02, 0.5, 0.8, 0.05])
    with pytest.raises(FeatureError, match="sample x.*tau_tag_weight"):
        untagged_abs_weights(bad["weight_pb"].to_numpy(), bad, "sample x")
    for corrupt in ("0.0x2", "", np.inf):  # present but not a number: an error, not a random-tag row
        broken = frame.astype({"tau_tag_weight": object})
        broken.loc[1, "tau_tag_weight"] = corrupt
        with pytest.raises(FeatureError, match=r"file f\.csv: 1 rows with field 'tau_tag_weight' not a finite number"):
            untagged_abs_weights(broken["weight_pb"].to_numpy(), broken, "file f.csv")


def test_scan_zero_mc_background_uses_the_untagged_weight(tmp_path: Path) -> None:
    path = tmp_path / "stau_bkg.csv.gz"
    _tagged().to_csv(path, index=False)
    regions = [{"name": "pass", "kind": "flag", "column": "sr_pass"},
               {"name": "empty", "kind": "flag", "column": "sr_empty"}]
    table = compute_background_yields([path], tmp_path / "bkg.csv", regions)
    weights = table.drop_duplicates("process").set_index("process")["max_event_weight_pb"]
    assert weights["w_lnu"] == pytest.approx(2.0) and weights["ttbar_incl"] == pytest.approx(0.3)
    assert weights["total"] == pytest.approx(2.0)     # not max(w x P1) = 1.0
    per_region = table.pivot(index="process", columns="region", values="max_event_weight_pb")
    assert (per_region["pass"] == per_region["empty"]).all()    # every region sees every event: one unit
    background = background_for_limits(tmp_path / "bkg.csv")
    assert bool(background.loc["empty", "zero_mc"]) and not bool(background.loc["pass", "zero_mc"])
    assert background.loc["empty", "fit_pb"] == pytest.approx(ZERO_MC_EVENTS * 2.0)
    assert background.loc["pass", "fit_pb"] == pytest.approx(float((RAW * P1)[[0, 1, 3]].sum()))


def test_multiclass_table_uses_the_untagged_weight() -> None:
    events = _tagged().rename(columns={"weight_pb": "weight", "process": "process_class"}).assign(
        label=1, sample=PROCESS, m_parent=0.0, m_lsp=0.0)
    signal = pd.DataFrame({"process_class": ["signal"], "weight": [0.1], "label": [0], "sample": ["stau_100_40"],
                           "m_parent": [100.0], "m_lsp": [40.0]})
    table = pd.concat([events, signal], ignore_index=True)
    _, background = yield_tables({"empty": (table, np.zeros(len(table), dtype=bool))}, "process_class")
    total = background[background["process"] == "total"].iloc[0]
    assert total["max_event_weight_pb"] == pytest.approx(2.0)


def test_multiclass_tables_carry_the_factor(tmp_path: Path) -> None:
    from susyscan.training.multiclass_stages import read_tables
    from tests.training.multiclass_defaults import stage_settings

    settings = stage_settings(("signal", "wjets", "top"), ("met",), ("stau_100_40",))
    frame = _tagged().assign(met=50.0, process_class=["wjets"] * 3 + ["top"] * 2, n_jets=0, sample="s", chunk=0,
                             event=range(5), m_parent=0.0, m_lsp=0.0)
    frame.to_csv(tmp_path / "tagged.csv", index=False)
    frame.drop(columns="tau_tag_weight").assign(sample="r").to_csv(tmp_path / "random.csv", index=False)
    table = read_tables([tmp_path / "tagged.csv", tmp_path / "random.csv"], "n_jets", (0, 1), settings)
    assert table["tau_tag_weight"].iloc[:5].tolist() == pytest.approx(P1.tolist())
    assert table["tau_tag_weight"].iloc[5:].isna().all()    # random tags: no factor (untagged_abs_weights keeps |w|)


def test_multiclass_zero_mc_unit_per_region(tmp_path: Path) -> None:
    # The stau ML table: a network region quoted on half of the events (weights x 2) and a cut-and-count copy on
    # all of them, both without background MC. Each region's stand-in is 1.139 x the largest weight (without P1)
    # of its own events as weighted there: 2 x 2.0 pb for the half region, 2.0 pb for the full one (not 4.0).
    events = _tagged().rename(columns={"weight_pb": "weight", "process": "process_class"}).assign(
        label=1, sample=PROCESS, m_parent=0.0, m_lsp=0.0)
    signal = pd.DataFrame({"process_class": ["signal"], "weight": [0.1], "label": [0], "sample": ["stau_100_40"],
                           "m_parent": [100.0], "m_lsp": [40.0]})
    full = pd.concat([events, signal], ignore_index=True)
    half = full.iloc[[0, 3, 5]].assign(weight=lambda t: 2.0 * t["weight"]).reset_index(drop=True)
    regions = {"DNN 0j": (half, np.zeros(len(half), dtype=bool)), "C&C": (full, np.zeros(len(full), dtype=bool))}
    _, background = yield_tables(regions, "process_class")
    unit = background.set_index(["region", "process"])["max_event_weight_pb"]
    assert unit[("DNN 0j", "w_lnu")] == pytest.approx(4.0) and unit[("DNN 0j", "ttbar_incl")] == pytest.approx(0.6)
    assert unit[("C&C", "w_lnu")] == pytest.approx(2.0) and unit[("C&C", "ttbar_incl")] == pytest.approx(0.3)
    assert unit[("DNN 0j", "total")] == pytest.approx(4.0) and unit[("C&C", "total")] == pytest.approx(2.0)
    background.to_csv(tmp_path / "bkg.csv", index=False)
    limits = background_for_limits(tmp_path / "bkg.csv")
    assert limits["zero_mc"].all()
    assert limits.loc["DNN 0j", "fit_pb"] == pytest.approx(ZERO_MC_EVENTS * 4.0)
    assert limits.loc["C&C", "fit_pb"] == pytest.approx(ZERO_MC_EVENTS * 2.0)
