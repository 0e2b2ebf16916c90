"""Sample/grid tables and semantic config checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from susyscan.config import load_config, load_grid, load_samples, semantic_checks
from susyscan.errors import ConfigError


@pytest.fixture
def workdir(tmp_path: Path, repo_root: Path) -> Path:
    shutil.copytree(repo_root / "config", tmp_path / "config")
    return tmp_path


def _cfg(workdir: Path) -> dict:
    return load_config(workdir / "config/config.yaml")  # the schema shipped in the package


def test_default_tables_load(repo_root: Path) -> None:
    samples = load_samples(repo_root / "config/samples.tsv")
    grid = load_grid(repo_root / "config/grids/smuon.tsv", "smuon")
    assert {s.name for s in samples} >= {"ttbar", "ww", "zz"}
    assert all(p.is_signal and p.m_lsp < p.m_parent for p in grid)
    assert grid[0].name == "smuon_100_0"


def test_events_in_chunks_sum_to_total(repo_root: Path) -> None:
    for sample in load_samples(repo_root / "config/samples.tsv"):
        assert sum(sample.events_in_chunk(c) for c in range(sample.n_chunks)) == sample.n_events


def test_unphysical_grid_point_is_rejected(tmp_path: Path) -> None:
    table = tmp_path / "grid.tsv"
    table.write_text("m_smuon\tm_neutralino\ttrain\tn_events\tn_chunks\n200\t250\tyes\t100\t1\n")
    with pytest.raises(ConfigError, match="row 2.*m_neutralino"):
        load_grid(table, "smuon")


def test_bad_integer_names_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text("sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\nttbar\tttbar_mu\tgenerate\tmany\t1\t\tsmuon\n")
    with pytest.raises(ConfigError, match="row 2: column 'n_events'"):
        load_samples(table)


def test_duplicate_sample_rejected(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    row = "ttbar\tttbar_mu\tgenerate\t10\t1\t\tsmuon\n"
    table.write_text("sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\n" + row + row)
    with pytest.raises(ConfigError, match="duplicate"):
        load_samples(table)


def test_semantic_checks_pass_on_default(workdir: Path) -> None:
    per_analysis = semantic_checks(_cfg(workdir), workdir)
    names = {s.name for s in per_analysis["smuon"]}
    assert "ttbar" in names and "smuon_300_100" in names


def test_split_must_sum_to_one(workdir: Path) -> None:
    cfg = _cfg(workdir)
    cfg["analyses"]["smuon"]["training"]["split"] = [0.8, 0.1, 0.2]
    with pytest.raises(ConfigError, match="analyses.smuon.training.split"):
        semantic_checks(cfg, workdir)


def test_misspelt_scale_envelope_scenario(workdir: Path) -> None:
    cfg = _cfg(workdir)
    cfg["statistics"]["scale_envelope_scenarios"] = ["pessimistc"]
    with pytest.raises(ConfigError, match=r"scale_envelope_scenarios.*'pessimistc'.*'optimistic', 'pessimistic'"):
        semantic_checks(cfg, workdir)
    cfg["statistics"]["scale_envelope_scenarios"] = ["pessimistic"]
    semantic_checks(cfg, workdir)


def test_region_without_training_point(workdir: Path) -> None:
    cfg = _cfg(workdir)
    cfg["analyses"]["smuon"]["training"]["regions"] = {"low": [0.0, 250.0], "high": [250.0, 1000.0],
                                                       "huge": [1000.0, 5000.0]}
    with pytest.raises(ConfigError, match="analyses.smuon.training.regions.huge"):
        semantic_checks(cfg, workdir)


def test_chunk_too_large(workdir: Path) -> None:
    cfg = _cfg(workdir)
    cfg["generation"]["events_per_chunk_max"] = 10
    with pytest.raises(ConfigError, match="events per chunk"):
        semantic_checks(cfg, workdir)


def test_unknown_process_fails_at_parse_time(workdir: Path) -> None:
    from susyscan.errors import UnknownSampleError

    table = workdir / "config/samples.tsv"
    table.write_text(table.read_text().replace("ww_mumu", "ww_tautau"))
    with pytest.raises(UnknownSampleError, match="sample 'ww'.*ww_tautau"):
        semantic_checks(_cfg(workdir), workdir)


def test_mass_outside_xsec_table_fails_at_parse_time(workdir: Path) -> None:
    from susyscan.errors import CrossSectionRangeError

    grid = workdir / "config/grids/smuon.tsv"
    grid.write_text(grid.read_text() + "5000\t0\tno\t100\t1\n")
    with pytest.raises(CrossSectionRangeError, match="smuon_5000_0.*outside"):
        semantic_checks(_cfg(workdir), workdir)


def test_optional_xsec_column_for_ingested_samples(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text("sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\txsec_pb\n"
                     "mine\tdy\tingest\t100\t2\tfile.lhe\tsmuon\t12.5\n"
                     "ttbar\tttbar_mumu\tgenerate\t10\t1\t\tsmuon\t\n")
    mine, ttbar = load_samples(table)
    assert mine.xsec_pb == 12.5 and ttbar.xsec_pb is None


def test_default_backgrounds_are_filtered_and_the_filter_is_looser_than_the_cuts(workdir: Path) -> None:
    samples = {s.name: s for s in load_samples(workdir / "config/samples.tsv")}
    assert {samples[n].filter for n in ("ttbar", "ww", "zz")} == {"dimuon_mt2"}
    semantic_checks(_cfg(workdir), workdir)  # the start-up looseness check passes


@pytest.mark.parametrize(("override", "message"), [
    ({"mt2_cut": "mt2 > 60.0"}, "cuts mt2 > 80 at truth level.*requires mt2 > 60"),
    ({"muon_pt": "mu1_pt > 30.0 and mu2_pt > 20.0"}, "cuts mu1_pt > 40.*requires mu1_pt > 30"),
    ({"mt2_cut": "mt2 * 1.0 > 100.0"}, "requires no simple mt2 > X cut"),
])
def test_filter_tighter_than_the_applied_cuts_fails_at_start_up(workdir: Path, override: dict, message: str) -> None:
    cfg = _cfg(workdir)
    cfg["analyses"]["smuon"]["cut_overrides"] = override
    with pytest.raises(ConfigError, match=message):
        semantic_checks(cfg, workdir)


def test_unknown_filter_and_filter_on_ingested_sample_are_errors(workdir: Path, tmp_path: Path) -> None:
    table = workdir / "config/samples.tsv"
    table.write_text(table.read_text().replace("\tdimuon_mt2\n", "\tdimuon_typo\n", 1))
    with pytest.raises(ConfigError, match="filter 'dimuon_typo' is not declared.*dimuon_mt2"):
        semantic_checks(_cfg(workdir), workdir)
    ingested = tmp_path / "ingested.tsv"
    ingested.write_text("sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\tfilter\n"
                        "mine\tdy\tingest\t100\t1\tfile.lhe\tsmuon\tdimuon_mt2\n")
    with pytest.raises(ConfigError, match="row 2: sample 'mine' has generator filter.*not generated"):
        load_samples(ingested)
