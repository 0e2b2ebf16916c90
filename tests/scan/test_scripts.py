"""scan_point.py and background_yields.py with a stand-in ``snakemake`` object."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from susyscan.scan.regions import with_default_threshold

from .test_yields import feature_table

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


class Named(list):
    """A list with attribute access, like snakemake's Namedlist."""

    def __init__(self, **items: object) -> None:
        super().__init__(items.values())
        self.__dict__.update(items)


def test_scan_scripts(tmp_path: Path) -> None:
    """Flag regions only (the ONNX path with the 37 contract features is covered in test_yields)."""
    regions = [{"name": "Jet veto", "kind": "flag", "column": "sr_static_jet_veto"},
               {"name": "Dynamic veto 1", "kind": "flag", "column": "sr_dynamic_veto_1"}]
    sig = feature_table(tmp_path / "smuon_300_100.csv", 300, seed=1)
    ww = feature_table(tmp_path / "ww.csv", 300, seed=2, process="ww", is_signal=0)
    smk = SimpleNamespace(input=Named(features=str(tmp_path / "smuon_300_100.csv")),
                          output=Named(yields=str(tmp_path / "y.csv")), log=[str(tmp_path / "scan.log")],
                          params=Named(regions=regions, batch_size=100, weight_scale=1.0, masses=None, feature_names=[]))
    runpy.run_path(str(SCRIPTS / "scan_point.py"), init_globals={"snakemake": smk}, run_name="__main__")
    got = pd.read_csv(tmp_path / "y.csv").set_index("region")
    assert got.loc["Jet veto", "n_raw"] == (sig["n_jets"] == 0).sum()
    smk = SimpleNamespace(input=Named(features=[str(tmp_path / "ww.csv")]),
                          output=Named(yields=str(tmp_path / "b.csv")), log=[str(tmp_path / "bkg.log")],
                          params=Named(regions=regions, batch_size=100, score_threshold=0.7, feature_names=[]))
    runpy.run_path(str(SCRIPTS / "background_yields.py"), init_globals={"snakemake": smk}, run_name="__main__")
    bkg = pd.read_csv(tmp_path / "b.csv").set_index(["process", "region"])
    assert set(bkg.index.get_level_values(0)) == {"ww", "total"}
    # every background event with its full weight (no test-fraction scaling)
    assert bkg.loc[("ww", "Jet veto"), "yield_pb"] == pytest.approx(ww["weight_pb"][ww["n_jets"] == 0].sum())


def test_default_threshold() -> None:
    entries = [{"name": "A", "kind": "onnx", "model": "a.onnx"}, {"name": "B", "kind": "onnx", "model": "b.onnx",
                                                                   "threshold": 0.9}]
    assert [e["threshold"] for e in with_default_threshold(entries, 0.7)] == [0.7, 0.9]
    assert "threshold" not in with_default_threshold(entries, None)[0]
