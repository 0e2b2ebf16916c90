"""Recast regions as surrogate labels: per-event masks from the recast's own selection code, checked against the
recast stage's per-chunk counts; a tiny surrogate trained on them (parity, domain guard)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.errors import EventFileError, FeatureError
from susyscan.recast.select import select_chunk, select_file
from susyscan.surrogate.labels import PRESELECTION
from susyscan.surrogate.recast_labels import (
    chunk_labels,
    file_labels,
    sample_recast_labels,
)
from tests.recast.conftest import make_events
from tests.recast.test_selection import BJET, DF_1J, META, OVERLAP, SAME_SIGN, SF_0J

# (m_smuon, m_neutralino): two training points and one held out between them; 150 events each
POINTS = [(300.0, 0.0), (500.0, 0.0), (400.0, 0.0)]
HELD_OUT = [[400.0, 0.0]]
N_EVENTS = 150


def test_hand_made_events_masks_sum_to_the_counts(recast_cfg) -> None:
    events = make_events([SF_0J, DF_1J, BJET, SAME_SIGN, OVERLAP, SF_0J, DF_1J])
    record = select_chunk(events, META, recast_cfg)
    labels = chunk_labels(events, META, recast_cfg)
    assert labels["event"].tolist() == list(range(7)) and (labels["chunk"] == 0).all()
    assert list(labels.columns[3:]) == [r.name for r in recast_cfg.regions] and len(recast_cfg.regions) == 16
    for name, counts in record["regions"].items():
        assert labels[name].sum() == counts["n_raw"]
    assert labels[PRESELECTION].tolist() == [1, 1, 0, 0, 0, 1, 1]
    assert labels[PRESELECTION].sum() == record["cuts"][-1]["n_raw"]
    # every labelled region entry lies inside the selection, and each selected event is in one INC100 region
    inc100 = [r.name for r in recast_cfg.regions if r.name.endswith("INC100")]
    assert (labels.loc[labels[PRESELECTION] == 0, labels.columns[3:]] == 0).all().all()
    assert (labels.loc[labels[PRESELECTION] == 1, inc100].sum(axis=1) == 1).all()


def test_unequal_weights_are_refused(recast_cfg) -> None:
    events = make_events([{**SF_0J, "weight": 1.0}, {**SF_0J, "weight": -1.0}])
    with pytest.raises(EventFileError, match="different generator weights"):
        chunk_labels(events, META, recast_cfg, "f.root")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, recast_cfg) -> dict[str, list[Path]]:
    """Event files of three smuon points through the recast stage (counts JSONs), the regenerated truth tables
    and the joined label tables."""
    from susyscan.atomic import write_csv_atomic
    from susyscan.generation.chunk import generate_chunk
    from susyscan.surrogate.regenerate import chunk_truth_features

    base = tmp_path_factory.mktemp("recast_chain")
    out: dict[str, list[Path]] = {"events": [], "counts": [], "labels": []}
    for m, mx in POINTS:
        name = f"smuon_{m:g}_{mx:g}"
        events = base / f"{name}.root"
        spec = {"name": name, "process": "smuon_R", "masses": {"m_smuon": m, "m_neutralino": mx}}
        generate_chunk(spec, 0, N_EVENTS, 11, events, None)
        counts = base / f"{name}.json"
        select_file(events, recast_cfg, counts)
        truth = base / f"{name}_truth.csv.gz"
        write_csv_atomic(chunk_truth_features(events, name), truth)
        labels = base / f"{name}_labels.csv.gz"
        write_csv_atomic(sample_recast_labels([truth], [events], recast_cfg, [counts]), labels)
        for key, path in (("events", events), ("counts", counts), ("labels", labels)):
            out[key].append(path)
    return out


def test_per_event_masks_reproduce_the_recast_counts(chain: dict[str, list[Path]], recast_cfg) -> None:
    total = 0
    for events, counts_path, labels_path in zip(chain["events"], chain["counts"], chain["labels"], strict=True):
        counts = json.loads(counts_path.read_text())
        labels = pd.read_csv(labels_path)
        assert len(labels) == counts["n_events"] == N_EVENTS
        for region in recast_cfg.regions:
            assert labels[region.name].sum() == counts["regions"][region.name]["n_raw"]
        assert labels[PRESELECTION].sum() == counts["cuts"][-1]["n_raw"]
        total += int(labels[PRESELECTION].sum())
        # the labels carry the truth features of the same events
        assert (labels["m_parent"] == counts["masses"]["m_smuon"]).all() and labels["met"].notna().all()
        file_labels(events, recast_cfg, counts_path)  # consistent counts pass
    assert total > 20  # the smuon points do populate the recast's selection


def test_stale_counts_are_refused(chain: dict[str, list[Path]], recast_cfg, tmp_path: Path) -> None:
    counts = json.loads(chain["counts"][0].read_text())
    region = next(name for name, c in counts["regions"].items() if c["n_raw"] > 0)
    counts["regions"][region]["n_raw"] -= 1
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(counts))
    with pytest.raises(FeatureError, match=f"region {region!r}: per-event labels give n_raw"):
        file_labels(chain["events"][0], recast_cfg, stale)


def test_tiny_surrogate_on_recast_labels(chain: dict[str, list[Path]], tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture, recast_cfg) -> None:
    from susyscan.surrogate.model import SurrogateModel
    from susyscan.surrogate.train import PARITY_TOLERANCE, TrainSettings, run_training
    from susyscan.surrogate.validate import efficiency_table

    settings = TrainSettings(n_estimators=15, min_positive=5, seed=3)
    summary = run_training(chain["labels"], tmp_path, HELD_OUT, settings, compare_isr=False,
                           analysis="atlas_1908_08215_smuon")
    regions = [PRESELECTION, *(r.name for r in recast_cfg.regions)]
    assert summary["regions"] == regions
    assert summary["parity_max_abs"] < PARITY_TOLERANCE
    assert summary["events"]["heldout"] == N_EVENTS
    model = SurrogateModel(tmp_path / "model.onnx")
    assert model.regions == regions and model.contract.analysis == "atlas_1908_08215_smuon"
    pred = pd.read_csv(tmp_path / "predictions.csv.gz")
    table = efficiency_table(pred, regions)
    held = table[table["set"] == "held-out point"].set_index("region")
    # a smuon signal has no e-mu pairs: the DF regions are empty in the full chain and near zero in the surrogate
    assert held.loc["SR-DF-0J-INC100", "eff_full"] == 0.0 and held.loc["SR-DF-0J-INC100", "eff_surrogate"] < 0.02
    # the selection's efficiency at the held-out point is reproduced within its MC statistics (150 events)
    sel = held.loc[PRESELECTION]
    assert abs(sel["eff_surrogate"] - sel["eff_full"]) < 3 * sel["eff_full_err"] + 0.02
    # domain guard: the held-out point (between the training points) is inside, up to a few tail events of a
    # 300-event training set; the same events as electrons (never seen in training) are flagged
    truth = pred[pred["role"] == "heldout"][["chunk", "event"]].merge(pd.concat(
        [pd.read_csv(p) for p in chain["labels"]]).query("m_parent == 400"), on=["chunk", "event"])
    _, report = model.efficiencies(truth, "held-out", m_parent=400.0, m_lsp=0.0)
    assert report.fraction < 0.05 and report.mass_inside is True
    electrons = truth.assign(lep1_flavour=np.where(truth["lep1_flavour"] > 0, 11.0, truth["lep1_flavour"]))
    with caplog.at_level(logging.WARNING):
        eff, report = model.efficiencies(electrons, "electrons", m_parent=700.0, m_lsp=0.0)
    assert report.fraction > 0.9 and report.by_feature.get("lep1_flavour", 0) > 0 and report.mass_inside is False
    assert (eff["outside_domain_fraction"] > 0.9).all()
    assert "outside the surrogate's training ranges" in caplog.text and "mass point outside" in caplog.text
