"""Per-region background-only workspaces + signal patchsets: pyhf loads them, and a patched workspace
reproduces the CLs of its region in cls.csv."""

from __future__ import annotations

import json
from pathlib import Path

import pyhf
import pytest

from susyscan.errors import ConfigError
from susyscan.stats.limits import compute_limits
from susyscan.stats.model_spec import channel_name
from susyscan.stats.workspaces import validate_likelihood, workspace_names, write_workspaces

SCENARIOS = {"optimistic": 0.0, "pessimistic": 0.2}
REGIONS = ("NN high", "BDT", "Jet veto")


def test_patchset_round_trip(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    table = compute_limits(paths, bkg, tmp_path / "cls.csv", [300.0], SCENARIOS)
    written = write_workspaces(paths, bkg, tmp_path / "ws", [300.0], SCENARIOS)
    assert len(written) == len(REGIONS) * len(SCENARIOS) * 2
    assert {p.name for p in written} == {n for r in REGIONS for s in SCENARIOS for n in workspace_names(300.0, s, r)}
    for scenario in SCENARIOS:
        for region in REGIONS:
            ws_name, ps_name = workspace_names(300.0, scenario, region)
            bkg_only = pyhf.Workspace(json.loads((tmp_path / "ws" / ws_name).read_text()))
            patchset = pyhf.PatchSet(json.loads((tmp_path / "ws" / ps_name).read_text()))
            assert patchset.labels == ["m_parent", "m_lsp"] and len(patchset.patches) == 2
            assert bkg_only.channels == [channel_name(region)]  # one region per workspace: they overlap
            patched = patchset.apply(bkg_only, (300, 0))
            model = patched.model()
            assert any(p.startswith("staterror_") for p in model.config.par_names)  # background MC stat
            init = model.config.suggested_init()
            init[model.config.poi_index] = 0.0  # as in cls.py: from mu = 1, SLSQP sticks when s >> b
            cls = float(pyhf.infer.hypotest(1.0, patched.data(model), model, init_pars=init, test_stat="qtilde"))
            want = table.query("m_parent == 300 and region == @region and scenario == @scenario")["cls_exp"]
            assert cls == pytest.approx(float(want.iloc[0]), rel=1e-4)


def test_invalid_patchset_names_the_region(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    write_workspaces(paths, bkg, tmp_path / "ws", [300.0], {"optimistic": 0.0})
    ws_name, ps_name = workspace_names(300.0, "optimistic", "BDT")
    bkg_only = json.loads((tmp_path / "ws" / ws_name).read_text())
    patchset = json.loads((tmp_path / "ws" / ps_name).read_text())
    bkg_only["channels"][0]["samples"][0]["data"] = [1.0]  # the digest no longer matches
    with pytest.raises(ConfigError, match="region 'BDT'"):
        validate_likelihood(bkg_only, patchset, "region 'BDT'")
