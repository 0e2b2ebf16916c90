"""Per-region muR/muF envelopes of the scan -> scale modifiers in the CLs models and the pyhf workspaces.

Hand-built tables (tests/stats/conftest.py: ww 60 %, ttbar 40 % of each region's background; "Jet veto" has no
background MC): ttbar gets an envelope, ww has no scale weights and keeps the flat fraction. The expected
modifiers are written out by hand and checked with pyhf itself (expected data at alpha = +-1)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd
import pyhf
import pytest

from susyscan.errors import ConfigError, FeatureError
from susyscan.stats.envelope import read_scale_envelopes, region_background_uncertainties
from susyscan.stats.limits import compute_limits_part
from susyscan.stats.workspaces import workspace_names, write_workspaces

from .conftest import BKG_PB

SCENARIOS = {"optimistic": 0.0, "pessimistic": 0.2}
LUMI = 300.0
EVENTS = 1000.0 * LUMI  # events per pb
# ttbar (40 % of the region): +10 % / -15 % in "NN high", +5 % / -10 % in "BDT"; a row for the empty region too
ENVELOPE = {"NN high": (1.10, 0.85), "BDT": (1.05, 0.90), "Jet veto": (1.0, 1.0)}


def _envelope_table(tmp_path: Path) -> Path:
    rows = [{"region": r, "process": "ttbar", "yield_pb": 0.4 * BKG_PB[r], "up_pb": 0.4 * BKG_PB[r] * up,
             "down_pb": 0.4 * BKG_PB[r] * down, "n_variations": 6, "samples": "ttbar_nlo"}
            for r, (up, down) in ENVELOPE.items()]
    path = tmp_path / "background_scale_envelopes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _expected(region: str) -> tuple[float, float, float]:
    """(flat shapesys data, up shift, down shift) in events at LUMI for the pessimistic scenario."""
    total, ttbar = BKG_PB[region] * EVENTS, 0.4 * BKG_PB[region] * EVENTS
    up, down = ENVELOPE[region]
    return 0.2 * (total - ttbar), (up - 1.0) * ttbar, (1.0 - down) * ttbar


def test_region_uncertainties_from_the_envelope_table(scan_outputs, tmp_path: Path, caplog) -> None:
    _, bkg = scan_outputs
    table = pd.read_csv(bkg)
    env = read_scale_envelopes(_envelope_table(tmp_path))
    zero_mc = {"NN high": False, "BDT": False, "Jet veto": True}
    with caplog.at_level(logging.WARNING):
        unc = region_background_uncertainties(table, env, 0.2, zero_mc)
    nn = unc["NN high"]
    assert nn.flat_rel == pytest.approx(0.2 * 0.6)  # the flat fraction of the ww part only
    assert [(s.name, s.kind) for s in nn.shifts] == [("scale_ttbar", "histosys")]
    assert nn.shifts[0].up == pytest.approx(0.1 * 0.4 * 0.004) and nn.shifts[0].down == pytest.approx(0.15 * 0.4 * 0.004)
    assert nn.rel_total == pytest.approx(math.hypot(0.12, 0.15 * 0.4))
    assert "scale_ttbar +0.040/-0.060" in nn.note
    veto = unc["Jet veto"]  # no background MC: the zero-MC substitute keeps the flat fraction, no shift
    assert (veto.flat_rel, veto.shifts) == (0.2, ()) and "scale envelopes of ['ttbar'] are not applied" in caplog.text
    # without any enveloped process the flat fraction is exactly the scenario's
    only_ww = region_background_uncertainties(table, env[env["region"] == "BDT"], 0.2, zero_mc)
    assert (only_ww["NN high"].flat_rel, only_ww["NN high"].shifts) == (pytest.approx(0.2), ())
    with pytest.raises(FeatureError, match="process 'dy' in region 'NN high' has no row"):
        region_background_uncertainties(table, env.assign(process="dy"), 0.2, zero_mc)
    with pytest.raises(ConfigError, match="scale_envelope_modifier"):
        region_background_uncertainties(table, env, 0.2, zero_mc, kind="shapesys")


def test_negative_nominal_process_enters_as_absolute_shifts(scan_outputs, tmp_path: Path, caplog) -> None:
    _, bkg = scan_outputs
    table = pd.read_csv(bkg)
    env = pd.DataFrame([{"region": "BDT", "process": "ttbar", "yield_pb": -0.001, "up_pb": -0.0008,
                         "down_pb": -0.0013, "n_variations": 6, "samples": "ttbar_nlo"}])
    with caplog.at_level(logging.WARNING):
        unc = region_background_uncertainties(table, env, 0.2, {"BDT": False})["BDT"]
    assert "non-positive nominal yield" in caplog.text
    assert unc.shifts[0].up == pytest.approx(0.0002) and unc.shifts[0].down == pytest.approx(0.0003)
    assert unc.flat_rel == pytest.approx(0.2 * (0.02 + 0.001) / 0.02)  # |b - b_ttbar| without scale weights
    bad = tmp_path / "bad.csv"
    env.assign(up_pb=-0.002).to_csv(bad, index=False)
    with pytest.raises(FeatureError, match="does not contain the nominal"):
        read_scale_envelopes(bad)


def _patched_model(ws_dir: Path, scenario: str, region: str) -> tuple[pyhf.Workspace, pyhf.pdf.Model]:
    ws_name, ps_name = workspace_names(LUMI, scenario, region)
    bkg_only = pyhf.Workspace(json.loads((ws_dir / ws_name).read_text()))
    patched = pyhf.PatchSet(json.loads((ws_dir / ps_name).read_text())).apply(bkg_only, (300, 0))
    return patched, patched.model()


@pytest.mark.parametrize("kind", ["histosys", "normsys"])
def test_workspace_modifiers_checked_with_pyhf(scan_outputs, tmp_path: Path, kind: str) -> None:
    paths, bkg = scan_outputs
    envelopes = _envelope_table(tmp_path)
    write_workspaces(paths, bkg, tmp_path / "flat", [LUMI], SCENARIOS)
    write_workspaces(paths, bkg, tmp_path / "env", [LUMI], SCENARIOS, envelopes_path=envelopes,
                     envelope_scenarios=["pessimistic"], scale_modifier=kind)
    for region in ("NN high", "BDT"):
        flat_data, up, down = _expected(region)
        total = BKG_PB[region] * EVENTS
        _, model = _patched_model(tmp_path / "env", "pessimistic", region)
        assert "scale_ttbar" in model.config.par_names
        background = model.spec["channels"][0]["samples"][0]
        assert background["name"] == "background"
        mods = {m["type"]: m for m in background["modifiers"]}
        assert mods["shapesys"]["data"] == [pytest.approx(flat_data)]  # 20 % of the ww yield, in events
        assert mods[kind]["name"] == "scale_ttbar"
        pars = model.config.suggested_init()
        pars[model.config.poi_index] = 0.0
        alpha = model.config.par_slice("scale_ttbar").start
        for value, expected in ((1.0, total + up), (-1.0, total - down), (0.0, total)):
            pars[alpha] = value
            assert float(model.expected_actualdata(pars)[0]) == pytest.approx(expected, rel=1e-9)
        # the optimistic scenario is not enveloped: the same workspace as without the option
        ws_name, _ = workspace_names(LUMI, "optimistic", region)
        assert json.loads((tmp_path / "env" / ws_name).read_text()) == json.loads((tmp_path / "flat" / ws_name).read_text())
    ws_name, _ = workspace_names(LUMI, "pessimistic", "Jet veto")  # zero-MC region: flat fraction only
    spec = json.loads((tmp_path / "env" / ws_name).read_text())
    assert [m["type"] for m in spec["channels"][0]["samples"][0]["modifiers"]] == ["shapesys", "staterror"]


def test_cls_table_uses_the_envelope_and_matches_the_workspace(scan_outputs, tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    envelopes = _envelope_table(tmp_path)
    flat = compute_limits_part(paths, bkg, tmp_path / "flat.csv", LUMI, SCENARIOS)
    off = compute_limits_part(paths, bkg, tmp_path / "off.csv", LUMI, SCENARIOS, envelopes_path=envelopes)
    pd.testing.assert_frame_equal(flat, off)  # an envelope table without envelope scenarios changes nothing
    env = compute_limits_part(paths, bkg, tmp_path / "env.csv", LUMI, SCENARIOS, envelopes_path=envelopes,
                              envelope_scenarios=["pessimistic"])
    write_workspaces(paths, bkg, tmp_path / "ws", [LUMI], SCENARIOS, envelopes_path=envelopes,
                     envelope_scenarios=["pessimistic"])
    key = ["m_parent", "m_lsp", "region", "scenario"]
    merged = flat.merge(env, on=key, suffixes=("_flat", "_env"))
    opt = merged[merged["scenario"] == "optimistic"]
    assert (opt["cls_exp_flat"] == opt["cls_exp_env"]).all()
    row = merged.query("m_parent == 300 and region == 'NN high' and scenario == 'pessimistic'").iloc[0]
    flat_data, up, down = _expected("NN high")
    total = BKG_PB["NN high"] * EVENTS
    assert row["bkg_rel_unc_env"] == pytest.approx(math.hypot(flat_data, max(up, down)) / total)
    assert row["bkg_rel_unc_flat"] == pytest.approx(0.2)
    # 20 % flat on all -> 12 % flat + a -6 %/+4 % envelope: a smaller uncertainty, a stronger exclusion
    assert row["cls_exp_env"] < row["cls_exp_flat"]
    assert "scale_ttbar" in row["note_env"]
    for region in ("NN high", "BDT"):
        patched, model = _patched_model(tmp_path / "ws", "pessimistic", region)
        init = model.config.suggested_init()
        init[model.config.poi_index] = 0.0
        cls = float(pyhf.infer.hypotest(1.0, patched.data(model), model, init_pars=init, test_stat="qtilde"))
        want = env.query("m_parent == 300 and region == @region and scenario == 'pessimistic'")["cls_exp"]
        assert cls == pytest.approx(float(want.iloc[0]), rel=1e-4)
    with pytest.raises(ConfigError, match="scale_envelope_scenarios"):
        compute_limits_part(paths, bkg, tmp_path / "x.csv", LUMI, SCENARIOS, envelope_scenarios=["pessimistic"])


def test_scale_shift_floor_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A lower side below 0.1 % of the background is raised to it with a WARNING naming the region, the
    modifier and both values, once per region and values (the model is rebuilt for every signal point); a lower
    side above it is kept, without a log line."""
    from susyscan.stats.model_spec import ScaleShift, _warn_scale_floor, one_bin_spec

    _warn_scale_floor.cache_clear()
    with caplog.at_level(logging.WARNING, logger="susyscan.stats.model_spec"):
        for _ in range(3):
            mod = ScaleShift("scale_p", 0.1, 2.0).modifier(1.0, "SR_NN_high")
            assert mod["data"] == {"hi_data": [1.1], "lo_data": [1e-3]}
        assert ScaleShift("scale_p", 0.1, 0.5, "normsys").modifier(1.0)["data"] == {"hi": 1.1, "lo": 0.5}
    assert len(caplog.records) == 1
    assert all(word in caplog.text for word in ("SR_NN_high", "scale_p", "-1", "0.001"))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="susyscan.stats.model_spec"):
        one_bin_spec(5.0, 0.0, 1.0, 0.0, region="NN high", shifts=(ScaleShift("scale_dy", 0.2, 3.0),))
    assert "SR_NN_high: scale_dy" in caplog.text
