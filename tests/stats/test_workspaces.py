"""Background-only workspace + signal patchset: pyhf loads them and a patched workspace reproduces the CLs."""

from __future__ import annotations

import json
from pathlib import Path

import pyhf
import pytest

from susyscan.stats.limits import compute_limits
from susyscan.stats.model_spec import channel_name
from susyscan.stats.workspaces import workspace_names, write_workspaces

SCENARIOS = {"optimistic": 0.0, "pessimistic": 0.2}


def test_patchset_round_trip(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    table = compute_limits(paths, bkg, tmp_path / "cls.csv", [300.0], SCENARIOS)
    written = write_workspaces(paths, bkg, tmp_path / "ws", [300.0], SCENARIOS)
    assert len(written) == 4
    for scenario in SCENARIOS:
        ws_name, ps_name = workspace_names(300.0, scenario)
        bkg_only = pyhf.Workspace(json.loads((tmp_path / "ws" / ws_name).read_text()))
        patchset = pyhf.PatchSet(json.loads((tmp_path / "ws" / ps_name).read_text()))
        assert patchset.labels == ["m_parent", "m_lsp"] and len(patchset.patches) == 2
        assert sorted(bkg_only.channels) == sorted(channel_name(r) for r in ("NN high", "BDT", "Jet veto"))
        patched = patchset.apply(bkg_only, (300, 0))
        for region in ("NN high", "Jet veto"):
            keep = channel_name(region)
            single = patched.prune(channels=[c for c in patched.channels if c != keep])
            model = single.model()
            cls = float(pyhf.infer.hypotest(1.0, single.data(model), model, test_stat="qtilde"))
            want = table.query("m_parent == 300 and region == @region and scenario == @scenario")["cls_exp"]
            assert cls == pytest.approx(float(want.iloc[0]), rel=1e-4)
