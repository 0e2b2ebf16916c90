"""CLs table over a synthetic grid: columns, best region, zero-yield handling, observed CLs, split = serial."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from susyscan.errors import ConfigError, FeatureError
from susyscan.stats.inputs import ZERO_MC_EVENTS, background_for_limits, zero_mc_background_pb
from susyscan.stats.limits import BEST, COLUMNS, compute_limits, compute_limits_part, merge_limits

SCENARIOS = {"optimistic": 0.0, "pessimistic": 0.2}


def test_cls_table(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    out = tmp_path / "limits" / "cls.csv"
    table = compute_limits(paths, bkg, out, [139.0, 3000.0], SCENARIOS,
                           observed={"lumi_ifb": 139, "counts": {"NN high": 500, "BDT": 2800}})
    assert out.exists() and not out.with_name("cls.csv.tmp").exists()
    read = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert list(read.columns) == list(COLUMNS)
    assert len(table) == 2 * 3 * 2 * 2 + 2 * 2 * 2  # points x regions x lumis x scenarios + best rows
    # band ordered, more luminosity and less uncertainty exclude more
    regular = table[table["region"] != BEST]
    ok = regular[regular["cls_exp"] < 1]
    assert (ok["cls_exp_m2"] <= ok["cls_exp_m1"]).all() and (ok["cls_exp_m1"] <= ok["cls_exp"]).all()
    assert (ok["cls_exp"] <= ok["cls_exp_p1"]).all() and (ok["cls_exp_p1"] <= ok["cls_exp_p2"]).all()
    piv = regular.set_index(["m_parent", "m_lsp", "region", "lumi_ifb", "scenario"])["cls_exp"]
    assert piv[(300, 0, "NN high", 3000.0, "optimistic")] < piv[(300, 0, "NN high", 139.0, "optimistic")]
    assert piv[(300, 0, "NN high", 139.0, "optimistic")] < piv[(300, 0, "NN high", 139.0, "pessimistic")]
    # MC stat errors of signal and background are in every model; mu limits are off by default
    assert (ok["bkg_stat_events"] > 0).all() and table["mu_up_exp"].isna().all()
    assert set(ok.loc[ok["scenario"] == "pessimistic", "method"]) == {"pyhf"}
    assert set(ok.loc[ok["scenario"] == "optimistic", "method"]) == {"stat-only profile"}
    # zero signal -> CLs 1 with a note
    zero_sig = regular[(regular["m_parent"] == 500) & (regular["region"] == "BDT")]
    assert (zero_sig["cls_exp"] == 1.0).all() and zero_sig["note"].str.contains("zero signal").all()
    assert (zero_sig["method"] == "zero signal").all()
    # best = lowest expected CLs, the region named
    best = table[table["region"] == BEST].set_index(["m_parent", "m_lsp", "lumi_ifb", "scenario"])
    lowest = regular.groupby(["m_parent", "m_lsp", "lumi_ifb", "scenario"])["cls_exp"].min()
    pd.testing.assert_series_equal(best["cls_exp"].sort_index(), lowest.sort_index(), check_names=False)
    assert best["note"].str.startswith("best region: ").all()
    assert best["best_region"].isin(["NN high", "BDT", "Jet veto"]).all() and (regular["best_region"] == "").all()
    # observed only at 139/fb and only for configured regions
    obs = regular[regular["cls_obs"].notna() & (regular["cls_exp"] < 1)]
    assert set(obs["lumi_ifb"]) == {139.0} and set(obs["region"]) == {"NN high", "BDT"}


def test_zero_mc_background_is_the_68cl_bound_of_the_heaviest_event(scan_outputs: tuple[list[Path], Path],
                                                                     tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    paths, bkg = scan_outputs
    assert ZERO_MC_EVENTS == pytest.approx(1.1394, abs=1e-4)  # -ln(0.32)
    with caplog.at_level("WARNING"):
        table = compute_limits(paths, bkg, tmp_path / "cls.csv", [139.0], SCENARIOS)
    want = ZERO_MC_EVENTS * 4e-5 * 139.0 * 1000.0  # the largest per-process weight (ttbar), not ww's or the smallest
    veto = table[table["region"] == "Jet veto"]
    assert veto["bkg_zero_mc"].all() and (veto["bkg_events"] == 0).all()
    assert veto["bkg_fit_events"].to_numpy() == pytest.approx([want] * len(veto))
    assert veto["bkg_stat_events"].to_numpy() == pytest.approx([want] * len(veto))  # 100 % stat uncertainty
    assert veto["note"].str.contains("zero background MC: b = 1.139 x 4e-05 pb").all()
    assert not table.loc[table["region"].isin(["NN high", "BDT"]), "bkg_zero_mc"].any()
    assert "region 'Jet veto' has no background MC" in caplog.text and "4.558e-05 pb" in caplog.text
    assert "1 region(s) without background MC" in caplog.text


def test_zero_mc_weight_column_fallback_and_error(scan_outputs: tuple[list[Path], Path],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    _, bkg = scan_outputs
    df = pd.read_csv(bkg)
    df.drop(columns="max_event_weight_pb").to_csv(bkg, index=False)
    with caplog.at_level("WARNING"):
        background = background_for_limits(bkg)
    assert background.loc["Jet veto", "fit_pb"] == pytest.approx(zero_mc_background_pb(1e-5))
    assert "no 'max_event_weight_pb' column" in caplog.text
    df.drop(columns=["max_event_weight_pb", "min_event_weight_pb"]).to_csv(bkg, index=False)
    with pytest.raises(FeatureError, match=r"background_yields.csv: region 'Jet veto' has no background MC.*'max_event_weight_pb'"):
        background_for_limits(bkg)
    df.assign(stat_pb="x").to_csv(bkg, index=False)
    with pytest.raises(FeatureError, match="background_yields.csv: region 'NN high': field 'stat_pb'"):
        background_for_limits(bkg)
    with pytest.raises(ValueError, match="positive"):
        zero_mc_background_pb(0.0)


def test_zero_mc_unit_is_the_largest_weight_of_the_region(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A region quoted on half of the events (weights x 2) and one using all of them, both without background MC:
    # each gets 1.139 x the largest weight of its own rows (over processes), not one maximum over the table.
    weights = {("half", "wjets"): 4.0, ("half", "top"): 1.0, ("full", "wjets"): 2.0, ("full", "top"): 3.0}
    rows = [{"region": r, "process": p, "yield_pb": 0.0, "stat_pb": 0.0, "n_raw": 0, "min_event_weight_pb": 0.1,
             "max_event_weight_pb": w} for (r, p), w in weights.items()]
    rows += [{"region": r, "process": "total", "yield_pb": 0.0, "stat_pb": 0.0, "n_raw": 0, "min_event_weight_pb": 0.1,
              "max_event_weight_pb": m} for r, m in (("half", 4.0), ("full", 3.0))]
    path = tmp_path / "bkg.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with caplog.at_level("WARNING"):
        background = background_for_limits(path)
    assert background["zero_mc"].all()
    assert background.loc["half", "fit_pb"] == pytest.approx(ZERO_MC_EVENTS * 4.0)
    assert background.loc["full", "fit_pb"] == pytest.approx(ZERO_MC_EVENTS * 3.0)   # top's, not half's 4.0
    assert background.loc["full", "stat_pb"] == background.loc["full", "fit_pb"]
    assert "region 'full' has no background MC" in caplog.text and "largest event weight 3 pb" in caplog.text
    assert "region 'half' has no background MC" in caplog.text and "largest event weight 4 pb" in caplog.text


def test_background_mc_stat_off_uses_the_closed_form(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    table = compute_limits(paths, bkg, tmp_path / "cls.csv", [139.0], SCENARIOS, signal_mc_stat=False,
                           background_mc_stat=False)
    regular = table[(table["region"] != BEST) & (table["sig_events"] > 0)]
    optimistic = regular["scenario"] == "optimistic"
    has_mc = ~regular["bkg_zero_mc"]
    assert (regular.loc[optimistic & has_mc, "method"] == "closed form").all()
    assert (regular.loc[~optimistic, "method"] == "pyhf").all()
    assert (regular.loc[optimistic & ~has_mc, "method"] == "stat-only profile").all()  # zero-MC keeps its 100 %


def test_parts_merge_to_the_serial_table(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    """The workflow's split (one luminosity x one batch of points per job) writes the serial table byte for byte."""
    paths, bkg = scan_outputs
    serial = tmp_path / "serial.csv"
    compute_limits(paths, bkg, serial, [139.0, 3000.0], SCENARIOS)
    parts = []
    for lumi in (3000.0, 139.0):
        for batch, batch_paths in enumerate(([paths[1]], [paths[0]])):
            parts.append(tmp_path / f"part_{lumi:g}_{batch}.csv")
            compute_limits_part(batch_paths, bkg, parts[-1], lumi, SCENARIOS)
    merged = tmp_path / "merged.csv"
    merge_limits(parts, merged)
    assert merged.read_bytes() == serial.read_bytes()
    with pytest.raises(FeatureError, match=r"part_3000_0.csv', '.*part_3000_0.csv'\]: row \(500, 100\) NN high "
                                           "3000/fb optimistic is in more than one part"):
        merge_limits(parts + parts[:1], tmp_path / "dup.csv")
    pd.read_csv(parts[0]).drop(columns="bkg_zero_mc").to_csv(parts[0], index=False)
    with pytest.raises(FeatureError, match=r"part_3000_0.csv: missing columns \['bkg_zero_mc'\]"):
        merge_limits(parts, merged)


def test_bad_scenario_and_missing_background(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    with pytest.raises(ConfigError, match="pessimistic"):
        compute_limits(paths, bkg, tmp_path / "c.csv", [139.0], {"pessimistic": 2.0})
    pd.read_csv(bkg).query("region != 'BDT'").to_csv(bkg, index=False)
    with pytest.raises(ConfigError, match="'BDT'"):
        compute_limits(paths, bkg, tmp_path / "c.csv", [139.0], SCENARIOS)
    pd.read_csv(bkg).drop(columns="process").to_csv(bkg, index=False)
    with pytest.raises(FeatureError, match="background_yields.csv"):
        compute_limits(paths, bkg, tmp_path / "c.csv", [139.0], SCENARIOS)
