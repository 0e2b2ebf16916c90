"""End to end: an FxFx (NLO, negative weights) LHE slice ingested as a background of the tiny smuon run, through
shower + detector, cutflow, training, scan and the likelihood; and the start-up checks of ingested LHE files.

The slice is given LHEF 3 scale weights (tests/data/synthetic_rwgt.py: each variation a fixed multiple of the event
weight, so the envelope of any region is 1.08 and 0.93 times its yield), which the pessimistic scenario takes as a
per-region systematic of the process (statistics.scale_envelope_scenarios); the generated backgrounds have none and
keep the flat 20 %."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from susyscan.eventio import read_events
from tests.data.synthetic_rwgt import ENVELOPE_DOWN, ENVELOPE_UP, add_scale_weights

REPO = Path(__file__).resolve().parents[2]
FXFX = REPO / "tests" / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"

pytestmark = pytest.mark.workflow


def _configure(work: Path, declare_energy: bool = True, n_events: int = 400) -> None:
    """The tiny config plus the FxFx slice as background 'dy_fxfx' (2 chunks), a looser MET cut so that Z events
    reach the features (no MET cut), one luminosity, the two training grid points only, and the scale envelope switched on
    for the pessimistic scenario; the slice carries synthetic LHEF 3 scale weights."""
    grid = work / "tiny" / "grid.tsv"
    lines = grid.read_text().splitlines()
    grid.write_text("\n".join([lines[0]] + [line for line in lines[1:] if "\tyes\t" in line]) + "\n")
    samples = work / "tiny" / "samples.tsv"
    lhe = add_scale_weights(FXFX, work / "fxfx_rwgt.lhe")
    samples.write_text(samples.read_text().rstrip("\n") + f"\ndy_fxfx\tdy_fxfx\tingest\t{n_events}\t2\t{lhe}\tsmuon\n")
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
    _check_scale_systematic(work, background, cls)


def _check_scale_systematic(work: Path, background: pd.DataFrame, cls: pd.DataFrame) -> None:
    """Per region, dy_fxfx's envelope (1.08 / 0.93 x its yield) is a histosys of the pessimistic workspaces and
    CLs; the generated backgrounds keep the flat 20 %."""
    import json

    import pyhf

    from susyscan.stats.model_spec import channel_name
    from susyscan.stats.workspaces import workspace_names

    log = (work / "results/tiny/logs/scan/smuon/background_scale_envelopes.log").read_text()
    assert all(f"sample {s}: no muR/muF scale weights" in log for s in ("ttbar", "ww", "zz"))
    env = pd.read_csv(work / "results/tiny/scan/smuon/background_scale_envelopes.csv")
    assert set(env["process"]) == {"dy_fxfx"} and (env["n_variations"] == 6).all()
    bkg = background.set_index(["region", "process"])["yield_pb"]
    events = 1000.0 * 139.0
    checked = 0
    for rec in env.itertuples(index=False):
        nominal = float(bkg[(rec.region, "dy_fxfx")])
        assert rec.yield_pb == pytest.approx(nominal, rel=1e-6, abs=1e-12)  # the same events as the yields
        low, high = sorted((ENVELOPE_DOWN * nominal, ENVELOPE_UP * nominal))
        assert (rec.up_pb, rec.down_pb) == (pytest.approx(high, rel=1e-5), pytest.approx(low, rel=1e-5))
        total = float(bkg[(rec.region, "total")])
        if not (nominal != 0 and total > 0):
            continue
        ws_dir = work / "results/tiny/limits/smuon/workspaces"
        spec = json.loads((ws_dir / workspace_names(139.0, "pessimistic", rec.region)[0]).read_text())
        sample = spec["channels"][0]["samples"][0]
        mods = {m["name"]: m for m in sample["modifiers"]}
        b = total * events
        assert sample["data"] == [pytest.approx(b)]
        assert mods["scale_dy_fxfx"]["type"] == "histosys"
        assert mods["scale_dy_fxfx"]["data"]["hi_data"] == [pytest.approx(b + (high - nominal) * events)]
        assert mods[f"bkg_unc_{channel_name(rec.region)}"]["data"] == [pytest.approx(0.2 * abs(total - nominal) * events)]
        model = pyhf.Workspace(spec).model(poi_name=None)
        pars = model.config.suggested_init()
        pars[model.config.par_slice("scale_dy_fxfx")] = [-1.0]
        assert float(model.expected_actualdata(pars)[0]) == pytest.approx(max(b - (nominal - low) * events, 1e-3 * b))
        rows = cls[(cls["scenario"] == "pessimistic") & (cls["region"] == rec.region)]
        want = math.hypot(0.2 * abs(total - nominal), max(high - nominal, nominal - low)) / total
        assert rows["bkg_rel_unc"].to_numpy() == pytest.approx(want) and rows["note"].str.contains("scale_dy_fxfx").all()
        opt = json.loads((ws_dir / workspace_names(139.0, "optimistic", rec.region)[0]).read_text())
        assert "scale_dy_fxfx" not in {m["name"] for m in opt["channels"][0]["samples"][0]["modifiers"]}
        checked += 1
    assert checked > 0, env
    without = set(cls["region"]) - set(env.loc[env["yield_pb"] != 0, "region"]) - {"best"}
    pess = cls[(cls["scenario"] == "pessimistic") & cls["region"].isin(without)]
    assert all(math.isclose(v, 0.2) for v in pess["bkg_rel_unc"])  # no dy_fxfx event: the flat 20 % exactly


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
