"""CLs table over a synthetic grid: columns, best region, zero-yield handling, observed CLs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from susyscan.errors import ConfigError, FeatureError
from susyscan.stats.limits import BEST, compute_limits

SCENARIOS = {"optimistic": 0.0, "pessimistic": 0.2}


def test_cls_table(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    out = tmp_path / "limits" / "cls.csv"
    table = compute_limits(paths, bkg, out, [139.0, 3000.0], SCENARIOS,
                           observed={"lumi_ifb": 139, "counts": {"NN high": 500, "BDT": 2800}})
    assert out.exists() and not out.with_name("cls.csv.tmp").exists()
    read = pd.read_csv(out, keep_default_na=False, na_values=[""])
    for col in ("m_parent", "m_lsp", "region", "lumi_ifb", "scenario", "cls_exp", "cls_exp_m2", "cls_exp_m1",
                "cls_exp_p1", "cls_exp_p2", "mu_up_exp", "cls_obs", "note"):
        assert col in read.columns
    assert len(table) == 2 * 3 * 2 * 2 + 2 * 2 * 2  # points x regions x lumis x scenarios + best rows
    # band ordered, more luminosity and less uncertainty exclude more
    regular = table[table["region"] != BEST]
    ok = regular[regular["cls_exp"] < 1]
    assert (ok["cls_exp_m2"] <= ok["cls_exp_m1"]).all() and (ok["cls_exp_m1"] <= ok["cls_exp"]).all()
    assert (ok["cls_exp"] <= ok["cls_exp_p1"]).all() and (ok["cls_exp_p1"] <= ok["cls_exp_p2"]).all()
    piv = regular.set_index(["m_parent", "m_lsp", "region", "lumi_ifb", "scenario"])["cls_exp"]
    assert piv[(300, 0, "NN high", 3000.0, "optimistic")] < piv[(300, 0, "NN high", 139.0, "optimistic")]
    assert piv[(300, 0, "NN high", 139.0, "optimistic")] < piv[(300, 0, "NN high", 139.0, "pessimistic")]
    # zero signal -> CLs 1 with a note; zero background (Jet veto) -> floored with a note
    zero_sig = regular[(regular["m_parent"] == 500) & (regular["region"] == "BDT")]
    assert (zero_sig["cls_exp"] == 1.0).all() and zero_sig["note"].str.contains("zero signal").all()
    assert regular[regular["region"] == "Jet veto"]["note"].str.contains("floored").all()
    # best = lowest expected CLs
    best = table[table["region"] == BEST].set_index(["m_parent", "m_lsp", "lumi_ifb", "scenario"])
    lowest = regular.groupby(["m_parent", "m_lsp", "lumi_ifb", "scenario"])["cls_exp"].min()
    pd.testing.assert_series_equal(best["cls_exp"].sort_index(), lowest.sort_index(), check_names=False)
    assert best["note"].str.startswith("best region: ").all()
    # observed only at 139/fb and only for configured regions
    obs = regular[regular["cls_obs"].notna() & (regular["cls_exp"] < 1)]
    assert set(obs["lumi_ifb"]) == {139.0} and set(obs["region"]) == {"NN high", "BDT"}


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
