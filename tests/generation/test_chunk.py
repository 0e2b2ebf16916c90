"""generate_chunk (and LHE files through susyscan.ingest): event file with contract metadata and normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("susyscan.detector")
pytest.importorskip("susyscan.eventio")

from susyscan.errors import CrossSectionRangeError  # noqa: E402
from susyscan.eventio import METADATA_KEYS, read_events  # noqa: E402
from susyscan.generation.chunk import generate_chunk  # noqa: E402
from susyscan.generation.xsec import lookup  # noqa: E402

Z_MLM = Path(__file__).resolve().parents[1] / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-mlm.lhe.gz"


def test_signal_chunk_metadata_and_normalisation(tmp_path: Path) -> None:
    spec = {"name": "smuon_R_300_100", "process": "smuon_R", "masses": {"m_smuon": 300, "m_neutralino": 100}}
    meta = generate_chunk(spec, 2, 60, 7, tmp_path / "c.root", None)
    events, read_meta = read_events(tmp_path / "c.root")
    assert len(events) == 60 and read_meta["n_events"] == 60
    assert set(METADATA_KEYS) <= set(read_meta)
    assert read_meta["xsec_pb"] == pytest.approx(lookup("pp13_slep_R_NLO+NLL_PDF4LHC.json", 300.0)[0])
    assert 0 < read_meta["xsec_lo_pb"] < read_meta["xsec_pb"]
    assert read_meta["masses"] == {"m_smuon": 300.0, "m_neutralino": 100.0}
    assert meta["seed"] == read_meta["seed"] != 7
    # the truth branches came through: two smuons per event at the generated mass
    smuon_mass = np.concatenate([m[np.abs(p) == 2000013] for m, p in zip(events.truth_mass, events.truth_pid)])
    assert np.median(smuon_mass) == pytest.approx(300.0, abs=3.0)
    assert not list(tmp_path.glob("*.tmp"))


def test_signal_outside_table_fails_before_generating(tmp_path: Path) -> None:
    spec = {"name": "smuon_far", "process": "smuon_R", "masses": {"m_smuon": 2000, "m_neutralino": 0}}
    with pytest.raises(CrossSectionRangeError, match="smuon_far.*pp13_slep_R"):
        generate_chunk(spec, 0, 10, 1, tmp_path / "x.root", None)
    assert not (tmp_path / "x.root").exists()


@pytest.mark.skipif(not Z_MLM.exists(), reason="reference LHE file not available")
def test_lhe_file_goes_through_the_one_ingest_path(tmp_path: Path) -> None:
    """LHE showering is reachable one way: susyscan.ingest (no generation-side copy, no import cycle)."""
    import susyscan.generation.chunk as chunk
    from susyscan.ingest import ingest_file

    assert not hasattr(chunk, "ingest_lhe_chunk")
    ingest_file(Z_MLM, tmp_path / "z.root", {"sample": "z_mlm", "process": "z_jets"}, n_events=50, seed=3)
    events, meta = read_events(tmp_path / "z.root")
    # 50 LHE events read, MLM vetoes some; the LHE bookkeeping (scheme, header cross section) is in the metadata
    assert 0 < len(events) < 50 and meta["lhe"]["n_read"] == 50 and meta["sqrt_s_gev"] == 7000.0
    assert meta["lhe"]["scheme"] == "mlm" and 0.2 < meta["lhe"]["acceptance"] < 0.8
    assert meta["xsec_pb"] == meta["xsec_lo_pb"] and "mlm" in meta["xsec_source"]


def test_chunk_loads_the_detector_card_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulation and the tau truth-tagging metadata use the same loaded card (one load per chunk)."""
    import susyscan.detector as detector
    from susyscan.eventio.schema import TAU_TAG_WEIGHT, TAU_TRUTH_TAG_METADATA_KEY

    loads: list[object] = []
    load_card = detector.load_card

    def counting_load_card(*args: object, **kwargs: object) -> detector.DetectorCard:
        loads.append(args)
        return load_card(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(detector, "load_card", counting_load_card)
    spec = {"name": "smuon_R_300_100", "process": "smuon_R", "masses": {"m_smuon": 300, "m_neutralino": 100}}
    meta = generate_chunk(spec, 0, 10, 7, tmp_path / "c.root", None, card_overrides={"jets": {"pt_min": 25.0}},
                          detector_options={"tau_truth_tagging": True})
    events, _ = read_events(tmp_path / "c.root")
    assert TAU_TAG_WEIGHT in events.fields and len(loads) == 1
    assert meta[TAU_TRUTH_TAG_METADATA_KEY]["candidate_pt_min"] == 25.0  # the overridden card's, not the default's
