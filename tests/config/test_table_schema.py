"""Sample and grid tables are validated against the JSON schemas shipped in the package: every table of the repo
passes, and bad tables fail with the file, row and column named."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from susyscan.config import load_grid, load_samples
from susyscan.config.table_schema import grid_schema, samples_schema
from susyscan.config.tables import grid_columns, known_grid_models
from susyscan.errors import ConfigError

HEADER = "sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\n"
GOOD = "ttbar\tttbar_mumu\tgenerate\t10\t1\t\tsmuon\n"
GRID_HEADER = "m_smuon\tm_neutralino\ttrain\tn_events\tn_chunks\n"


def test_the_schemas_are_valid_json_schemas() -> None:
    for schema in (samples_schema(), grid_schema("m_a", "m_b")):
        jsonschema.validators.validator_for(schema).check_schema(schema)


def test_every_table_of_the_repository_validates(repo_root: Path) -> None:
    tables = sorted((repo_root / "config").glob("samples*.tsv")) + sorted(repo_root.glob("tests/**/samples*.tsv"))
    assert len(tables) >= 4
    for table in tables:
        assert load_samples(table), table
    known = set(known_grid_models())
    grids = sorted((repo_root / "config/grids").glob("*.tsv")) + sorted(repo_root.glob("tests/**/grid.tsv"))
    checked = 0
    for table in grids:
        parent = table.read_text().split("\t", 1)[0]
        model = next((m for m in known if grid_columns(m)[0] == parent), None)
        if model is not None:
            assert load_grid(table, model), table
            checked += 1
    assert checked >= 8


def test_defaults_fill_empty_optional_cells(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text(HEADER.rstrip("\n") + "\txsec_pb\tfilter\n" + GOOD.rstrip("\n") + "\t\t\n")
    (sample,) = load_samples(table)
    assert sample.xsec_pb is None and sample.filter == "" and sample.n_events == 10


@pytest.mark.parametrize(("row", "column", "message"), [
    ("ttbar\tttbar_mumu\tgenerate\t10\t0\t\tsmuon\n", "n_chunks", "0 is less than the minimum of 1"),
    ("ttbar\tttbar_mumu\tgenerate\t1.5\t1\t\tsmuon\n", "n_events", "'1.5' is not of type 'integer'"),
    ("ttbar\tttbar_mumu\tpythia\t10\t1\t\tsmuon\n", "source", "'pythia' is not one of \\['generate', 'ingest'\\]"),
    ("tt bar\tttbar_mumu\tgenerate\t10\t1\t\tsmuon\n", "sample", "'tt bar' does not match"),
    ("ttbar\tttbar_mumu\tgenerate\t10\t1\t\tsmuon;ewkino\n", "analyses", "'smuon;ewkino' does not match"),
    ("ttbar\t\tgenerate\t10\t1\t\tsmuon\n", "process", "'' should be non-empty"),
])
def test_bad_sample_cell_names_file_row_and_column(tmp_path: Path, row: str, column: str, message: str) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text(HEADER + GOOD + row)
    with pytest.raises(ConfigError, match=f"{table}, row 3: column '{column}': {message}"):
        load_samples(table)


def test_bad_optional_columns(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text(HEADER.rstrip("\n") + "\txsec_pb\n" + GOOD.rstrip("\n") + "\tnan\n")
    with pytest.raises(ConfigError, match="row 2: column 'xsec_pb': 'nan' is not of type 'number', 'null'"):
        load_samples(table)
    table.write_text(HEADER.rstrip("\n") + "\txsec_pb\n" + GOOD.rstrip("\n") + "\t-3\n")
    with pytest.raises(ConfigError, match="row 2: column 'xsec_pb': -3.0 is less than or equal to the minimum of 0"):
        load_samples(table)


def test_unknown_missing_and_extra_cells(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text(HEADER.rstrip("\n") + "\txsec\n" + GOOD.rstrip("\n") + "\t3.0\n")  # typo of xsec_pb
    with pytest.raises(ConfigError, match="row 2: column 'xsec': unknown column"):
        load_samples(table)
    table.write_text(HEADER.replace("\tanalyses", "") + "ttbar\tttbar_mumu\tgenerate\t10\t1\t\n")
    with pytest.raises(ConfigError, match=f"sample table {table} lacks columns \\['analyses'\\]"):
        load_samples(table)
    table.write_text(HEADER + GOOD.rstrip("\n") + "\tsurplus\n")
    with pytest.raises(ConfigError, match="row 2: 8 cells for 7 columns"):
        load_samples(table)


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    table = tmp_path / "samples.tsv"
    table.write_text(HEADER + "a\tp\tgenerate\tx\t1\t\tsmuon\n" + GOOD + "b\tp\tgenerate\t1\ty\t\tsmuon\n")
    with pytest.raises(ConfigError) as info:
        load_samples(table)
    assert "row 2: column 'n_events'" in str(info.value) and "row 4: column 'n_chunks'" in str(info.value)


@pytest.mark.parametrize(("row", "column", "message"), [
    ("abc\t0\tyes\t100\t1\n", "m_smuon", "'abc' is not of type 'number'"),
    ("300\t-5\tyes\t100\t1\n", "m_neutralino", "-5.0 is less than the minimum of 0"),
    ("300\t0\tmaybe\t100\t1\n", "train", "'maybe' is not one of"),
    ("300\t0\tyes\t100\t-1\n", "n_chunks", "-1 is less than the minimum of 1"),
])
def test_bad_grid_cell_names_file_row_and_column(tmp_path: Path, row: str, column: str, message: str) -> None:
    table = tmp_path / "grid.tsv"
    table.write_text(GRID_HEADER + "200\t0\tyes\t100\t1\n" + row)
    with pytest.raises(ConfigError, match=f"{table}, row 3: column '{column}': {message}"):
        load_grid(table, "smuon")


def test_grid_mass_columns_come_from_the_analysis(tmp_path: Path) -> None:
    table = tmp_path / "grid.tsv"
    table.write_text(GRID_HEADER + "200\t0\tyes\t100\t1\n")
    with pytest.raises(ConfigError, match="lacks columns \\['m_stau', 'm_lsp'\\]"):
        load_grid(table, "toy", ("m_stau", "m_lsp", "staus"))
    (point,) = load_grid(table, "toy", ("m_smuon", "m_neutralino", "smuon_R"))
    assert (point.m_parent, point.m_lsp, point.train, point.name) == (200.0, 0.0, True, "toy_200_0")
