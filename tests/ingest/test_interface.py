"""read_events_any dispatch and ingest_file end to end (HepMC -> detector -> event file; Delphes -> event file);
tau truth tagging (config ``detector.tau_truth_tagging``) on the ingest path: particle-level files get the
truth-tagged taus of generated chunks (same simulate() code: factor branch + metadata, every other branch
unchanged); a Delphes file, tagged by Delphes already, is refused per chunk and at start-up, naming sample and key."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest

from susyscan.analysis.tautruth import truth_tag_factor
from susyscan.errors import ConfigError, EventFileError
from susyscan.eventio import read_events
from susyscan.eventio.schema import TAU_TAG_WEIGHT, TAU_TRUTH_TAG_METADATA_KEY
from susyscan.ingest import chunk_range, chunk_seed, detect_kind, ingest_file, ingest_from_snakemake, read_events_any
from susyscan.ingest.startup import check_ingested_samples



def _sibling(name: str) -> Any:
    """Load a sibling test module by path (pytest runs with --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(f"tests_ingest_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_delphes_like = _sibling("test_delphes").write_delphes_like
_hepmc = _sibling("test_hepmc")
XSEC_PB, write_z_hepmc = _hepmc.XSEC_PB, _hepmc.write_z_hepmc

REFERENCE_TTBAR = Path(__file__).resolve().parents[1] / "data" / "events" / "pylhe-testfile-pythia-6.413-ttbar.lhe"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.lhe", "lhe"), ("a.lhe.gz", "lhe"), ("b.hepmc", "hepmc"), ("b.HEPMC3", "hepmc"), ("b.hepmc3.gz", "hepmc"),
     ("c.root", "delphes")],
)
def test_detect_kind(name: str, kind: str) -> None:
    assert detect_kind(name) == kind


def test_unknown_extension_is_clear() -> None:
    with pytest.raises(EventFileError, match=r"x\.txt.*unknown extension"):
        read_events_any("x.txt")
    with pytest.raises(EventFileError, match="unknown kind 'csv'"):
        read_events_any("x.root", kind="csv")


def test_dispatch_levels(tmp_path: Path) -> None:
    _, info = read_events_any(write_z_hepmc(tmp_path / "z.hepmc"))
    assert info["level"] == "particle" and info["kind"] == "hepmc"
    _, info = read_events_any(write_delphes_like(tmp_path / "d.root"))
    assert info["level"] == "reconstructed" and info["kind"] == "delphes"
    # kind given explicitly overrides the extension
    _, info = read_events_any(write_z_hepmc(tmp_path / "z.dat"), kind="hepmc")
    assert info["kind"] == "hepmc"


def test_ingest_hepmc_through_detector(tmp_path: Path) -> None:
    out = tmp_path / "events" / "zmumu" / "chunk0.root"
    meta = ingest_file(write_z_hepmc(tmp_path / "z.hepmc"), out, {"sample": "zmumu", "process": "dy"}, seed=3)
    events, read_meta = read_events(out)
    assert read_meta == meta and meta["xsec_pb"] == pytest.approx(XSEC_PB) and meta["xsec_source"] == "hepmc file"
    assert meta["n_events"] == 20 and meta["sum_weights"] == pytest.approx(20.0)
    n_mu = ak.to_numpy(ak.num(events.muon_pt))
    assert n_mu.mean() > 1.5  # two central muons, ~94% efficiency each (|eta| beyond 2.5 lost)
    two = events[n_mu == 2]
    assert ak.all(two.muon_charge[:, 0] + two.muon_charge[:, 1] == 0)
    assert ak.all(ak.num(events.truth_pid) == 3)


def test_ingest_config_xsec_wins_and_missing_xsec(tmp_path: Path) -> None:
    out = tmp_path / "d.root"
    meta = ingest_file(write_delphes_like(tmp_path / "d_in.root"), out, {"sample": "user"}, xsec_pb=2.5, xsec_source="user config")
    assert meta["xsec_pb"] == 2.5 and meta["xsec_source"] == "user config" and meta["detector_card"].startswith("delphes")
    assert read_events(out)[1]["sum_weights"] == pytest.approx(4.0)
    with pytest.raises(ConfigError, match="no cross section"):
        ingest_file(tmp_path / "d_in.root", tmp_path / "e.root", {"sample": "user"})
    with pytest.raises(EventFileError, match="already reconstructed"):
        ingest_file(tmp_path / "d_in.root", tmp_path / "f.root", {"sample": "user"}, xsec_pb=1.0, require_particle_level=True)
    assert not (tmp_path / "e.root").exists() and not (tmp_path / "f.root").exists()


class _Named(dict):
    """Minimal stand-in for snakemake's Namedlist (attribute and .get access)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def test_snakemake_adapter(tmp_path: Path) -> None:
    smk = type("Smk", (), {})()
    smk.input = _Named(events=str(write_z_hepmc(tmp_path / "z.hepmc")))
    smk.output = _Named(events=str(tmp_path / "out.root"))
    smk.params = _Named(sample="zmumu", process="dy", chunk=2, seed=5, xsec_pb=100.0, pfcand_pt_min=2.0)
    smk.log = []
    meta = ingest_from_snakemake(smk, require_particle_level=True)
    events, _ = read_events(tmp_path / "out.root")
    assert meta["chunk"] == 2 and meta["seed"] == chunk_seed(5, "zmumu", 2) and meta["xsec_pb"] == 100.0
    assert ak.all(events.pfcand_pt > 2.0) and meta["n_events"] == 20


def test_snakemake_adapter_rule_form_chunks(tmp_path: Path) -> None:
    """The rule form: input.source, params.sample = sample spec dict, params.detector = config section."""
    source = str(write_z_hepmc(tmp_path / "z.hepmc"))
    spec = {"name": "zuser", "process": "dy", "source": "ingest", "n_events": 20, "n_chunks": 3, "path": source,
            "is_signal": False, "masses": {}}
    weights = []
    for chunk in range(3):
        smk = type("Smk", (), {})()
        smk.input = _Named(source=source)
        smk.output = _Named(events=str(tmp_path / f"chunk{chunk}.root"))
        smk.params = _Named(sample=spec, n_events=chunk_range(20, 3, chunk)[1], seed=1, config_hash="abc",
                            detector={"card": "resources/detector/atlas.yaml", "large_jet_radius": 0.8,
                                      "pfcand_pt_min": 1.0})
        smk.wildcards = _Named(chunk=str(chunk))
        meta = ingest_from_snakemake(smk, require_particle_level=False)
        assert meta["first_event"] == chunk_range(20, 3, chunk)[0] and meta["config_hash"] == "abc"
        weights += ak.to_list(read_events(tmp_path / f"chunk{chunk}.root")[0].weight)
    assert weights == [0.5 + i % 2 for i in range(20)]  # the chunks tile the file exactly once


def test_chunk_range_and_seed() -> None:
    assert [chunk_range(10, 3, c) for c in range(3)] == [(0, 4), (4, 3), (7, 3)]
    with pytest.raises(ConfigError, match="chunk 3"):
        chunk_range(10, 3, 3)
    assert chunk_seed(1, "a", 0) == chunk_seed(1, "a", 0) != chunk_seed(1, "a", 1)
    assert 1 <= chunk_seed(2**31, "b", 7) <= 900_000_000


@pytest.mark.skipif(not REFERENCE_TTBAR.exists(), reason="reference LHE file not available")
def test_lhe_dispatch_showers_few_events(tmp_path: Path) -> None:
    events, info = read_events_any(REFERENCE_TTBAR, n_events=3, seed=1)
    assert info["level"] == "particle" and len(events) == 3
    assert ak.all(ak.num(events.particles) > 50)
    reco_meta = ingest_file(REFERENCE_TTBAR, tmp_path / "tt.root", {"sample": "ttbar"}, xsec_pb=800.0,
                            reader_opts={"n_events": 3})
    assert reco_meta["n_events"] == 3
    events, _ = read_events(tmp_path / "tt.root")
    assert int(ak.sum(ak.num(events.jet_pt))) >= 6  # ttbar: several jets per event
    assert np.all(ak.to_numpy(events.met) >= 0)


def test_cli_ingest_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from susyscan.ingest.cli import ingest

    runner = CliRunner()
    assert runner.invoke(ingest, ["file", "--help"]).exit_code == 0
    out = tmp_path / "cli.root"
    result = runner.invoke(ingest, ["file", "--input", str(write_z_hepmc(tmp_path / "z.hepmc")), "--out", str(out),
                                    "--sample", "zcli", "--n-events", "7"])
    assert result.exit_code == 0, result.output
    assert '"n_events": 7' in result.output and read_events(out)[1]["sample"] == "zcli"
    assert runner.invoke(ingest, ["inspect", str(out)]).exit_code == 0


def _ingest(source: Path, out: Path, truth: bool) -> dict[str, Any]:
    smk = type("Smk", (), {})()
    smk.input, smk.output = _Named(source=str(source)), _Named(events=str(out))
    smk.params = _Named(sample={"name": "zuser", "process": "dy"}, seed=4, xsec_pb=10.0,
                        detector={"card": "resources/detector/atlas.yaml", "large_jet_radius": 1.0,
                                  "pfcand_pt_min": 1.0, "tau_truth_tagging": truth})
    return ingest_from_snakemake(smk, require_particle_level=False)


def test_hepmc_ingest_truth_tags_with_the_generation_code(tmp_path: Path) -> None:
    source = write_z_hepmc(tmp_path / "z.hepmc")
    plain_meta = _ingest(source, tmp_path / "plain.root", truth=False)
    meta = _ingest(source, tmp_path / "truth.root", truth=True)
    plain, _ = read_events(tmp_path / "plain.root")
    events, read_meta = read_events(tmp_path / "truth.root")
    assert TAU_TRUTH_TAG_METADATA_KEY not in plain_meta and TAU_TAG_WEIGHT not in plain.fields
    assert read_meta[TAU_TRUTH_TAG_METADATA_KEY]["weight_branch"] == TAU_TAG_WEIGHT == meta[TAU_TRUTH_TAG_METADATA_KEY][
        "weight_branch"]
    factor = truth_tag_factor(events, read_meta, "test")     # the analysis accepts branch + metadata together
    assert factor is not None and len(factor) == len(events) and np.all((factor >= 0) & (factor <= 1))
    assert np.all(ak.to_numpy(ak.num(events.tau_pt)) <= 1)
    for field in plain.fields:            # one extra U(0, 1) per event, drawn last: every non-tau branch unchanged
        if not field.startswith("tau_"):
            assert ak.all(plain[field] == events[field]), field


@pytest.mark.skipif(not REFERENCE_TTBAR.exists(), reason="reference LHE file not available")
def test_lhe_ingest_truth_tags_jets(tmp_path: Path) -> None:
    meta = ingest_file(REFERENCE_TTBAR, tmp_path / "tt.root", {"sample": "ttbar"}, xsec_pb=800.0,
                       reader_opts={"n_events": 3}, tau_truth_tagging=True)
    events, _ = read_events(tmp_path / "tt.root")
    assert meta[TAU_TRUTH_TAG_METADATA_KEY]["candidate_pt_min"] > 0
    factor = ak.to_numpy(events[TAU_TAG_WEIGHT])
    assert np.all((factor > 0) & (factor <= 1))    # every ttbar event has a candidate jet (fake or true tau)
    assert np.array_equal(ak.to_numpy(ak.num(events.tau_pt)), (factor > 0).astype(int))


def test_delphes_is_refused_per_chunk_and_at_startup(tmp_path: Path) -> None:
    path = write_delphes_like(tmp_path / "d.root")
    with pytest.raises(ConfigError, match="sample 'user'.*detector.tau_truth_tagging.*Delphes"):
        ingest_file(path, tmp_path / "out.root", {"sample": "user"}, xsec_pb=1.0, tau_truth_tagging=True)
    assert not (tmp_path / "out.root").exists()
    ingest_file(path, tmp_path / "out.root", {"sample": "user"}, xsec_pb=1.0)    # off: Delphes' own tags kept
    sample = type("S", (), {"name": "user_delphes", "source": "ingest", "path": str(path), "n_events": 3})()
    check_ingested_samples([sample], {"detector": {"tau_truth_tagging": False}, "sqrt_s_gev": 13000.0}, tmp_path)
    with pytest.raises(ConfigError, match="sample 'user_delphes'.*'detector.tau_truth_tagging'.*Delphes"):
        check_ingested_samples([sample], {"detector": {"tau_truth_tagging": True}, "sqrt_s_gev": 13000.0}, tmp_path)
