"""Reconstructed event file: round trip, determinism, and EventFileError for every broken input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest
import uproot

from susyscan.detector import load_card, simulate
from susyscan.detector.synthetic import random_events
from susyscan.errors import EventFileError
from susyscan.eventio import BRANCHES, METADATA_KEYS, read_events, read_metadata, required_branches_check, write_events
from susyscan.eventio.schema import branch_dtype


@pytest.fixture(scope="module")
def reco() -> ak.Array:
    events = random_events(60, 80, np.random.default_rng(3))
    return simulate(events, load_card(), np.random.default_rng(4))


def _meta() -> dict[str, Any]:
    meta: dict[str, Any] = {key: None for key in METADATA_KEYS}
    meta |= {"sample": "test_sample", "process": "zjets", "chunk": 3, "seed": 42, "xsec_pb": 12.5,
             "masses": {"m_smuon": 300, "m_neutralino": 100}}
    return meta


def _assert_same(a: ak.Array, b: ak.Array) -> None:
    assert len(a) == len(b)
    for name in BRANCHES:
        assert ak.all(ak.num(a[name], axis=-1) == ak.num(b[name], axis=-1)) if a[name].ndim > 1 else True
        assert ak.all(ak.ravel(a[name]) == ak.ravel(b[name])), name


def test_round_trip_types_and_metadata(tmp_path: Path, reco: ak.Array) -> None:
    path = tmp_path / "chunk3.root"
    written = write_events(path, reco, _meta())
    events, meta = read_events(path)
    _assert_same(events, reco)
    for name in BRANCHES:
        leaf = ak.ravel(events[name])
        assert leaf.type.content.primitive == np.dtype(branch_dtype(name)).name, name
    assert meta == json.loads(json.dumps(written))
    assert meta["n_events"] == 60 and meta["sum_weights"] == pytest.approx(60.0)
    assert meta["masses"] == {"m_smuon": 300, "m_neutralino": 100}
    assert not Path(str(path) + ".tmp").exists()
    subset, _ = read_events(path, branches=["met", "jet_pt"])
    assert subset.fields == ["met", "jet_pt"]


def test_same_input_rewrite_identical(tmp_path: Path, reco: ak.Array) -> None:
    write_events(tmp_path / "a.root", reco, _meta())
    write_events(tmp_path / "b.root", reco, _meta())
    a, meta_a = read_events(tmp_path / "a.root")
    b, meta_b = read_events(tmp_path / "b.root")
    _assert_same(a, b)
    assert meta_a == meta_b


def test_empty_chunk(tmp_path: Path, reco: ak.Array) -> None:
    write_events(tmp_path / "empty.root", reco[:0], _meta())
    events, meta = read_events(tmp_path / "empty.root")
    assert len(events) == 0 and meta["n_events"] == 0


def test_write_refuses_incomplete_input(tmp_path: Path, reco: ak.Array) -> None:
    with pytest.raises(EventFileError, match="jet_btag"):
        write_events(tmp_path / "x.root", reco[[f for f in reco.fields if f != "jet_btag"]], _meta())
    with pytest.raises(EventFileError, match="config_hash"):
        write_events(tmp_path / "x.root", reco, {k: v for k, v in _meta().items() if k != "config_hash"})
    assert not (tmp_path / "x.root").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="none.root.*not found"):
        read_events(tmp_path / "none.root")


def test_truncated_file(tmp_path: Path, reco: ak.Array) -> None:
    good = tmp_path / "good.root"
    write_events(good, reco, _meta())
    data = good.read_bytes()
    for fraction in (0.3, 0.6, 0.9):
        bad = tmp_path / f"truncated{fraction}.root"
        bad.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(EventFileError, match=bad.name):
            read_events(bad)


def test_garbage_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.root"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(EventFileError, match="garbage.root"):
        read_events(bad)


def test_missing_branch_tree_and_metadata(tmp_path: Path, reco: ak.Array) -> None:
    lacking = tmp_path / "lacking.root"
    with uproot.recreate(lacking) as handle:
        handle["events"] = {"weight": np.ones(3), "met": np.zeros(3, np.float32)}
        handle["metadata"] = json.dumps({"sample": "x"})
    with pytest.raises(EventFileError, match=r"lacking.root.*met_phi"):
        read_events(lacking)
    with pytest.raises(EventFileError, match="electron_pt"):
        required_branches_check(lacking)
    events, meta = read_events(lacking, branches=["weight", "met"])
    assert len(events) == 3 and meta == {"sample": "x"}

    no_tree = tmp_path / "notree.root"
    with uproot.recreate(no_tree) as handle:
        handle["metadata"] = "{}"
    with pytest.raises(EventFileError, match=r"notree.root.*'events'"):
        read_events(no_tree)

    no_meta = tmp_path / "nometa.root"
    with uproot.recreate(no_meta) as handle:
        handle["events"] = {"weight": np.ones(3)}
    with pytest.raises(EventFileError, match=r"nometa.root.*metadata"):
        read_events(no_meta, branches=["weight"])
    with pytest.raises(EventFileError, match="metadata"):
        read_metadata(no_meta)


def test_schema_constant_names_mean_one_thing() -> None:
    """A name of ``eventio.schema`` (e.g. ``METADATA_KEY``, the TObjString holding the metadata) is bound nowhere
    else in the package to another value: no module re-exports or aliases a schema constant under a schema name
    it does not hold (the tau truth-tagging key once was ``truthtag.METADATA_KEY``)."""
    import ast

    import susyscan
    from susyscan.eventio import schema

    names = {n for n in vars(schema) if n.isupper()}
    package = Path(susyscan.__file__).parent
    clashes = []
    for path in sorted(package.rglob("*.py")):
        if path == Path(schema.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "susyscan.eventio.schema":
                clashes += [f"{path.name}: {a.name} as {a.asname}" for a in node.names
                            if a.asname in names and a.asname != a.name]
            elif isinstance(node, ast.Assign):
                clashes += [f"{path.name}: {t.id} = ..." for t in node.targets
                            if isinstance(t, ast.Name) and t.id in names]
    assert not clashes
