"""The Snakemake scripts run with a stand-in ``snakemake`` object (named inputs, outputs, params, log)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


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
    run_script("compute_limits.py", tmp_path,
               input=Named(yields=[str(p) for p in paths], background=str(bkg)),
               output=Named(cls=str(cls), workspaces=str(ws)),
               params=Named(lumis=[139, 3000], scenarios={"optimistic": 0.0, "pessimistic": 0.2},
                            bkg_modifier="shapesys", signal_mc_stat=True, upper_limits=False, observed=None,
                            zero_bkg_floor_pb=None, analysis="smuon"))
    table = pd.read_csv(cls)
    assert set(table["lumi_ifb"]) == {139.0, 3000.0} and table["mu_up_exp"].isna().all()
    assert json.loads((ws / "patchset_139ifb_pessimistic.json").read_text())["metadata"]["labels"] == ["m_parent",
                                                                                                       "m_lsp"]
    assert "wrote" in (tmp_path / "compute_limits.py.log").read_text()
    plots = [str(tmp_path / "plots" / f"contour_{lumi}ifb.{ext}") for lumi in (139, 3000) for ext in ("pdf", "png")]
    run_script("plot_contours.py", tmp_path, input=Named(cls=str(cls)),
               output=Named(plots=plots, mass_reach=str(tmp_path / "plots" / "mass_reach.csv")),
               params=Named(lumis=[139, 3000], regions=None, cls_level=0.05))
    assert all(Path(p).exists() for p in plots)
    assert len(pd.read_csv(tmp_path / "plots" / "mass_reach.csv")) == 4 * 2 * 2  # 3 regions + best
