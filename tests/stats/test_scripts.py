"""The Snakemake scripts run with a stand-in ``snakemake`` object (named inputs, outputs, params, log)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"


class Named(list):
    """A list with attribute access, like snakemake's Namedlist."""

    def __init__(self, **items: object) -> None:
        super().__init__(items.values())
        self.__dict__.update(items)


def run_script(name: str, tmp_path: Path, **sections: object) -> None:
    smk = SimpleNamespace(log=[str(tmp_path / f"{name}.log")], **sections)
    runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": smk}, run_name="__main__")


def test_limits_and_contour_scripts(scan_outputs: tuple[list[Path], Path], tmp_path: Path) -> None:
    paths, bkg = scan_outputs
    cls, ws = tmp_path / "limits" / "cls.csv", tmp_path / "limits" / "workspaces"
    common = dict(scenarios={"optimistic": 0.0, "pessimistic": 0.2}, bkg_modifier="shapesys", signal_mc_stat=True,
                  background_mc_stat=True, observed={})
    parts = []
    for lumi in (139, 3000):
        for batch, batch_paths in enumerate(([paths[0]], [paths[1]])):
            parts.append(tmp_path / "limits" / "parts" / f"cls_{lumi}ifb_b{batch}.csv")
            run_script("compute_limits.py", tmp_path,
                       input=Named(yields=[str(p) for p in batch_paths], background=str(bkg)),
                       output=Named(part=str(parts[-1])), params=Named(lumi=float(lumi), upper_limits=False, **common))
    assert "wrote" in (tmp_path / "compute_limits.py.log").read_text()
    run_script("merge_limits.py", tmp_path, input=Named(parts=[str(p) for p in parts], workspaces=str(ws)),
               output=Named(cls=str(cls)))
    run_script("write_workspaces.py", tmp_path, input=Named(yields=[str(p) for p in paths], background=str(bkg)),
               output=Named(workspaces=str(ws)), params=Named(lumis=[139, 3000], analysis="smuon", **common))
    table = pd.read_csv(cls)
    assert set(table["lumi_ifb"]) == {139.0, 3000.0} and table["mu_up_exp"].isna().all()
    assert len(table) == 2 * 3 * 2 * 2 + 2 * 2 * 2
    patchset = json.loads((ws / "patchset_SR_BDT_139ifb_pessimistic.json").read_text())
    assert patchset["metadata"]["labels"] == ["m_parent", "m_lsp"]
    assert patchset["metadata"]["name"] == "smuon_SR_BDT_139ifb_pessimistic"
    assert "Jet veto" in (tmp_path / "merge_limits.py.log").read_text()  # the zero-MC region is named
    plots = [str(tmp_path / "plots" / f"contour_{lumi}ifb.{ext}") for lumi in (139, 3000) for ext in ("pdf", "png")]
    run_script("plot_contours.py", tmp_path, input=Named(cls=str(cls), analysis_config=str(REPO / "config/analyses/smuon.yaml")),
               output=Named(plots=plots, mass_reach=str(tmp_path / "plots" / "mass_reach.csv")),
               params=Named(lumis=[139, 3000], regions=None, cls_level=0.05))
    assert all(Path(p).exists() for p in plots)
    assert len(pd.read_csv(tmp_path / "plots" / "mass_reach.csv")) == 4 * 2 * 2  # 3 regions + best
