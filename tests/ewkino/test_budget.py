"""PF-candidate budget: multiplicity, truncation bookkeeping, per-threshold config, records in files and ONNX."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from susyscan.analyses.ewkino.budget import (budget_from_samples, candidate_multiplicity, choose_budget,
                                             multiplicity_table, truncation_summary)
from susyscan.analyses.ewkino.config import ewkino_config_from_dict
from susyscan.analyses.ewkino.inputs import build_inputs, read_inputs, write_inputs
from susyscan.analyses.ewkino.selection import select_events
from susyscan.analyses.ewkino.stages import run_multiplicity
from susyscan.errors import ConfigError

from .conftest import events_from_lists, metadata, synthetic_events
from .test_inputs import EVENT


def test_multiplicity_counts_candidates_above_threshold():
    events = events_from_lists([EVENT, {**EVENT, "pfcand_pt": [0.5, 0.7, 0.9, 11.0]}])
    assert candidate_multiplicity(events, 1.0).tolist() == [4, 1]
    assert candidate_multiplicity(events, 10.0).tolist() == [2, 1]


def test_truncation_summary_and_budget_choice():
    summary = truncation_summary(np.array([3, 10, 64, 65, 100]), 64)
    assert summary["n_events"] == 5 and summary["n_truncated"] == 2 and summary["fraction_truncated"] == 0.4
    assert summary["fraction_candidates_dropped"] == pytest.approx((1 + 36) / 242)
    counts = np.arange(1, 1001)  # 99 % quantile 990.01 -> next multiple of 8
    assert choose_budget(counts, 0.99) == 992
    assert choose_budget(np.array([1, 2]), 0.99) == 8
    with pytest.raises(ValueError, match="quantile"):
        choose_budget(counts, 1.5)
    # the largest per-sample choice: the busy signal sample sets it even if the background dominates the events
    assert budget_from_samples({"bkg": np.full(10000, 20), "sig": np.arange(1, 101)}, 0.99) == 104


def test_multiplicity_table_has_all_row():
    table = multiplicity_table({"b": np.array([1, 2, 100]), "a": np.array([5, 6])}, 50, 1.0)
    assert table["sample"].tolist() == ["a", "b", "all"]
    assert table.set_index("sample").loc["all", "n_truncated"] == 1 and (table["pfcand_pt_min"] == 1.0).all()
    assert table.set_index("sample").loc["a", "q50"] == pytest.approx(5.5)


def _raw(cfg_path):
    import yaml

    return yaml.safe_load(cfg_path.read_text())


def test_budget_per_threshold_from_yaml(tmp_path):
    from .conftest import CONFIG

    raw = _raw(CONFIG)
    raw["inputs"]["max_candidates"] = {1.0: 160, 10.0: 32}
    inputs = ewkino_config_from_dict(raw, "test.yaml").inputs
    assert inputs.budget(1.0) == 160 and inputs.budget(10) == 32
    with pytest.raises(ConfigError, match="no budget for pT threshold 5"):
        inputs.budget(5.0)
    raw["inputs"]["max_candidates"] = 48
    assert ewkino_config_from_dict(raw, "test.yaml").inputs.budget(10.0) == 48
    raw["inputs"]["max_candidates"] = {1.0: 160}
    with pytest.raises(ConfigError, match=r"test.yaml: inputs.max_candidates: no budget for the threshold\(s\) \[10.0\]"):
        ewkino_config_from_dict(raw, "test.yaml")
    for bad in (0, 12.5, {1.0: 160, 10.0: 0}, "many"):
        raw["inputs"]["max_candidates"] = bad
        with pytest.raises(ConfigError, match="inputs.max_candidates"):
            ewkino_config_from_dict(raw, "test.yaml")


def test_shipped_budget_truncates_less_than_the_old_cap(cfg):
    """The shipped YAML gives each threshold its own budget, larger at 1 GeV than the old fixed 64."""
    assert cfg.inputs.budget(1.0) > 64 and cfg.inputs.budget(1.0) > cfg.inputs.budget(10.0)


def test_inputs_record_multiplicity_before_the_budget(cfg, tmp_path):
    events = synthetic_events(60, signal=True, seed=8)
    meta = metadata("sig_1500_100", n=60, masses={"m_squark": 1500, "m_electroweakino": 100})
    presel, baseline, _ = select_events(events, meta, cfg)
    write_inputs(build_inputs(events, meta, cfg, presel, baseline, 1.0, 16), tmp_path / "a.npz")
    inputs = read_inputs(tmp_path / "a.npz")
    expected = candidate_multiplicity(events[presel], 1.0)
    assert inputs.n_candidates.tolist() == expected.tolist() and (expected > 16).any()
    assert (inputs.mask.sum(axis=1) == np.minimum(expected, 16)).all()
    table = run_multiplicity([tmp_path / "a.npz"], tmp_path / "m.csv")
    row = pd.read_csv(tmp_path / "m.csv").set_index("sample").loc["all"]
    assert row["n_truncated"] == int((expected > 16).sum()) and row["max_candidates"] == 16
    assert len(table) == 2


def test_prepare_chunk_uses_threshold_budget_and_records_truncation(cfg, tmp_path, monkeypatch):
    import json

    from susyscan.analyses.ewkino import prepare

    events = synthetic_events(40, signal=True, seed=9)
    meta = metadata("sig_1000_100", n=40, masses={"m_squark": 1000, "m_electroweakino": 100})
    monkeypatch.setattr(prepare, "read_events", lambda path: (events, meta))
    per_threshold = replace(cfg, inputs=replace(cfg.inputs, max_candidates={1.0: 12, 10.0: 4}))
    record = prepare.prepare_chunk("x.root", per_threshold, tmp_path / "in.npz", tmp_path / "cf.json", 1.0)
    assert read_inputs(tmp_path / "in.npz").max_candidates == 12
    budget = json.loads((tmp_path / "cf.json").read_text())["pfcand_budget"]
    assert budget == record["pfcand_budget"] and budget["max_candidates"] == 12
    counts = read_inputs(tmp_path / "in.npz").n_candidates
    assert budget["n_truncated"] == int((counts > 12).sum()) and budget["n_events"] == len(counts)


def test_pileup_overlay_enters_pf_block_and_multiplicity_only(cfg):
    from susyscan.analyses.ewkino.pileup import PileupLibrary, PileupOverlay

    rng = np.random.default_rng(1)
    counts = np.full(10, 20)
    total = int(counts.sum())
    library = PileupLibrary(pt=(1.5 + rng.exponential(1.0, total)).astype(np.float32),
                            eta=rng.uniform(-2, 2, total).astype(np.float32),
                            phi=rng.uniform(-3, 3, total).astype(np.float32), charge=np.zeros(total, np.int32),
                            pid=np.full(total, 22, np.int32), offsets=np.r_[0, np.cumsum(counts)].astype(np.int64),
                            seed=0, pt_min=0.5, sqrt_s_gev=13000.0)
    events = synthetic_events(50, signal=False, seed=4)
    meta = metadata("znunu", n=50)
    presel, baseline, _ = select_events(events, meta, cfg)
    plain = build_inputs(events, meta, cfg, presel, baseline, 1.0, 400)
    piled = build_inputs(events, meta, cfg, presel, baseline, 1.0, 400, PileupOverlay(mu=3.0, library=library))
    assert piled.metadata["pileup_mu"] == 3.0 and plain.metadata["pileup_mu"] == 0.0
    added = piled.columns["n_candidates"] - plain.columns["n_candidates"]
    assert (added >= 0).all() and (added % 20 == 0).all() and added.mean() > 20  # whole interactions, mean ~ 60
    assert ((piled.blocks["pfcands"][:, :, 0] != -999.0).sum(axis=1) == piled.columns["n_candidates"]).all()
    assert np.array_equal(piled.blocks["highlevel"], plain.blocks["highlevel"])
    assert np.array_equal(piled.columns["event"], plain.columns["event"])
