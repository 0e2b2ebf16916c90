"""Per-event alternative weights: event-file columns from real LHE files, the side table keyed by event, and the
per-region scale envelope as pyhf modifiers (docs/nlo_ingestion.md, "Per-event alternative weights")."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd
import pyhf
import pytest

from susyscan.errors import EventFileError, FeatureError
from susyscan.eventio import read_alt_weights, read_events, write_events
from susyscan.ingest import ingest_file
from susyscan.ingest.lhe import read_header, shower_lhe
from susyscan.ingest.weights import (
    alt_weight_table,
    join_alt_weights,
    per_event_norm,
    pyhf_scale_modifiers,
    region_scale_envelope,
    weight_columns,
)

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events"
WBJ = EVENTS / "pylhe-testfile-madgraph-2.0.0-wbj.lhe"  # aMC@NLO, LHEF 3, nine muR/muF weights per event
CKKWL = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-ckkwl-first600.lhe.gz"  # no LHE weights; Pythia's own variations
FXFX = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"
POWHEG_Z = EVENTS / "pylhe-testfile-powheg-box-v2-Z.lhe"
POWHEG_HVQ = EVENTS / "pylhe-testfile-powheg-box-v2-hvq.lhe"
CARD = Path(__file__).resolve().parents[2] / "resources" / "detector" / "atlas.yaml"
SCALE_COLUMNS = {"altw_muR1_muF1", "altw_muR1_muF2", "altw_muR1_muF0p5", "altw_muR2_muF1", "altw_muR2_muF2",
                 "altw_muR2_muF0p5", "altw_muR0p5_muF1", "altw_muR0p5_muF2", "altw_muR0p5_muF0p5"}


@pytest.fixture(scope="module")
def wbj_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wbj") / "chunk0.root"
    ingest_file(WBJ, out, {"sample": "wbj", "process": "wbj", "chunk": 0}, card_path=CARD, n_events=40,
                config_sqrt_s_gev=8000.0)
    return out


def test_lhef3_scale_weights_become_named_columns(wbj_file: Path) -> None:
    values, meta = read_alt_weights(wbj_file)
    events, _ = read_events(wbj_file)
    columns = meta["alt_weight_columns"]
    assert {c["column"] for c in columns} == SCALE_COLUMNS == set(values)
    assert all(c["kind"] == "scale" for c in columns)
    by_column = {c["column"]: c for c in columns}
    assert by_column["altw_muR0p5_muF2"]["scales"] == [0.5, 2.0] and by_column["altw_muR2_muF1"]["name"] == "MUR2.0_MUF1.0"
    weight = ak.to_numpy(events.weight)
    assert len(values["altw_muR1_muF1"]) == len(weight) == meta["n_events"]
    # the file's central weight is the nominal event weight (to the LHE file's 5 significant digits)
    np.testing.assert_allclose(values["altw_muR1_muF1"], weight, rtol=1e-4)
    assert not np.allclose(values["altw_muR0p5_muF0p5"], weight, rtol=1e-3)  # a real variation
    # the per-chunk sums of the metadata are the sums of the columns
    sums = {a["name"]: a["sum_weights"] for a in meta["alt_weights"]}
    assert values["altw_muR2_muF2"].sum() == pytest.approx(sums["MUR2.0_MUF2.0"])


def test_pythia_variation_weights_are_other_columns_and_unweighted_files_have_none(tmp_path: Path) -> None:
    meta = ingest_file(CKKWL, tmp_path / "ckkwl.root", {"sample": "z_ckkwl", "process": "dy"}, card_path=CARD,
                       n_events=40, ingest_options={"merging_scale": 15.0, "sqrt_s_gev": 7000.0})
    values, _ = read_alt_weights(tmp_path / "ckkwl.root")
    columns = meta["alt_weight_columns"]
    assert columns and all(c["kind"] == "other" for c in columns)  # CKKW-L shower variations, no LHE scale weights
    assert set(values) == {c["column"] for c in columns} and all(c.startswith("altw_") for c in values)
    assert {"altw_fsr_murfac_0p500000", "altw_isr_murfac_2p000000"} <= set(values)  # documented naming
    for path, n in ((FXFX, 20), (POWHEG_Z, 5)):  # the FxFx and POWHEG Z files carry no per-event weights
        meta = ingest_file(path, tmp_path / f"{path.stem}.root", {"sample": "s", "process": "p"}, card_path=CARD,
                           n_events=n, ingest_options={"sqrt_s_gev": read_header(path)[0].sqrt_s_gev})
        assert meta["alt_weight_columns"] == [] and read_alt_weights(tmp_path / f"{path.stem}.root")[0] == {}


def test_pdf_members_of_a_real_header_get_pdf_columns() -> None:
    header, _ = read_header(POWHEG_HVQ)  # scale and PDF weight groups in <initrwgt>
    names = ["Weight", *(w.id for w in header.weights)]
    columns = weight_columns(names, header)
    kinds = {c["column"]: c["kind"] for c in columns}
    assert kinds["altw_muR2_muF2"] == "scale" and kinds["altw_muR1_muF1"] == "scale"
    assert kinds["altw_pdf_99208083"] == "pdf" and sum(k == "pdf" for k in kinds.values()) == len(header.weights) - 7


def test_powheg_weights_block_gives_scale_and_pdf_columns(tmp_path: Path) -> None:
    """The POWHEG hvq file keeps its per-event weights in an old-style <weights> block (Pythia ignores it): rewritten
    as <rwgt> with the <initrwgt> ids, all 45 become columns (7 scale points incl. the central one, 38 PDF members)."""
    meta = ingest_file(POWHEG_HVQ, tmp_path / "hvq.root", {"sample": "hvq", "process": "ttbar"}, card_path=CARD,
                       xsec_pb=7217.0, ingest_options={"sqrt_s_gev": 5020.0})
    values, _ = read_alt_weights(tmp_path / "hvq.root")
    events, _ = read_events(tmp_path / "hvq.root")
    kinds = [c["kind"] for c in meta["alt_weight_columns"]]
    assert kinds.count("scale") == 7 and kinds.count("pdf") == 38 and len(values) == 45
    assert "altw_pdf_99208120" in values and meta["lhe"]["scale_envelope"]["n_variations"] == 6
    np.testing.assert_allclose(values["altw_muR1_muF1"], ak.to_numpy(events.weight), rtol=1e-3)  # 5 digits in the file
    assert np.any(np.abs(values["altw_pdf_99208090"] / ak.to_numpy(events.weight) - 1) > 1e-3)


def test_weights_block_of_the_wrong_length_is_an_error(tmp_path: Path) -> None:
    text = POWHEG_HVQ.read_text()
    start = text.index("<weights>")
    broken = tmp_path / "hvq_broken.lhe"
    broken.write_text(text[:start] + "<weights>\n1.0\n" + text[start + len("<weights>"):])  # 46 values, 45 ids
    with pytest.raises(EventFileError, match="event 0 has 46 values in its <weights> block"):
        shower_lhe(broken, seed=1, options={"sqrt_s_gev": 5020.0})


def test_writer_refuses_undescribed_weight_columns(wbj_file: Path, tmp_path: Path) -> None:
    events, meta = read_events(wbj_file)
    extra = ak.with_field(events, np.ones(len(events)), "altw_muR3_muF3")
    with pytest.raises(EventFileError, match="altw_muR3_muF3"):
        write_events(tmp_path / "bad.root", extra, {**meta, "alt_weight_columns": []})


def _hand_made() -> tuple[pd.DataFrame, list[dict]]:
    """Four selected events in two regions; (0.5, 2) is far off and must stay out of the envelope."""
    frame = pd.DataFrame({
        "gen_weight": [1.0, 2.0, 1.0, -0.5], "SR_a": [1, 1, 0, 1], "SR_b": [0, 1, 1, 0],
        "altw_muR1_muF1": [1.0, 2.0, 1.0, -0.5], "altw_muR2_muF2": [0.8, 1.5, 0.9, -0.4],
        "altw_muR0p5_muF0p5": [1.3, 2.2, 1.2, -0.7], "altw_muR0p5_muF2": [9.0, 9.0, 9.0, 9.0],
    })
    columns = [{"column": "altw_muR1_muF1", "kind": "scale", "scales": [1.0, 1.0]},
               {"column": "altw_muR2_muF2", "kind": "scale", "scales": [2.0, 2.0]},
               {"column": "altw_muR0p5_muF0p5", "kind": "scale", "scales": [0.5, 0.5]},
               {"column": "altw_muR0p5_muF2", "kind": "scale", "scales": [0.5, 2.0]}]
    return frame, columns


def test_per_region_envelope_on_a_hand_made_case() -> None:
    frame, columns = _hand_made()
    env = region_scale_envelope(frame, ["SR_a", "SR_b"], columns, norm=2.0).set_index("region")
    # SR_a: events 0, 1, 3 -> nominal 2 x 2.5 = 5; (2,2): 2 x 1.9 = 3.8; (0.5,0.5): 2 x 2.8 = 5.6
    assert env.loc["SR_a", "nominal"] == pytest.approx(5.0)
    assert env.loc["SR_a", "up"] == pytest.approx(5.6) and env.loc["SR_a", "down"] == pytest.approx(3.8)
    assert env.loc["SR_a", "rel_up"] == pytest.approx(0.12) and env.loc["SR_a", "rel_down"] == pytest.approx(0.24)
    # SR_b: events 1, 2 -> nominal 6; (2,2): 4.8; (0.5,0.5): 6.8: a different shape than SR_a
    assert (env.loc["SR_b", "nominal"], env.loc["SR_b", "up"], env.loc["SR_b", "down"]) == pytest.approx((6.0, 6.8, 4.8))
    assert env.loc["SR_a", "n_variations"] == 2
    with pytest.raises(FeatureError, match="altw_muR2_muF2"):
        region_scale_envelope(frame.drop(columns="altw_muR2_muF2"), ["SR_a"], columns)
    # the same from boolean masks (score-cut regions) and a per-row norm read off a merged table's weight_pb
    merged = frame.assign(weight_pb=2.0 * frame["gen_weight"])
    masks = {"SR_a": frame["SR_a"].to_numpy() == 1, "SR_b": frame["SR_b"].to_numpy() == 1}
    again = region_scale_envelope(merged, masks, columns, norm=per_event_norm(merged)).set_index("region")
    pd.testing.assert_frame_equal(again, env)


def test_envelope_modifiers_build_a_pyhf_model_with_per_region_shapes() -> None:
    frame, columns = _hand_made()
    env = region_scale_envelope(frame, ["SR_a", "SR_b"], columns, norm=2.0)
    for kind in ("normsys", "histosys"):
        mods = pyhf_scale_modifiers(env, "scale_dy", kind=kind)
        nominal = env.set_index("region")["nominal"]
        spec = {"channels": [{"name": region, "samples": [
            {"name": "dy", "data": [float(nominal[region])], "modifiers": [mods[region]]},
            {"name": "signal", "data": [1.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]}]}
            for region in ("SR_a", "SR_b")]}
        model = pyhf.Model(spec, poi_name="mu")
        pars = np.array(model.config.suggested_init(), dtype=float)
        pars[model.config.poi_index] = 0.0
        alpha = model.config.par_slice("scale_dy")
        for value, expected in ((1.0, (5.6, 6.8)), (-1.0, (3.8, 4.8)), (0.0, (5.0, 6.0))):
            pars[alpha] = value
            assert model.expected_actualdata(pars) == pytest.approx(expected)  # one parameter, two region shapes


def test_side_table_joins_feature_rows_by_event(wbj_file: Path) -> None:
    table, columns = alt_weight_table([wbj_file])
    values, _ = read_alt_weights(wbj_file)
    events, _ = read_events(wbj_file)
    picked = np.array([3, 0, 7, 11])  # selected events of a feature CSV, in any order
    features = pd.DataFrame({"sample": "wbj", "chunk": 0, "event": picked, "gen_weight": ak.to_numpy(events.weight)[picked],
                             "SR": [1, 1, 0, 1]})
    joined = join_alt_weights(features, table)
    np.testing.assert_array_equal(joined["altw_muR2_muF2"].to_numpy(), values["altw_muR2_muF2"][picked])
    env = region_scale_envelope(joined, ["SR"], columns).iloc[0]
    inside = picked[[0, 1, 3]]
    varied = [values[c][inside].sum() for c in SCALE_COLUMNS - {"altw_muR0p5_muF2", "altw_muR2_muF0p5"}]
    assert env["up"] == pytest.approx(max(varied)) and env["down"] == pytest.approx(min(varied))
    with pytest.raises(FeatureError, match="without alternative weights"):
        join_alt_weights(features.assign(event=picked + 1000), table)
