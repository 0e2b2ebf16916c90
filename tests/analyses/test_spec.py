"""The analysis interface: specs of the shipped analyses, load_spec and its errors, signal regions from the YAML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from susyscan.analyses import AnalysisSpec, builtin_spec, load_spec, signal_regions
from susyscan.analyses.spec import ScanRegion
from susyscan.analysis.config import load_analysis_config
from susyscan.analysis.select import analyse_events
from susyscan.analysis.synthetic import random_events, synthetic_metadata
from susyscan.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
TOY = Path(__file__).resolve().parent / "plugin" / "toy.yaml"


def test_shipped_specs_match_their_yaml() -> None:
    smuon = load_spec(REPO / "config/analyses/smuon.yaml")
    assert smuon is builtin_spec("smuon")
    assert smuon.grid == ("m_smuon", "m_neutralino", "smuon_R")
    assert len(smuon.model_inputs) == 37 and smuon.model_inputs[-1] == "ht_over_sum_lep_pt_met"
    ewkino = load_spec(REPO / "config/analyses/ewkino.yaml")
    assert ewkino.grid == ("m_squark", "m_electroweakino", "sq_ewkino") and not ewkino.shared_ml


def test_smuon_signal_regions_come_from_the_yaml() -> None:
    cfg = load_analysis_config(REPO / "config/analyses/smuon.yaml")
    regions = signal_regions(builtin_spec("smuon"), cfg, {"low": [0, 250], "high": [250, 1e5]},
                             lambda region, model: [f"{region}_{model}_0.onnx", f"{region}_{model}_1.onnx"])
    names = [r["name"] for r in regions]
    assert names == ["NN high", "NN low", "BDT high", "BDT low", "Static jet veto",
                     *(f"Dynamic veto {i}" for i in range(1, 7))]
    assert regions[4] == {"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"}


def test_an_analysis_names_its_scan_regions_and_variant() -> None:
    """ewkino (YAML not in the shared format): its regions from the spec, the ML one on the scan variant's folds."""
    ewkino = builtin_spec("ewkino")
    run = {"detector": {"pfcand_pt_min": 0.5}, "analyses": {"ewkino": {"scan_pfcand_pt_min": 10.0}}}
    config = str(REPO / "config/analyses/ewkino.yaml")
    assert ewkino.input_variants is not None and ewkino.scan_variant is not None
    variants = ewkino.input_variants(config, run)
    assert variants == ["pt1", "pt10"]
    assert ewkino.scan_variant(variants, config, run) == "pt10"
    assert ewkino.scan_variant(variants, config, {"detector": {"pfcand_pt_min": 0.5}, "analyses": {}}) == "pt1"  # lowest
    with pytest.raises(ConfigError, match=r"scan_pfcand_pt_min'=5.0 is not one of the thresholds \[1.0, 10.0\] of .*"
                                          r"config/analyses/ewkino.yaml"):
        ewkino.scan_variant(variants, config, {**run, "analyses": {"ewkino": {"scan_pfcand_pt_min": 5.0}}})
    # it chooses among the variants it is given and does not read the YAML again (the path only names it)
    absent = str(REPO / "config/analyses/no_such_ewkino.yaml")
    assert ewkino.scan_variant(["pt2", "pt20"], absent, {**run, "analyses": {"ewkino": {"scan_pfcand_pt_min": 20}}}) \
        == "pt20"
    with pytest.raises(ConfigError, match=r"\[2.0, 20.0\] of .*no_such_ewkino.yaml"):
        ewkino.scan_variant(["pt2", "pt20"], absent, run)

    def never() -> None:
        raise AssertionError("the YAML is not read")

    regions = signal_regions(ewkino, never, {"pt1": [0, 1e9]}, lambda region, model: [f"{region}/{model}/fold0"], "pt10")
    assert regions == [{"name": "baseline", "kind": "flag", "column": "sr_baseline"},
                       {"name": "nn", "kind": "onnx", "models": ["pt10/nn/fold0"]}]
    with pytest.raises(ConfigError, match="no scan variant"):
        signal_regions(ewkino, never, {}, lambda region, model: [], None)


def test_scan_regions_are_checked() -> None:
    base = {"name": "x", "grid": ("a", "b", "p"), "features": ("met",), "models": ("nn",)}
    with pytest.raises(ConfigError, match="a model or a flag column"):
        AnalysisSpec(**base, scan_regions=(ScanRegion("r", model="nn", column="c"),))
    with pytest.raises(ConfigError, match="not one of its models"):
        AnalysisSpec(**base, scan_regions=(ScanRegion("r", model="bdt"),))
    with pytest.raises(ConfigError, match="repeat"):
        AnalysisSpec(**base, scan_regions=(ScanRegion("r", column="c"), ScanRegion("r", column="d")))
    with pytest.raises(ConfigError, match="scan_variant needs model-input tables"):
        AnalysisSpec(**base, scan_variant=lambda variants, path, run: "v")


def _write_yaml(path: Path, **changes: object) -> Path:
    raw = yaml.safe_load(TOY.read_text())
    raw.update(changes)
    path.write_text(yaml.safe_dump(raw))
    return path


def test_load_spec_errors(tmp_path: Path) -> None:
    (tmp_path / "toy.py").write_text(Path(TOY.parent / "toy.py").read_text())
    with pytest.raises(ConfigError, match="SPEC is 'toy'"):
        load_spec(_write_yaml(tmp_path / "a.yaml", name="other"))
    with pytest.raises(ConfigError, match="missing.py does not exist"):
        load_spec(_write_yaml(tmp_path / "b.yaml", module="missing.py"))
    with pytest.raises(ConfigError, match="differ from the grid keys"):
        load_spec(_write_yaml(tmp_path / "c.yaml", masses={"parent_key": "m_stau", "lsp_key": "m_neutralino"}))
    with pytest.raises(ConfigError, match="unknown analysis 'nosuch'"):
        load_spec(_write_yaml(tmp_path / "d.yaml", name="nosuch", module=None))


def test_spec_checks_itself() -> None:
    with pytest.raises(ConfigError, match="no 'derive' function"):
        AnalysisSpec(name="x", grid=("a", "b", "p"), features=("met",), derived=("r",))
    with pytest.raises(ConfigError, match="appear twice"):
        AnalysisSpec(name="x", grid=("a", "b", "p"), features=("met", "met"))
    with pytest.raises(ConfigError, match="unknown models"):
        AnalysisSpec(name="x", grid=("a", "b", "p"), features=("met",), models=("svm",))
    bad = AnalysisSpec(name="x", grid=("a", "b", "p"), features=("met",), derived=("r",), derive=lambda c: {"s": c["met"]})
    with pytest.raises(ConfigError, match="derive\\(\\) returned"):
        bad.derived_columns({"met": np.ones(2)})


def test_selection_writes_the_spec_features_and_derived_once() -> None:
    """The shared selection writes the toy's feature, its derived feature (computed there), the bookkeeping."""
    spec, cfg = load_spec(TOY), load_analysis_config(TOY)
    frame, cutflow = analyse_events(random_events(2000, seed=3), synthetic_metadata(n_events=2000), cfg, spec)
    assert list(frame.columns[:2]) == ["met", "met_over_mll"] and "mll" not in frame.columns
    assert [c["name"] for c in cutflow["cuts"]][1:] == ["two_muons", "met"]
    assert len(frame) > 100 and (frame["met"] > 20.0).all()
    smuon_frame, _ = analyse_events(random_events(2000, seed=3), synthetic_metadata(n_events=2000),
                                    load_analysis_config(REPO / "config/analyses/smuon.yaml", {"mt2_cut": "mt2 > 0"}),
                                    builtin_spec("smuon"))
    assert list(smuon_frame.columns[:37]) == builtin_spec("smuon").model_inputs


def test_unknown_feature_is_an_error(tmp_path: Path) -> None:
    spec = AnalysisSpec(name="toy", grid=("m_smuon", "m_neutralino", "smuon_R"), features=("met", "not_a_variable"))
    with pytest.raises(ConfigError, match="not_a_variable"):
        analyse_events(random_events(10, seed=1), synthetic_metadata(n_events=10), load_analysis_config(TOY), spec)


def test_model_input_writer_needs_its_variants() -> None:
    with pytest.raises(ConfigError, match="'x': write_inputs and input_variants go together"):
        AnalysisSpec(name="x", grid=("m_a", "m_b", "p"), features=("met",), write_inputs=lambda *args: None)
