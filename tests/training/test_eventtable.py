"""The shared dataset container (susyscan.training.eventtable): .npz round trip of columns, blocks, field names and
metadata; CSV for column-only tables; errors that name the file and the member for corrupt or mismatched files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import EventFileError, FeatureError
from susyscan.training.eventtable import EventTable, concat_tables, read_table, write_table


def table(n: int = 7, sample: str = "sig", chunk: int = 0, slots: int = 5) -> EventTable:
    rng = np.random.default_rng(n + chunk)
    return EventTable(
        {"sample": np.full(n, sample), "chunk": np.full(n, chunk, np.int64), "event": np.arange(n, dtype=np.int64) * 3,
         "weight_pb": rng.exponential(1.0, n), "is_signal": np.ones(n, np.int8), "met": rng.normal(300, 50, n)},
        {"flat": rng.normal(size=(n, 3)).astype(np.float32),
         "slots": np.where(rng.random((n, slots, 2)) < 0.3, -999.0, rng.normal(size=(n, slots, 2))).astype(np.float32)},
        {"flat": ["a", "b", "c"], "slots": ["pt", "eta"]},
        {"threshold_gev": 1.0, "budget": slots, "header": {"sample": sample, "xsec_pb": 0.5}},
    )


def test_npz_round_trip_keeps_columns_blocks_ids_weights_and_metadata(tmp_path):
    original = table()
    write_table(original, tmp_path / "t.npz")
    back = read_table(tmp_path / "t.npz")
    assert list(back.columns) == list(original.columns) and list(back.blocks) == list(original.blocks)
    for name, values in original.columns.items():
        assert back.columns[name].dtype == values.dtype and np.array_equal(back.columns[name], values), name
    for name, values in original.blocks.items():
        assert back.blocks[name].dtype == values.dtype and np.array_equal(back.blocks[name], values), name
    assert back.fields == original.fields and back.metadata == original.metadata
    assert back.source == str(tmp_path / "t.npz") and len(back) == 7


def test_object_string_columns_are_stored_as_text_and_missing_values_refused(tmp_path):
    """pandas' object string columns round-trip as unicode; a None or NaN among them (which astype(str) would turn
    into the strings 'None' / 'nan') is refused naming the file and the column, and nothing is written."""
    base = table(n=3)
    names = pd.Series(["ww", "zz", "ttbar"], dtype=object).to_numpy()
    write_table(EventTable({**base.columns, "process": names}), tmp_path / "ok.npz")
    assert read_table(tmp_path / "ok.npz").columns["process"].tolist() == ["ww", "zz", "ttbar"]
    for missing in (None, np.nan):
        holed = pd.Series(["ww", missing, "ttbar"], dtype=object).to_numpy()
        with pytest.raises(FeatureError, match=r"bad\.npz: column 'process': 1 entries .* not strings \(first "):
            write_table(EventTable({**base.columns, "process": holed}), tmp_path / "bad.npz")
        assert not (tmp_path / "bad.npz").exists()


def test_selected_members_only(tmp_path):
    write_table(table(), tmp_path / "t.npz")
    back = read_table(tmp_path / "t.npz", columns=["event"], blocks=[])
    assert list(back.columns) == ["event"] and not back.blocks and back.metadata["budget"] == 5
    with pytest.raises(FeatureError, match=r"t\.npz: no block\(s\) \['pf'\]"):
        read_table(tmp_path / "t.npz", blocks=["pf"])


def test_csv_holds_columns_only_and_reads_like_pandas(tmp_path):
    columns = table().columns
    write_table(EventTable(columns), tmp_path / "t.csv.gz")
    assert pd.read_csv(tmp_path / "t.csv.gz").equals(read_table(tmp_path / "t.csv.gz").frame())
    assert np.array_equal(read_table(tmp_path / "t.csv.gz").columns["event"], columns["event"])
    with pytest.raises(FeatureError, match=r"t2\.csv\.gz: a CSV table holds columns only.*block 'flat'"):
        write_table(table(), tmp_path / "t2.csv.gz")


def test_inconsistent_tables_are_refused():
    with pytest.raises(FeatureError, match="differ in length"):
        EventTable({"a": np.zeros(3)}, {"b": np.zeros((4, 2))})
    with pytest.raises(FeatureError, match="block 'b' has 2 entries on its last axis but 3 field names"):
        EventTable(blocks={"b": np.zeros((4, 2))}, fields={"b": ["x", "y", "z"]})
    with pytest.raises(FeatureError, match="column 'a' has shape"):
        EventTable({"a": np.zeros((3, 2))})


def _rewrite(path, tmp_path, drop=(), replace=None):
    """Copy of the .npz at ``path`` without the members ``drop`` and with ``replace`` {member: array}."""
    with np.load(path) as data:
        members = {k: data[k] for k in data.files if k not in drop}
    members.update(replace or {})
    out = tmp_path / "bad.npz"
    np.savez(out, **members)
    return out


def test_corrupt_or_mismatched_files_name_file_and_member(tmp_path):
    good = tmp_path / "t.npz"
    write_table(table(), good)
    missing = _rewrite(good, tmp_path, drop=["block/slots"])
    with pytest.raises(EventFileError, match=r"bad\.npz: member 'block/slots' declared in the header is missing"):
        read_table(missing)
    short = _rewrite(good, tmp_path, replace={"column/weight_pb": np.ones(6)})
    with pytest.raises(FeatureError, match=r"bad\.npz: member 'column/weight_pb' has shape \(6,\), the header says \(7,\)"):
        read_table(short)
    retyped = _rewrite(good, tmp_path, replace={"block/flat": np.zeros((7, 3))})
    with pytest.raises(FeatureError, match=r"bad\.npz: member 'block/flat' has dtype <f8, the header says <f4"):
        read_table(retyped)
    with np.load(good) as data:
        header = json.loads(str(data["__table__"]))
    foreign = _rewrite(good, tmp_path, replace={"__table__": np.array(json.dumps(dict(header, version=99)))})
    with pytest.raises(EventFileError, match=r"bad\.npz: format 'susyscan.event_table' version 99"):
        read_table(foreign)
    old = _rewrite(good, tmp_path, drop=["__table__"])
    with pytest.raises(EventFileError, match=r"bad\.npz: no '__table__' header"):
        read_table(old)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(EventFileError, match=r"truncated\.npz: cannot open"):
        read_table(truncated)
    assert not zipfile.is_zipfile(truncated)


def test_concat_checks_shapes_fields_and_metadata(tmp_path):
    a, b = table(chunk=0), table(n=4, chunk=1)
    for name, t in (("a", a), ("b", b)):
        write_table(t, tmp_path / f"{name}.npz")
    merged = concat_tables([read_table(tmp_path / "a.npz"), read_table(tmp_path / "b.npz")], same_metadata=["budget"])
    assert len(merged) == 11 and merged.columns["chunk"].tolist() == [0] * 7 + [1] * 4
    assert np.array_equal(merged.blocks["slots"][7:], b.blocks["slots"])
    wider = table(chunk=2, slots=6)
    write_table(wider, tmp_path / "c.npz")
    with pytest.raises(FeatureError, match=r"c\.npz: block 'slots' has per-event shape \(6, 2\)"):
        concat_tables([read_table(tmp_path / "a.npz"), read_table(tmp_path / "c.npz")])
    relabelled = EventTable(dict(a.columns), dict(a.blocks), dict(a.fields), dict(a.metadata, budget=6), "c.npz")
    with pytest.raises(FeatureError, match=r"c\.npz: budget=6 differs from .*a\.npz \(5\)"):
        concat_tables([read_table(tmp_path / "a.npz"), relabelled], same_metadata=["budget"])
