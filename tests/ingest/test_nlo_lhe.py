"""NLO and merged LHE files: scheme detection from real headers, Pythia set-up per scheme, beam energy, event
ranges, cross sections against the header, negative weights and LHEF 3 weights (tests/data/README.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from susyscan.errors import ConfigError, EventFileError
from susyscan.eventio import read_events
from susyscan.ingest import check_lhe_normalisation, ingest_file
from susyscan.ingest.lhe import read_header, read_header_only, shower_lhe
from susyscan.ingest.lhe_header import detect_scheme
from susyscan.ingest.lhe_setup import IngestOptions, scheme_setup

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events"
FXFX = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"
CKKWL = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-ckkwl-first600.lhe.gz"
MLM = EVENTS / "pylhe-testfile-madgraph-2.2.1-Z-mlm.lhe.gz"
POWHEG_Z = EVENTS / "pylhe-testfile-powheg-box-v2-Z.lhe"
POWHEG_HVQ = EVENTS / "pylhe-testfile-powheg-box-v2-hvq.lhe"
WBJ = EVENTS / "pylhe-testfile-madgraph-2.0.0-wbj.lhe"
TTBAR = EVENTS / "pylhe-testfile-pythia-6.413-ttbar.lhe"
CARD = Path(__file__).resolve().parents[2] / "resources" / "detector" / "atlas.yaml"


# --- what the headers say (no shower) ------------------------------------------------------------------


@pytest.mark.parametrize(("path", "scheme", "generator", "sqrt_s"), [
    (FXFX, "fxfx", "madgraph", 7000.0), (CKKWL, "ckkwl", "madgraph", 7000.0), (MLM, "mlm", "madgraph", 7000.0),
    (POWHEG_Z, "powheg", "powheg-box", 8000.0), (POWHEG_HVQ, "powheg", "powheg-box", 5020.0),
    (WBJ, "mcatnlo", "madgraph", 8000.0), (TTBAR, "none", "pythia", 1960.0),
])
def test_scheme_and_energy_from_header(path: Path, scheme: str, generator: str, sqrt_s: float) -> None:
    header, _ = read_header(path)
    assert detect_scheme(header, path) == scheme
    assert header.generator == generator and header.sqrt_s_gev == pytest.approx(sqrt_s)


def test_fxfx_header_facts_and_settings() -> None:
    header, scan = read_header(FXFX)
    assert header.nlo and header.ickkw == 3 and header.ptj == 10.0 and header.jet_multiplicities == (0, 1)
    assert header.idwtup == -4 and header.xsec_pb == pytest.approx(1103.1729 + 2315.2232)
    assert scan["n_events"] == 600 and scan["n_negative"] == 117  # 19.5 % negative in the slice (18.5 % in the file)
    setup = scheme_setup(header, IngestOptions(), str(FXFX))
    assert {"JetMatching:doFxFx = on", "JetMatching:qCutME = 10", "JetMatching:qCut = 20",
            "JetMatching:nJetMax = 1", "JetMatching:nQmatch = 4"} <= set(setup.settings)
    override = scheme_setup(header, IngestOptions(qcut=30.0, pythia_settings=("TimeShower:pTmaxFudge = 1.0",)),
                            str(FXFX))
    assert "JetMatching:qCut = 30" in override.settings and override.settings[-1] == "TimeShower:pTmaxFudge = 1.0"
    with pytest.raises(ConfigError, match="qcut = 8 GeV must exceed the run card's ptj = 10"):
        scheme_setup(header, IngestOptions(qcut=8.0), str(FXFX))


def test_mlm_matching_scale_above_xqcut_and_all_rapidities() -> None:
    header = read_header_only(MLM)
    assert header.xqcut == 10.0 and header.etaj == -1.0 and header.alpsfact == 1.0 and header.max_jet_flavor == 4
    setup = scheme_setup(header, IngestOptions(), str(MLM))
    # qCut = 1.5 x xqcut (not setMad's qCut = xqcut); no jet rapidity cut in the run card -> etaJetMax = 10
    assert {"JetMatching:setMad = off", "JetMatching:qCut = 15", "JetMatching:nQmatch = 4", "JetMatching:clFact = 1",
            "JetMatching:nJetMax = 2", "JetMatching:coneRadius = 1.0", "JetMatching:etaJetMax = 10"} <= set(setup.settings)
    assert setup.parameters["qcut_source"] == "1.5 x run card xqcut"
    assert "JetMatching:qCut = 12" in scheme_setup(header, IngestOptions(qcut=12.0), str(MLM)).settings
    with pytest.raises(ConfigError, match="qcut = 8 GeV lies below the generation cut xqcut = 10"):
        scheme_setup(header, IngestOptions(qcut=8.0), str(MLM))


def test_lhef3_weight_groups() -> None:
    wbj, _ = read_header(WBJ)
    assert [w.id for w in wbj.weights] == [str(i) for i in range(1001, 1010)]
    assert wbj.weights[1].scales == (1.0, 2.0) and wbj.weights[8].scales == (0.5, 0.5)
    hvq, _ = read_header(POWHEG_HVQ)
    groups = {w.group for w in hvq.weights}
    assert {"nominal", "scale_variations", "pdf_variations"} <= groups
    assert len(hvq.scale_weight_ids()) == 7  # nominal + 6 scale variations; PDF members are not scale variations


@pytest.mark.parametrize(("ickkw", "message"), [("4", "UNLOPS"), ("2", "ickkw = 2 .MadGraph CKKW")])
def test_unsupported_schemes_are_errors(tmp_path: Path, ickkw: str, message: str) -> None:
    text = gzip.decompress(FXFX.read_bytes()).decode()
    if ickkw == "2":  # a LO file with MadGraph's own CKKW
        text = gzip.decompress(CKKWL.read_bytes()).decode().replace("0        = ickkw", "2        = ickkw", 1)
    else:
        text = text.replace(" 3     = ickkw", " 4     = ickkw", 1)
    bad = tmp_path / "bad.lhe"
    bad.write_text(text)
    header, _ = read_header(bad)
    with pytest.raises(EventFileError, match=f"bad.lhe.*{message}"):
        detect_scheme(header, bad)
    with pytest.raises(EventFileError, match=message):
        shower_lhe(bad, n_events=5)


def test_ckkwl_needs_a_merging_scale() -> None:
    with pytest.raises(ConfigError, match="merging_scale"):
        shower_lhe(CKKWL, n_events=5)
    with pytest.raises(ConfigError, match="below the generation cut xqcut = 3"):
        shower_lhe(CKKWL, n_events=5, options={"merging_scale": 2.0})
    with pytest.raises(ConfigError, match="unknown key"):
        shower_lhe(CKKWL, n_events=5, options={"merging_scael": 15.0})


# --- beam energy and event ranges ------------------------------------------------------------------------


def test_beam_energy_mismatch_is_an_error_unless_declared(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match=r"ttbar.lhe.*1960 GeV.*13000 GeV"):
        shower_lhe(TTBAR, n_events=3, expected_sqrt_s_gev=13000.0)
    with pytest.raises(EventFileError, match=r"1960 GeV, but the sample declares sqrt_s_gev = 2000"):
        shower_lhe(TTBAR, n_events=3, expected_sqrt_s_gev=13000.0, options={"sqrt_s_gev": 2000.0})
    meta = ingest_file(TTBAR, tmp_path / "tt.root", {"sample": "tev_ttbar", "sqrt_s_gev": 13000.0}, card_path=CARD,
                       n_events=3, ingest_options={"sqrt_s_gev": 1960.0}, config_sqrt_s_gev=13000.0)
    assert meta["sqrt_s_gev"] == pytest.approx(1960.0) and meta["sqrt_s_source"] == "lhe file"
    assert read_events(tmp_path / "tt.root")[1]["sqrt_s_gev"] == pytest.approx(1960.0)
    with pytest.raises(EventFileError, match="sample 'tev_ttbar'.*1960"):
        ingest_file(TTBAR, tmp_path / "tt2.root", {"sample": "tev_ttbar"}, card_path=CARD, n_events=3,
                    config_sqrt_s_gev=13000.0)
    assert not (tmp_path / "tt2.root").exists()


def test_shortfall_and_chunk_past_the_end_name_both_numbers() -> None:
    with pytest.raises(EventFileError, match=r"holds 100 events, but events 0\.\.149 \(150\) were requested"):
        shower_lhe(TTBAR, n_events=150)
    with pytest.raises(EventFileError, match=r"holds 100 events, but events 90\.\.109 \(20\)"):
        shower_lhe(TTBAR, n_events=20, first_event=90)
    with pytest.raises(EventFileError, match="holds 100 events; this chunk starts at event 120, past the end"):
        shower_lhe(TTBAR, n_events=10, first_event=120)


def test_chunks_read_disjoint_event_ranges() -> None:
    """Merging vetoes do not shift the next chunk: each reads exactly its own LHE events."""
    first, info0 = shower_lhe(TTBAR, n_events=4, first_event=0, seed=1)
    second, info1 = shower_lhe(TTBAR, n_events=4, first_event=4, seed=1)
    assert info0["n_read"] == info1["n_read"] == 4 and info0["first_event"] == 0 and info1["first_event"] == 4
    tops0 = ak.to_numpy(ak.flatten(first.truth.pz[abs(first.truth.pid) == 6]))
    tops1 = ak.to_numpy(ak.flatten(second.truth.pz[abs(second.truth.pid) == 6]))
    assert not np.intersect1d(np.round(tops0, 3), np.round(tops1, 3)).size


# --- showers per scheme -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fxfx() -> tuple[ak.Array, dict]:
    return shower_lhe(FXFX, n_events=120, seed=4)


def test_fxfx_shower_keeps_negative_weights_and_reports_xsec(fxfx: tuple[ak.Array, dict]) -> None:
    events, info = fxfx
    weight = ak.to_numpy(events.weight)
    assert info["scheme"] == "fxfx" and info["n_read"] == 120 and 0.3 < info["acceptance"] < 0.95
    assert (weight < 0).any() and (weight > 0).any() and info["negative_fraction"] == pytest.approx(np.mean(weight < 0))
    assert np.allclose(np.abs(weight), 5394.4305)  # aMC@NLO: one |weight|, XWGTUP of the file
    # sigmaGen = sum of the signed weights of the showered events / LHE events read (event_norm = average)
    assert info["xsec_pb"] == pytest.approx(weight.sum() / info["n_read"], rel=1e-6)
    assert info["header_xsec_pb"] == pytest.approx(3418.3961)
    assert info["xsec_ratio_to_header"] == pytest.approx(info["xsec_pb"] / 3418.3961)
    assert info["n_effective"] < info["n_accepted"]


def test_ckkwl_shower_with_merging_scale() -> None:
    _, info = shower_lhe(CKKWL, n_events=60, seed=2, options={"merging_scale": 15.0})
    assert info["scheme"] == "ckkwl" and info["scheme_parameters"]["merging_scale"] == 15.0
    assert info["scheme_parameters"]["merging_process"] == "pp>LEPTONS,NEUTRINOS"
    assert 0 < info["n_accepted"] <= 60 and info["xsec_pb"] > 0
    assert info["scale_envelope"] is None  # Pythia's own merging weights are not the file's scale variations


def test_powheg_vetoed_shower() -> None:
    _, info = shower_lhe(POWHEG_Z, n_events=30, seed=3)
    assert info["scheme"] == "powheg" and info["n_accepted"] == 30
    counts = info["hook_counts"]
    assert counts["events"] == 30 and counts["isr_vetoes"] > 0  # shower starts at the kinematic limit, vetoed above SCALUP
    assert info["xsec_pb"] == pytest.approx(info["header_xsec_pb"], rel=0.1)


def test_lhef3_weights_give_a_scale_envelope() -> None:
    events, info = shower_lhe(WBJ, n_events=None, seed=1)
    assert info["scheme"] == "mcatnlo" and len(info["weight_names"]) == 10
    env = info["scale_envelope"]
    assert env["n_variations"] == 6  # 9 points minus (1,1), (0.5,2), (2,0.5)
    assert 0.02 < env["up"] < 0.3 and 0.02 < env["down"] < 0.3
    alt = ak.to_numpy(events.alt_weights)  # per-event alternative weights, named by info["weight_names"]
    assert alt.shape == (len(events), 10) and np.allclose(alt[:, 0], ak.to_numpy(events.weight))
    up = info["weight_names"].index("MUR0.5_MUF0.5")
    assert alt[:, up].sum() / alt[:, 1].sum() - 1 == pytest.approx(env["up"])  # muR = muF = 0.5 raises sigma most
    nominal = next(a for a in info["alt_weights"] if a["scales"] == [1.0, 1.0])
    assert nominal["sum_weights"] == pytest.approx(float(ak.sum(events.weight)), rel=1e-4)


def test_ingested_fxfx_metadata(tmp_path: Path) -> None:
    meta = ingest_file(FXFX, tmp_path / "z.root", {"sample": "z_fxfx", "process": "dy_fxfx"}, card_path=CARD,
                       first_event=100, n_events=40, ingest_options={"sqrt_s_gev": 7000.0}, config_sqrt_s_gev=13000.0)
    events, read = read_events(tmp_path / "z.root")
    assert read == meta and meta["lhe"]["scheme"] == "fxfx" and meta["lhe"]["n_read"] == 40
    assert meta["first_event"] == 100 and meta["sqrt_s_gev"] == 7000.0
    assert meta["sum_weights"] == pytest.approx(float(ak.sum(events.weight)))
    assert meta["sum_weights2"] == pytest.approx(float(ak.sum(events.weight ** 2)))
    assert "fxfx" in meta["xsec_source"] and "3418.4 pb" in meta["xsec_source"]


def test_cli_scheme_and_energy_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from susyscan.ingest.cli import ingest

    base = ["file", "--input", str(TTBAR), "--sample", "tev", "--n-events", "3"]
    runner = CliRunner()
    bad = runner.invoke(ingest, [*base, "--out", str(tmp_path / "a.root"), "--sqrt-s-gev", "13000"])
    assert bad.exit_code != 0 and "1960 GeV" in str(bad.exception)
    good = runner.invoke(ingest, [*base, "--out", str(tmp_path / "b.root"), "--sqrt-s-gev", "1960"])
    assert good.exit_code == 0, good.output
    forced = runner.invoke(ingest, ["file", "--input", str(CKKWL), "--sample", "z", "--n-events", "20",
                                    "--out", str(tmp_path / "c.root"), "--sqrt-s-gev", "7000",
                                    "--merging-scale", "20"])
    assert forced.exit_code == 0, forced.output
    assert read_events(tmp_path / "c.root")[1]["lhe"]["scheme_parameters"]["merging_scale"] == 20.0


def test_weights_in_another_convention_need_xsec_pb(tmp_path: Path) -> None:
    """The POWHEG hvq file was combined from parallel runs: |XWGTUP| = 1.1e7 against XSECUP = 7217 pb. Normalising
    to its weights would be 500x off: an error, unless the samples table gives xsec_pb."""
    with pytest.raises(EventFileError, match=r"hvq.lhe.*7217.2 pb .*set xsec_pb"):
        ingest_file(POWHEG_HVQ, tmp_path / "a.root", {"sample": "hvq"}, card_path=CARD,
                    ingest_options={"sqrt_s_gev": 5020.0})
    meta = ingest_file(POWHEG_HVQ, tmp_path / "b.root", {"sample": "hvq"}, card_path=CARD, xsec_pb=7217.2,
                       ingest_options={"sqrt_s_gev": 5020.0})
    assert meta["xsec_pb"] == 7217.2 and meta["lhe"]["negative_fraction"] == pytest.approx(2 / 6)


def _powheg_info(ratio: float, weights: np.ndarray) -> dict:
    """check_lhe_normalisation's input for showered events with these weights whose mean is ratio x the header's."""
    return {"scheme": "powheg", "header_xsec_pb": 100.0, "xsec_pb": 100.0 * ratio, "source": "f.lhe",
            "sum_weights": float(weights.sum()), "sum_weights2": float(np.square(weights).sum()),
            "n_accepted": len(weights)}


@pytest.mark.parametrize("ratio", [0.01, 0.5, 0.75, 1.3, 2.0, 3.0])
def test_normalisation_check_catches_a_factor_two_either_way(ratio: float) -> None:
    """1000 unweighted events (statistical error 3 %): two combined runs (r = 2) or half the header (r = 0.5) are
    errors; the old test (|r - 1| > max(1, ...)) let every r in (0, 2] through."""
    weights = np.full(1000, 100.0 * ratio)
    with pytest.raises(EventFileError, match=rf"f.lhe.*ratio {ratio:.3g}"):
        check_lhe_normalisation(_powheg_info(ratio, weights), "s")


def test_normalisation_check_accepts_header_precision_and_small_noisy_files() -> None:
    check_lhe_normalisation(_powheg_info(1.015, np.full(40, 101.5)), "s")  # the POWHEG-BOX Z test file
    many = np.full(100_000, 100.0)  # statistical error 0.3 %: the 20 % floor sets the threshold
    check_lhe_normalisation(_powheg_info(1.15, 1.15 * many), "s")
    with pytest.raises(EventFileError, match="ratio 1.25"):
        check_lhe_normalisation(_powheg_info(1.25, 1.25 * many), "s")
    rng = np.random.default_rng(1)
    noisy = rng.exponential(100.0, 10) * rng.choice([-1.0, 1.0], 10, p=[0.3, 0.7])  # 10 weighted events
    ratio = noisy.mean() / 100.0
    check_lhe_normalisation(_powheg_info(ratio, noisy), "s")  # within 5 standard errors of its own mean
    with pytest.raises(EventFileError, match="ratio"):
        check_lhe_normalisation(_powheg_info(ratio * 50, noisy * 50), "s")  # the hvq file's case, 50x
