"""Parton-level recoil filter (after the shower, before hadronisation), composite processes and the wino-pair
K-factor: the hook's cut and counts, what Pythia 8.317's sigmaGen does after parton-level vetoes, the composite
chunk's weights, and a fast closure of the filter after the ewkino preselection."""

from __future__ import annotations

import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import ConfigError
from susyscan.generation.filters import (
    FilterSpec,
    PartonLevelVeto,
    ProcessLevelVeto,
    filter_from_config,
    filter_from_metadata,
    make_hook,
    recoil_pt,
)

from .test_filters import FakeParticle, _process

RECOIL = FilterSpec("recoil_150", "test", level="parton", recoil_pt_min=150.0)
POINT = {"m_squark": 1500.0, "m_electroweakino": 300.0}


def test_parton_level_spec_validation_and_round_trip() -> None:
    with pytest.raises(ConfigError, match="recoil_pt_min"):
        FilterSpec("x", "no threshold", level="parton")
    with pytest.raises(ConfigError, match="process-level cuts"):
        FilterSpec("x", "mixed", level="parton", recoil_pt_min=100.0, met_min=50.0)
    with pytest.raises(ConfigError, match="needs level: parton"):
        FilterSpec("x", "recoil at process level", recoil_pt_min=100.0)
    with pytest.raises(ConfigError, match="level 'hadron'"):
        FilterSpec("x", "unknown level", level="hadron")
    assert filter_from_metadata(RECOIL.as_metadata()) == RECOIL
    assert filter_from_config("r", {"description": "d", "level": "parton", "recoil_pt_min": 120}).thresholds() == {
        "met": 120.0}
    assert isinstance(make_hook(RECOIL, False), PartonLevelVeto)
    assert isinstance(make_hook(None, True), ProcessLevelVeto)
    with pytest.raises(ConfigError, match="cannot be combined"):
        make_hook(RECOIL, True)


def test_recoil_is_the_summed_pt_of_neutrinos_and_lsps() -> None:
    event = _process(FakeParticle(1000022, 100.0, 0.0), FakeParticle(1000022, 0.0, 100.0), FakeParticle(12, 20.0, 0.0),
                     FakeParticle(21, -200.0, -100.0), FakeParticle(1000024, 500.0, 0.0, final=False))
    assert recoil_pt(event) == pytest.approx(math.hypot(120.0, 100.0))
    hook = PartonLevelVeto(RECOIL)
    assert hook.doVetoPartonLevel(event) is False  # 156 GeV > 150: kept
    assert hook.doVetoPartonLevel(_process(FakeParticle(1000022, 100.0, 0.0))) is True
    assert hook.doVetoPartonLevel(_process(FakeParticle(1000022, 160.0, 0.0), FakeParticle(21, -160.0, 0.0))) is False
    counts = hook.counts
    assert (counts.n_seen, counts.n_filter_vetoed, counts.n_accepted) == (3, 1, 2)


def test_sigma_gen_excludes_parton_level_vetoes() -> None:
    """Pythia 8.317: after parton-level vetoes sigmaGen counts only the accepted events (as for process-level
    vetoes), i.e. sigmaGen(filtered) = efficiency x sigmaGen(unfiltered), not sigmaGen(unfiltered)."""
    from susyscan.generation.pythia_run import generate

    loose = FilterSpec("recoil_100", "test", level="parton", recoil_pt_min=100.0)
    filtered = generate("wino_pair", 120, seed=21, masses=POINT, filter_spec=loose)
    reference = generate("wino_pair", 400, seed=22, masses=POINT)
    counts = filtered.filter_counts
    assert counts is not None and counts.n_accepted == len(filtered.events) == 120
    eff, err = filtered.filter_efficiency()
    assert 0.05 < eff < 0.6
    expected = eff * reference.xsec_lo_pb
    tolerance = 4 * math.hypot(err * reference.xsec_lo_pb, eff * reference.xsec_lo_err_pb, filtered.xsec_lo_err_pb)
    assert abs(filtered.xsec_lo_pb - expected) < tolerance
    assert filtered.xsec_lo_pb < 0.7 * reference.xsec_lo_pb  # sigmaGen did drop: the vetoes are not ignored
    assert filtered.lo_unfiltered_pb() == pytest.approx(filtered.xsec_lo_pb / eff)


def test_composite_chunk_weights_each_component_to_its_cross_section(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    from susyscan.eventio import read_events
    from susyscan.generation.chunk import component_events, generate_chunk
    from susyscan.generation.processes import check_composites, get_process

    check_composites()
    assert get_process("sq_ewkino_isr").components == (("sq_ewkino", 0.5), ("wino_pair", 0.5))
    assert component_events(7, [0.5, 0.5]) == [4, 3] and sum(component_events(801, [0.3, 0.7])) == 801
    loose = FilterSpec("recoil_100", "test", level="parton", recoil_pt_min=100.0)
    out = tmp_path / "chunk0.root"
    with caplog.at_level("INFO", logger="susyscan.generation.chunk"):
        meta = generate_chunk({"name": "ewkino_1500_300", "process": "sq_ewkino_isr", "masses": POINT}, 0, 24, 3,
                              out, None, filter_spec=loose)
    assert "wino_pair at" in caplog.text and "no per-point K-factor file given" in caplog.text  # outside snakemake
    parts = meta["components"]
    assert [p["process"] for p in parts] == ["sq_ewkino", "wino_pair"] and [p["n_events"] for p in parts] == [12, 12]
    assert meta["xsec_pb"] == pytest.approx(sum(p["xsec_pb"] for p in parts))
    assert meta["xsec_unfiltered_pb"] == pytest.approx(sum(p["xsec_unfiltered_pb"] for p in parts))
    assert 0 < parts[1]["filter_efficiency"] < parts[0]["filter_efficiency"] <= 1.0  # ISR recoil is rarer
    assert "K = " in parts[1]["xsec_source"] and "pp13_winopm_C1N2" in parts[1]["xsec_source"]
    events, _ = read_events(out)
    weights = ak.to_numpy(events["weight"])
    label = ak.to_numpy(events["process_component"])
    assert np.bincount(label).tolist() == [12, 12]
    for index, part in enumerate(parts):  # weight_pb = w * xsec_pb / sum(w) reproduces each component's xsec
        assert weights[label == index].sum() * meta["xsec_pb"] / weights.sum() == pytest.approx(part["xsec_pb"])


def test_wino_pair_kfactor_from_the_wino_table() -> None:
    from susyscan.generation.pythia_run import table_kfactor
    from susyscan.generation.xsec import lookup

    kf = table_kfactor("wino_pair", {"m_squark": 2000.0, "m_electroweakino": 300.0})
    nlo, _ = lookup("pp13_winopm_C1N2_NLO+NLL.json", 300.0)
    assert kf.nlo_pb == nlo and kf.k == pytest.approx(nlo / kf.lo_pb) and 0 < kf.k_err < 0.2 * kf.k
    assert 1.1 < kf.k < 1.8  # an NLO+NLL / LO ratio of a Drell-Yan-like process, not a unit or table mix-up
    assert dict(kf.reference_masses) == {"m_squark": 5000.0, "m_electroweakino": 300.0}  # squarks decoupled


def test_kfactor_processes_of_plain_and_composite_samples() -> None:
    from susyscan.generation.processes import kfactor_processes

    assert kfactor_processes("sq_ewkino_isr", 13000.0) == ["wino_pair"]  # the component, not the composite
    assert kfactor_processes("wino_pair", 13000.0) == ["wino_pair"]
    assert kfactor_processes("sq_ewkino", 13000.0) == [] and kfactor_processes("smuon_R", 13000.0) == []
    assert kfactor_processes("sq_ewkino_isr", 14000.0) == []  # off the tables' energy the LO is kept


@pytest.fixture(scope="module")
def kfactor_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The per-point K-factor file of sq_ewkino_isr at POINT (rule kfactor_reference)."""
    from susyscan.generation.chunk import write_kfactors

    path = tmp_path_factory.mktemp("kfactor") / "point.json"
    write_kfactors("sq_ewkino_isr", POINT, 13000.0, path)
    return path


def test_kfactor_file_round_trip_and_mismatches_name_the_file(kfactor_file: Path, tmp_path: Path) -> None:
    import json

    from susyscan.generation.chunk import read_kfactors
    from susyscan.generation.pythia_run import table_kfactor

    kfactors = read_kfactors(kfactor_file, "sq_ewkino_isr", POINT, 13000.0)
    assert kfactors == {"wino_pair": table_kfactor("wino_pair", POINT)}  # the same record, float for float
    assert read_kfactors(kfactor_file, "wino_pair", POINT, 13000.0) == kfactors
    data = json.loads(kfactor_file.read_text())
    with pytest.raises(ConfigError, match=r"point\.json.*needs \[\]"):
        read_kfactors(kfactor_file, "sq_ewkino", POINT, 13000.0)
    with pytest.raises(ConfigError, match=r"point\.json \[wino_pair\]: field masses.*rerun kfactor_reference"):
        read_kfactors(kfactor_file, "sq_ewkino_isr", {**POINT, "m_electroweakino": 400.0}, 13000.0)
    record = data["kfactors"]["wino_pair"]
    changes = {"n_events": 100, "seed": 2, "table": "other.json", "nlo_pb": record["nlo_pb"] * 1.01,
               "nlo_unc_pb": record["nlo_unc_pb"] * 0.9, "reference_masses": {**record["reference_masses"],
                                                                             "m_squark": 4000.0}}
    for field, value in changes.items():  # each recomputable field alone: a stale table, registry or setting
        changed = tmp_path / f"{field}.json"
        changed.write_text(json.dumps({**data, "kfactors": {"wino_pair": {**record, field: value}}}))
        with pytest.raises(ConfigError, match=rf"{field}\.json \[wino_pair\]: field {field} .*\(expected .*\); "
                                              "rerun kfactor_reference$"):
            read_kfactors(changed, "sq_ewkino_isr", POINT, 13000.0)
    for generator in ("pythia8mc 8.312.0", None):  # another or an unrecorded generator version
        other = {**data, "generator": generator} if generator else {k: v for k, v in data.items() if k != "generator"}
        (tmp_path / "generator.json").write_text(json.dumps(other))
        with pytest.raises(ConfigError, match=r"generator\.json: field generator .*rerun kfactor_reference"):
            read_kfactors(tmp_path / "generator.json", "sq_ewkino_isr", POINT, 13000.0)
    del data["kfactors"]["wino_pair"]["lo_pb"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"bad\.json \[wino_pair\]: malformed.*lo_pb"):
        read_kfactors(tmp_path / "bad.json", "sq_ewkino_isr", POINT, 13000.0)


def test_cli_chunk_reads_the_kfactor_file(kfactor_file: Path, tmp_path: Path) -> None:
    """``susyscan generate generate --kfactor-file`` hands the file to the chunk, which checks it before generating."""
    from click.testing import CliRunner

    from susyscan.cli import main

    result = CliRunner().invoke(main, ["generate", "generate", "--sample", "p", "--process", "sq_ewkino_isr",
                                       "--mass", "m_squark=1500", "--mass", "m_electroweakino=400", "--n-events", "4",
                                       "--kfactor-file", str(kfactor_file), "--out", str(tmp_path / "x.root")])
    assert result.exit_code == 1 and "point.json [wino_pair]: field masses" in result.stderr
    assert not (tmp_path / "x.root").exists()


def test_composite_chunk_takes_the_point_kfactor_file_and_writes_the_slha(kfactor_file: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """With the per-point file a chunk runs no LO reference of its own (one per mass point, not per chunk) and the
    composite chunk writes the point's spectrum to ``slha_out`` like a plain chunk."""
    import susyscan.generation.pythia_run as pythia_run
    from susyscan.generation.chunk import generate_chunk, read_kfactors
    from susyscan.generation.slha import write_slha

    def no_reference_run(*args: object) -> None:
        raise AssertionError("the chunk ran the K-factor LO reference although the point's file was given")

    monkeypatch.setattr(pythia_run, "_table_kfactor", no_reference_run)
    kf = read_kfactors(kfactor_file, "sq_ewkino_isr", POINT, 13000.0)["wino_pair"]
    slha = tmp_path / "point.slha"
    meta = generate_chunk({"name": "ewkino_1500_300", "process": "sq_ewkino_isr", "masses": POINT}, 1, 4, 3,
                          tmp_path / "chunk1.root", None, slha_out=slha, kfactor_path=kfactor_file)
    assert f"K = {kf.k:.4g} +- {kf.k_err:.2g}" in meta["components"][1]["xsec_source"]
    assert meta["components"][1]["xsec_unfiltered_pb"] == pytest.approx(kf.k * meta["components"][1]["xsec_lo_pb"])
    expected = write_slha("wino", POINT, tmp_path / "expected.slha")
    assert slha.read_text() == expected.read_text()


def test_recoil_filter_closes_after_the_ewkino_preselection(tmp_path: Path) -> None:
    """Fast closure (wino pairs, m = 300 GeV): yields after the ewkino preselection (MET > 200 GeV) agree with and
    without the 150 GeV recoil filter; a filter above the MET cut (300 GeV) fails the same comparison.  The
    numbers at meaningful statistics, after the baseline too, are in docs/analysis_ewkino.md."""
    from susyscan.generation.closure import ROOT, filter_closure

    ewkino = ROOT / "config" / "analyses" / "ewkino.yaml"
    result = filter_closure("wino_pair", RECOIL, 1200, 120, tmp_path / "loose", seed=5, lumi_ifb=300.0,
                            analysis_config=ewkino, masses=POINT)
    assert result.cut == "n_jets" and result.unfiltered_raw >= 40 and result.filtered_raw >= 50
    assert abs(result.pull) < 3.0
    tight = FilterSpec("recoil_300", "tighter than MET > 200", level="parton", recoil_pt_min=300.0)
    biased = filter_closure("wino_pair", tight, 1200, 40, tmp_path / "tight", seed=5, lumi_ifb=300.0,
                            analysis_config=ewkino, masses=POINT)
    assert biased.pull < -3.0 and biased.ratio < 0.6


def test_grid_point_filter_is_checked_against_the_ewkino_preselection() -> None:
    from susyscan.config.checks import _check_filters
    from susyscan.config.tables import load_grid
    from susyscan.generation.closure import ROOT

    points = load_grid(ROOT / "config" / "grids" / "ewkino.tsv", "ewkino")
    assert {p.filter for p in points} == {"wino_recoil_150"} and {p.process for p in points} == {"sq_ewkino_isr"}
    flt = {"description": "d", "level": "parton", "recoil_pt_min": 150.0}
    config = {"generation": {"filters": {"wino_recoil_150": flt}}, "samples": "config/samples_ewkino.tsv",
              "analyses": {"ewkino": {"config": "config/analyses/ewkino.yaml"}},
              "grids": {"ewkino": "config/grids/ewkino.tsv"}}
    _check_filters(config, points, "ewkino", ROOT)  # 150 GeV recoil < MET > 200 GeV: accepted
    flt["recoil_pt_min"] = 250.0
    with pytest.raises(ConfigError, match=r"cuts met > 250 at truth level.*met > 200"):
        _check_filters(config, points, "ewkino", ROOT)
    config["generation"]["filters"] = {}
    with pytest.raises(ConfigError, match="ewkino_1000_100' in config/grids/ewkino.tsv.*not declared"):
        _check_filters(config, points, "ewkino", ROOT)
