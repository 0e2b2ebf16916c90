"""PF-candidate threshold/padding logic, high-level block and the inputs file (a shared event table, .npz) round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from susyscan.errors import EventFileError, FeatureError
from susyscan.analyses.ewkino.inputs import (PADDING_VALUE, PFCAND_FEATURES, SENTINEL, build_inputs, highlevel_feature_names,
                                    highlevel_features, pfcand_block, read_inputs, write_inputs)
from susyscan.analyses.ewkino.selection import select_events
from susyscan.training.eventtable import EventTable, read_table, write_table

from .conftest import events_from_lists, metadata, synthetic_events

REPO = Path(__file__).resolve().parents[2]
EVENT = {"jet_pt": [400.0, 50.0], "jet_eta": [0.5, -1.0], "jet_phi": [0.0, 1.0], "met": 650.0, "met_phi": 3.0,
         "pfcand_pt": [20.0, 5.0, 12.0, 1.5], "pfcand_eta": [0.1, 0.2, 0.3, 0.4], "pfcand_phi": [3.0, 0.0, 1.0, -3.0],
         "pfcand_charge": [1, 0, -1, 0], "pfcand_pid": [211, 22, 11, 130]}


def test_threshold_keeps_5gev_candidate_only_at_1gev(cfg):
    events = events_from_lists([EVENT])
    low, low_mask = pfcand_block(events, cfg, 1.0, 8)
    high, high_mask = pfcand_block(events, cfg, 10.0, 8)
    assert low_mask.sum() == 4 and high_mask.sum() == 2
    assert np.log(5.0) in np.round(low[0, low_mask[0], 0], 6).tolist() or np.any(np.isclose(low[0, :, 0], np.log(5.0)))
    assert not np.any(np.isclose(high[0, :, 0], np.log(5.0)))
    # sorted by decreasing pT, padding everywhere in empty slots
    assert np.allclose(np.exp(low[0, :4, 0]), [20.0, 12.0, 5.0, 1.5], rtol=1e-5)
    assert (low[0, 4:] == PADDING_VALUE).all() and (high[0, 2:] == PADDING_VALUE).all()


def test_truncation_keeps_highest_pt_and_features(cfg):
    events = events_from_lists([EVENT])
    block, mask = pfcand_block(events, cfg, 1.0, 2)
    assert block.shape == (1, 2, len(PFCAND_FEATURES)) and mask.all()
    assert np.allclose(np.exp(block[0, :, 0]), [20.0, 12.0], rtol=1e-5)
    names = PFCAND_FEATURES
    first = dict(zip(names, block[0, 0], strict=True))
    assert first["charge"] == 1 and first["is_charged_hadron"] == 1 and first["is_photon"] == 0
    assert first["dphi_ref"] == pytest.approx(0.0, abs=1e-6)  # phi 3.0 relative to MET phi 3.0
    assert dict(zip(names, block[0, 1], strict=True))["is_electron"] == 1


def test_highlevel_block_with_sentinel(cfg):
    hl = highlevel_features(events_from_lists([EVENT]), cfg)
    names = highlevel_feature_names(cfg.inputs.max_jets)
    row = dict(zip(names, hl[0], strict=True))
    assert hl.shape == (1, len(names))
    assert row["ht"] == pytest.approx(450.0) and row["meff"] == pytest.approx(1100.0) and row["n_jets"] == 2
    assert row["jet2_pt"] == pytest.approx(50.0) and row["jet3_pt"] == SENTINEL and row["jet4_dphi_met"] == SENTINEL
    assert row["min_dphi_jet_met"] == pytest.approx(2.0, abs=1e-5)  # jet2 (phi 1) vs MET (phi 3)


def test_npz_round_trip_and_weight_normalisation(cfg, tmp_path):
    paths = []
    for chunk in (0, 1):
        events = synthetic_events(40, signal=True, seed=chunk)
        meta = metadata("sig_1500_100", chunk=chunk, n=40, masses={"m_squark": 1500, "m_electroweakino": 100}, xsec_pb=2.0)
        presel, baseline, _ = select_events(events, meta, cfg)
        arrays = build_inputs(events, meta, cfg, presel, baseline, 1.0, 16)
        path = tmp_path / f"chunk{chunk}.npz"
        write_inputs(arrays, path)
        paths.append(path)
    inputs = read_inputs(paths)
    assert inputs.max_candidates == 16 and inputs.pfcand_pt_min == 1.0
    assert inputs.pfcand_feature_names == PFCAND_FEATURES
    assert (inputs.is_signal == 1).all() and (inputs.m_parent == 1500).all()
    # weight_pb = w * xsec / (sum over both chunks = 80)
    assert np.allclose(inputs.weight_pb, 2.0 / 80.0)
    assert inputs.pfcands.shape == (len(inputs), 16, len(PFCAND_FEATURES))
    assert (inputs.mask.sum(axis=1) > 0).all()


def test_inputs_file_is_a_shared_event_table(cfg, tmp_path):
    """The inputs file is read by the shared container: ids, weights, blocks with their field names, the threshold
    and budget in the metadata; an older inputs format is refused naming the file."""
    events = synthetic_events(30, signal=True, seed=5)
    meta = metadata("sig_1500_100", chunk=2, n=30, masses={"m_squark": 1500, "m_electroweakino": 100}, xsec_pb=2.0)
    presel, baseline, _ = select_events(events, meta, cfg)
    write_inputs(build_inputs(events, meta, cfg, presel, baseline, 1.0, 16), tmp_path / "c.npz")
    table = read_table(tmp_path / "c.npz")
    selected = np.flatnonzero(presel)
    assert table.fields == {"highlevel": highlevel_feature_names(cfg.inputs.max_jets), "pfcands": PFCAND_FEATURES}
    assert table.blocks["pfcands"].shape == (len(selected), 16, len(PFCAND_FEATURES)) and len(selected) > 0
    assert table.columns["event"].tolist() == selected.tolist() and set(table.columns["chunk"].tolist()) == {2}
    assert set(table.columns["sample"].tolist()) == {"sig_1500_100"} and (table.columns["m_parent"] == 1500).all()
    assert (table.metadata["pfcand_pt_min"], table.metadata["max_candidates"]) == (1.0, 16)
    assert np.array_equal(table.columns["gen_weight"], np.asarray(events["weight"])[presel])
    inputs = read_inputs(tmp_path / "c.npz")
    assert inputs.ids().tolist() == ((2 << 32) | selected).tolist()
    assert np.array_equal(inputs.pfcands, table.blocks["pfcands"]) and np.array_equal(inputs.highlevel,
                                                                                     table.blocks["highlevel"])
    older = EventTable(table.columns, table.blocks, table.fields, dict(table.metadata, inputs_format_version=2))
    write_table(older, tmp_path / "v2.npz")
    with pytest.raises(EventFileError, match=r"v2\.npz: inputs format version 2, expected 3"):
        read_inputs(tmp_path / "v2.npz")
    np.savez(tmp_path / "v1.npz", highlevel=table.blocks["highlevel"], format_version=np.array(2))
    with pytest.raises(EventFileError, match=r"v1\.npz: no '__table__' header"):
        read_inputs(tmp_path / "v1.npz")


def test_mismatched_files_are_refused(cfg, tmp_path):
    events = synthetic_events(20, signal=False, seed=3)
    meta = metadata("zjets", n=20)
    presel, baseline, _ = select_events(events, meta, cfg)
    write_inputs(build_inputs(events, meta, cfg, presel, baseline, 1.0, 16), tmp_path / "a.npz")
    write_inputs(build_inputs(events, dict(meta, chunk=1), cfg, presel, baseline, 10.0, 16), tmp_path / "b.npz")
    with pytest.raises(FeatureError, match="pfcand_pt_min"):
        read_inputs([tmp_path / "a.npz", tmp_path / "b.npz"])


@pytest.mark.parametrize(("key", "value"), [("pileup_mu", 60.0), ("phi_reference", "jet1"), ("sentinel", -1.0)])
def test_files_of_other_pileup_phi_reference_or_sentinel_are_not_mixed(cfg, tmp_path, key, value):
    """A file whose pileup mu (e.g. a signal with overlay next to a background without), phi reference or sentinel
    differs is refused naming the file and the key; a file without the key is refused as incomplete."""
    events = synthetic_events(20, signal=False, seed=3)
    meta = metadata("zjets", n=20)
    presel, baseline, _ = select_events(events, meta, cfg)
    table = build_inputs(events, meta, cfg, presel, baseline, 1.0, 16)
    write_inputs(table, tmp_path / "a.npz")
    other = EventTable(table.columns, table.blocks, table.fields, {**table.metadata, key: value})
    write_inputs(other, tmp_path / "b.npz")
    assert len(read_inputs([tmp_path / "a.npz", tmp_path / "a.npz"])) == 2 * len(table)
    with pytest.raises(FeatureError, match=rf"b\.npz: {key}={value!r} differs"):
        read_inputs([tmp_path / "a.npz", tmp_path / "b.npz"])
    without = EventTable(table.columns, table.blocks, table.fields,
                         {k: v for k, v in table.metadata.items() if k != key})
    write_inputs(without, tmp_path / "c.npz")
    with pytest.raises(EventFileError, match=rf"c\.npz: missing fields \['{key}'\]"):
        read_inputs(tmp_path / "c.npz")


def test_phi_relative_to_leading_jet(cfg):
    from dataclasses import replace

    jet_cfg = replace(cfg, inputs=replace(cfg.inputs, phi_reference="jet1"))
    block, _ = pfcand_block(events_from_lists([EVENT]), jet_cfg, 1.0, 4)
    # candidate phis (sorted by pT) 3.0, 1.0, 0.0, -3.0 relative to jet1 phi 0.0
    assert np.allclose(block[0, :, 2], [3.0, 1.0, 0.0, -3.0], atol=1e-6)


def test_spec_writes_inputs_per_threshold_variant(cfg, tmp_path, monkeypatch):
    """The shared rule model_inputs calls the spec's write_inputs(events, YAML, variant, table, cutflow): the variant
    pt<GeV> selects the threshold and its YAML budget; the variants are the YAML thresholds, none below the
    detector's."""
    from susyscan.analyses import builtin_spec
    from susyscan.analyses.ewkino import prepare
    from susyscan.errors import ConfigError

    spec = builtin_spec("ewkino")
    yaml_path = str(REPO / "config/analyses/ewkino.yaml")
    assert spec.input_variants is not None and spec.write_inputs is not None
    assert spec.input_variants(yaml_path, {"detector": {"pfcand_pt_min": 0.5}}) == ["pt1", "pt10"]
    with pytest.raises(ConfigError, match=r"ewkino\.yaml: inputs.pfcand_pt_min_values \[1.0\] lie below"):
        spec.input_variants(yaml_path, {"detector": {"pfcand_pt_min": 5.0}})
    with pytest.raises(ConfigError, match="variant 'x10' is not 'pt<threshold GeV>'"):
        prepare.variant_threshold("x10")
    events = synthetic_events(40, signal=False, seed=6)
    meta = metadata("znunu", n=40)
    monkeypatch.setattr(prepare, "read_events", lambda path: (events, meta))
    spec.write_inputs("x.root", yaml_path, "pt10", str(tmp_path / "a.npz"), str(tmp_path / "a.json"))
    prepare.prepare_chunk("x.root", yaml_path, tmp_path / "b.npz", tmp_path / "b.json", 10.0)
    a, b = read_table(tmp_path / "a.npz"), read_table(tmp_path / "b.npz")
    assert a.metadata == b.metadata and a.metadata["max_candidates"] == prepare.load_ewkino_config(
        yaml_path).inputs.budget(10.0)
    assert all(np.array_equal(a.blocks[k], b.blocks[k]) for k in b.blocks) and len(a) > 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
