"""End to end: an FxFx (NLO, negative weights) LHE slice ingested as a background of the tiny smuon run, through
shower + detector, cutflow, training, scan and the likelihood; and the start-up checks of ingested LHE files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from susyscan.eventio import read_events

REPO = Path(__file__).resolve().parents[2]
FXFX = REPO / "tests" / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"

pytestmark = pytest.mark.workflow


def _configure(work: Path, declare_energy: bool = True, n_events: int = 400) -> None:
    """The tiny config plus the FxFx slice as background 'dy_fxfx' (2 chunks), a looser MET cut so that Z events
    reach the features (no MET cut), one luminosity, the two training grid points only, and the scale envelope switched on
    for the pessimistic scenario."""
    grid = work / "tiny" / "grid.tsv"
    lines = grid.read_text().splitlines()
    grid.write_text("\n".join([lines[0]] + [line for line in lines[1:] if "\tyes\t" in line]) + "\n")
    samples = work / "tiny" / "samples.tsv"
    samples.write_text(samples.read_text().rstrip("\n") + f"\ndy_fxfx\tdy_fxfx\tingest\t{n_events}\t2\t{FXFX}\tsmuon\n")
    config_path = work / "tiny" / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    # no MET cut: Z -> mumu has no real MET, and with any cut the few events left depend on the chunk seeds
    # (met > 20 kept 0 of the 42 two-muon events of one seed and some of another's)
    config["analyses"]["smuon"]["cut_overrides"]["basic_met"] = "met > 0.0"
    config["statistics"]["luminosities_ifb"] = [139.0]
    config["statistics"]["scale_envelope_scenarios"] = ["pessimistic"]
    config["analyses"]["smuon"]["training"]["nn"]["epochs"] = 5
    if declare_energy:
        config["ingest"] = {"dy_fxfx": {"sqrt_s_gev": 7000.0}}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))


def test_fxfx_background_end_to_end(tmp_path: Path, tiny_workdir, snakemake_runner) -> None:
    work = tiny_workdir(tmp_path / "run")
    _configure(work)
    snakemake_runner(work, "results/tiny/limits/smuon/cls.csv", "results/tiny/analysis/smuon/cutflow.csv",
                     "results/tiny/limits/smuon/workspaces")
    metas = [read_events(work / f"results/tiny/events/dy_fxfx/chunk{c}.root")[1] for c in (0, 1)]
    assert [m["lhe"]["n_read"] for m in metas] == [200, 200] and metas[0]["first_event"] == 0
    assert metas[1]["first_event"] == 200
    for meta in metas:
        assert meta["lhe"]["scheme"] == "fxfx" and meta["sqrt_s_gev"] == 7000.0
        assert 0.05 < meta["lhe"]["negative_fraction"] < 0.35
        assert meta["sum_weights2"] > meta["sum_weights"] ** 2 / meta["n_events"]  # N_eff < N
    log = (work / "results/tiny/logs/ingest/dy_fxfx/chunk0.log").read_text()
    assert "scheme fxfx" in log and "header sum of XSECUP 3418.4 pb" in log
    cutflow = pd.read_csv(work / "results/tiny/analysis/smuon/cutflow.csv")
    assert {"dy_fxfx", "dy_fxfx_stat", "dy_fxfx_neff"} <= set(cutflow.columns)
    first = cutflow.iloc[0]
    sigma = sum(m["xsec_pb"] * m["sum_weights"] for m in metas) / sum(m["sum_weights"] for m in metas)
    # initial yield = merged sigma x L, to the 6 significant digits of cutflow.csv (%.6g: up to 5e-6 relative)
    assert first["dy_fxfx"] == pytest.approx(sigma * 1000.0 * 139.0, rel=5e-6)
    assert first["dy_fxfx_neff"] < sum(m["n_events"] for m in metas)
    features = pd.read_csv(work / "results/tiny/analysis/smuon/features/dy_fxfx.csv.gz")
    assert len(features) > 0
    background = pd.read_csv(work / "results/tiny/scan/smuon/background_yields.csv")
    assert "dy_fxfx" in set(background["process"])
    cls = pd.read_csv(work / "results/tiny/limits/smuon/cls.csv")
    assert cls["cls_exp"].between(0, 1).all() and (cls["bkg_fit_events"] > 0).all()
    envelopes = yaml.safe_load((work / "results/tiny/generation/smuon_scale_envelopes.json").read_text())
    assert envelopes["dy_fxfx"] is None  # this file has no LHEF 3 scale weights: the pessimistic flat 20 % stays
    pess = cls[(cls["scenario"] == "pessimistic") & (cls["region"] != "best")]
    assert all(math.isclose(v, 0.2) for v in pess["bkg_rel_unc"])
    assert list((work / "results/tiny/limits/smuon/workspaces").glob("bkgonly_*_139ifb_pessimistic.json"))


def test_startup_checks_of_an_lhe_background(tmp_path: Path, tiny_workdir, snakemake_dry_run) -> None:
    """Beam energy and event count are checked when the workflow is parsed, naming the sample and both numbers."""
    import subprocess
    import sys

    for declare, n_events, message in ((False, 400, "7000 GeV, the config says sqrt_s_gev = 13000"),
                                       (True, 700, "holds 600 events, but n_events = 700")):
        work = tiny_workdir(tmp_path / f"run_{declare}_{n_events}")
        _configure(work, declare_energy=declare, n_events=n_events)
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
               "--configfile", "tiny/config.yaml", "--dry-run", "--cores", "1"]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode != 0
        out = proc.stdout + proc.stderr
        assert "dy_fxfx" in out and message in out, out[-3000:]
