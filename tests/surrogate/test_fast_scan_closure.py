"""Small-scale closure: fast-scan exclusion agrees with the full chain's within the surrogate's stated uncertainty.

Full chain per point (Pythia with shower, detector, preselection and features, scan of the cut-and-count regions),
truth features by regeneration, labels, surrogate training with held-out points, validation (the uncertainty u),
then the fast scan (hard process only + surrogate) at the same points, CLs for both with the same background, and
the point-by-point agreement.  The NN/BDT regions need trained networks and take the same path in the workflow;
here the cut-and-count regions keep the test self-contained.  The background per region is an input of the
limit (5 events at 10/fb with a 20 % uncertainty), not something the test checks; the luminosity is chosen so
that the grid has both excluded and allowed points, so that the comparison can fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

CARD = Path(__file__).resolve().parents[2] / "resources" / "detector" / "atlas.yaml"
ANALYSIS = Path(__file__).resolve().parents[2] / "config" / "analyses" / "smuon.yaml"
REGIONS = [{"name": "Static jet veto", "kind": "flag", "column": "sr_static_jet_veto"}] + [
    {"name": f"Dynamic veto {i}", "kind": "flag", "column": f"sr_dynamic_veto_{i}"} for i in (1, 3, 6)]
POINTS = [(150.0, 0.0), (250.0, 0.0), (350.0, 0.0), (450.0, 0.0), (250.0, 100.0), (350.0, 100.0), (450.0, 200.0),
          (300.0, 0.0), (350.0, 200.0)]
HELDOUT = [(300.0, 0.0), (350.0, 200.0)]
N_EVENTS = 500
LUMI = 10.0
BKG_EVENTS = 5.0


@pytest.mark.slow
def test_fast_scan_agrees_with_full_chain(tmp_path: Path) -> None:
    from susyscan.analysis.merge import merge_features
    from susyscan.analysis.select import select_features
    from susyscan.generation.chunk import generate_chunk
    from susyscan.plotting.contours import BEST
    from susyscan.scan.yields import compute_point_yields
    from susyscan.stats.inputs import background_for_limits
    from susyscan.stats.limits import cls_table
    from susyscan.surrogate.compare import agreement_table
    from susyscan.surrogate.fastscan import run_fast_scan
    from susyscan.surrogate.labels import sample_labels
    from susyscan.surrogate.regenerate import chunk_truth_features
    from susyscan.surrogate.train import TrainSettings, run_training
    from susyscan.surrogate.validate import run_validation

    label_paths, yield_paths = [], []
    for m_parent, m_lsp in POINTS:
        name = f"smuon_{m_parent:g}_{m_lsp:g}"
        spec = {"name": name, "process": "smuon_R", "masses": {"m_smuon": m_parent, "m_neutralino": m_lsp}}
        events = tmp_path / f"{name}.root"
        generate_chunk(spec, 0, N_EVENTS, 99, events, CARD)
        select_features(events, ANALYSIS, tmp_path / f"{name}.c0.csv.gz", tmp_path / f"{name}.c0.json")
        merge_features([tmp_path / f"{name}.c0.csv.gz"], [tmp_path / f"{name}.c0.json"], tmp_path / f"{name}.csv.gz")
        yield_paths.append(tmp_path / f"{name}.yields.csv")
        compute_point_yields(tmp_path / f"{name}.csv.gz", yield_paths[-1], REGIONS, masses=(m_parent, m_lsp))
        truth = tmp_path / f"{name}.truth.csv.gz"
        chunk_truth_features(events).to_csv(truth, index=False)
        label_paths.append(tmp_path / f"{name}.labels.csv.gz")
        sample_labels([truth], tmp_path / f"{name}.csv.gz", REGIONS).to_csv(label_paths[-1], index=False)
    run_training(label_paths, tmp_path / "model", [list(p) for p in HELDOUT], TrainSettings(n_estimators=100, seed=2),
                 compare_isr=False)
    regions = json.loads((tmp_path / "model" / "parity.json").read_text())["regions"]
    run_validation(tmp_path / "model" / "predictions.csv.gz", regions, tmp_path / "v.csv", tmp_path / "v.md",
                   tmp_path / "u.json", tmp_path / "c.png")
    u = json.loads((tmp_path / "u.json").read_text())["surrogate"]["rms"]
    assert u is not None and u < 0.5, (tmp_path / "v.md").read_text()

    names = [r["name"] for r in REGIONS]
    bkg_pb = BKG_EVENTS / (1000.0 * LUMI)
    background = pd.DataFrame([{"region": r, "process": p, "yield_pb": bkg_pb, "stat_pb": 0.0, "n_raw": 100,
                                "min_event_weight_pb": bkg_pb / 100, "max_event_weight_pb": bkg_pb / 100}
                               for r in names for p in ("bkg", "total")])
    background.to_csv(tmp_path / "bkg.csv", index=False)
    bkg = background_for_limits(tmp_path / "bkg.csv")
    scenarios = {"pessimistic": 0.2}
    full = cls_table(pd.concat(pd.read_csv(p) for p in yield_paths), bkg, [LUMI], scenarios)
    tables, _ = run_fast_scan(tmp_path / "model" / "model.onnx", POINTS, "smuon_R", 1000, 7, names,
                              scales={"nominal": 1.0, "down": 1.0 - u, "up": 1.0 + u})
    fast = {k: cls_table(v, bkg, [LUMI], scenarios) for k, v in tables.items()}
    table = agreement_table(full, fast, LUMI, "pessimistic", BEST, fast_yields=tables["nominal"])
    print(f"surrogate uncertainty {u:.3f}\n{table.to_string()}")  # shown with pytest -s
    assert table["excluded_full"].any() and not table["excluded_full"].all(), table
    assert table["validated"].sum() >= len(POINTS) - 2, table.to_string()
    assert table.loc[table["validated"], "agrees"].all(), table.to_string()
