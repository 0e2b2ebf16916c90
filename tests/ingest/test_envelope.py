"""LHEF 3 scale variations -> per-process envelope -> per-region background uncertainty in the likelihood."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from susyscan.errors import ConfigError
from susyscan.ingest.weights import combine_envelopes, envelope_from_sums
from susyscan.stats.envelope import process_envelopes, region_uncertainties
from susyscan.stats.limits import compute_limits_part


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


def test_process_envelopes_and_region_uncertainty() -> None:
    metas = [{"process": "dy_nlo", "alt_weights": _alt(100.0, 80.0, 110.0)},
             {"process": "dy_nlo", "alt_weights": _alt(100.0, 80.0, 110.0)},
             {"process": "ttbar", "alt_weights": []}]
    envs = process_envelopes(metas)
    assert envs["ttbar"] is None and envs["dy_nlo"]["symmetric"] == pytest.approx(0.2)
    table = pd.DataFrame([
        {"region": "A", "process": "dy_nlo", "yield_pb": 3.0}, {"region": "A", "process": "ttbar", "yield_pb": 1.0},
        {"region": "A", "process": "total", "yield_pb": 4.0},
        {"region": "C", "process": "ttbar", "yield_pb": 1.0}, {"region": "C", "process": "ww", "yield_pb": 2.0},
        {"region": "C", "process": "total", "yield_pb": 3.0},
        {"region": "B", "process": "dy_nlo", "yield_pb": -0.5}, {"region": "B", "process": "total", "yield_pb": -0.5},
    ])
    rel = region_uncertainties(table, envs, flat_rel=0.3)
    assert rel["A"] == pytest.approx(math.hypot(0.2 * 3.0, 0.3 * 1.0) / 4.0)  # quadrature, flat for ttbar
    assert rel["C"] == pytest.approx(0.3)  # no envelope in the region: exactly the flat fraction of the total
    assert rel["B"] == 0.3  # non-positive total: flat fraction (the region gets the zero-MC treatment)
    with pytest.raises(ConfigError, match="not in"):
        region_uncertainties(table, envs, flat_rel=1.5)


def test_envelope_scenario_reaches_the_likelihood(tmp_path: Path) -> None:
    signal = tmp_path / "point.csv"
    pd.DataFrame([{"region": "A", "yield_pb": 0.02, "stat_pb": 0.001, "n_raw": 50, "m_parent": 300.0,
                   "m_lsp": 0.0}]).to_csv(signal, index=False)
    background = tmp_path / "background_yields.csv"
    rows = [{"region": "A", "process": p, "yield_pb": y, "stat_pb": 0.001, "n_raw": 100,
             "min_event_weight_pb": 1e-4, "max_event_weight_pb": 1e-4} for p, y in (("dy_nlo", 0.03), ("total", 0.03))]
    pd.DataFrame(rows).to_csv(background, index=False)
    envelopes = tmp_path / "env.json"
    envelopes.write_text(json.dumps({"dy_nlo": {"up": 0.12, "down": 0.08, "symmetric": 0.12}}))
    scenarios = {"optimistic": 0.0, "pessimistic": 0.2}
    flat = compute_limits_part([signal], background, tmp_path / "flat.csv", 139.0, scenarios)
    env = compute_limits_part([signal], background, tmp_path / "env.csv", 139.0, scenarios,
                              envelopes_path=envelopes, envelope_scenarios=["pessimistic"])
    pess_flat = flat[flat["scenario"] == "pessimistic"].iloc[0]
    pess_env = env[env["scenario"] == "pessimistic"].iloc[0]
    assert pess_flat["bkg_rel_unc"] == pytest.approx(0.2) and pess_env["bkg_rel_unc"] == pytest.approx(0.12)
    assert pess_env["cls_exp"] < pess_flat["cls_exp"]  # a smaller background uncertainty excludes more strongly
    opt = env[env["scenario"] == "optimistic"].iloc[0]
    assert opt["bkg_rel_unc"] == 0.0
    with pytest.raises(ConfigError, match="scale_envelope_scenarios"):
        compute_limits_part([signal], background, tmp_path / "x.csv", 139.0, scenarios, envelopes_path=envelopes,
                            envelope_scenarios=["nominal"])


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


def test_envelope_scenario_reaches_the_published_workspaces(tmp_path: Path) -> None:
    from susyscan.stats.workspaces import workspace_names, write_workspaces

    signal = tmp_path / "point.csv"
    pd.DataFrame([{"region": "A", "yield_pb": 0.02, "stat_pb": 0.001, "n_raw": 50, "m_parent": 300.0,
                   "m_lsp": 0.0}]).to_csv(signal, index=False)
    background = tmp_path / "background_yields.csv"
    pd.DataFrame([{"region": "A", "process": p, "yield_pb": 0.03, "stat_pb": 0.001, "n_raw": 100,
                   "min_event_weight_pb": 1e-4, "max_event_weight_pb": 1e-4} for p in ("dy_nlo", "total")]
                 ).to_csv(background, index=False)
    envelopes = tmp_path / "env.json"
    envelopes.write_text(json.dumps({"dy_nlo": {"up": 0.12, "down": 0.08, "symmetric": 0.12}}))
    write_workspaces([signal], background, tmp_path / "ws", [139.0], {"optimistic": 0.0, "pessimistic": 0.2},
                     background_mc_stat=False, envelopes_path=envelopes, envelope_scenarios=["pessimistic"])
    ws = json.loads((tmp_path / "ws" / workspace_names(139.0, "pessimistic", "A")[0]).read_text())
    sample = ws["channels"][0]["samples"][0]
    bkg_events = 0.03 * 1000.0 * 139.0
    unc = next(m for m in sample["modifiers"] if m["name"].startswith("bkg_unc"))
    assert unc["type"] == "shapesys" and unc["data"] == [pytest.approx(0.12 * bkg_events)]
