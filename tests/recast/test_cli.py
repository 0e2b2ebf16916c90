"""The ``susyscan recast`` commands chained on synthetic yields: limits -> plots -> refine -> multi."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from susyscan.cli import main
from susyscan.recast.yields import YIELD_COLUMNS
from tests.recast.conftest import RECAST_YAML, REPO


def test_limits_plots_refine_multi_chain(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(REPO)  # the recast YAML names its published table relative to the repository
    paths = []
    for m_parent, m_lsp, signal in [(200, 0, 60.0), (400, 0, 12.0), (600, 0, 2.0), (400, 200, 6.0)]:
        rows = [{"sample": f"smuon_{m_parent}_{m_lsp}", "process": "smuon_R", "m_parent": m_parent, "m_lsp": m_lsp,
                 "region": region, "n_raw": 100, "efficiency": 0.1, "signal": signal, "signal_mc_unc": 0.1,
                 "xsec_pb": 0.01, "xsec_unc_pb": 0.0005} for region in ("SR-SF-0J-INC160", "SR-DF-0J-INC160")]
        path = tmp_path / f"y{m_parent}_{m_lsp}.csv"
        pd.DataFrame(rows, columns=YIELD_COLUMNS).to_csv(path, index=False)
        paths.append(str(path))
    out = {k: str(tmp_path / f"{k}.csv") for k in ("regions", "best", "excess", "lines", "multi")}
    runner = CliRunner()
    args = ["recast", "limits", *sum((["--yields", p] for p in paths), []), "--config", str(RECAST_YAML),
            "--regions-out", out["regions"], "--best-out", out["best"], "--excess-out", out["excess"]]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    best = pd.read_csv(out["best"]).set_index("sample")
    assert best.loc["smuon_200_0", "cls_obs"] < 0.05 < best.loc["smuon_600_0", "cls_obs"]
    assert len(pd.read_csv(out["regions"])) == 8
    result = runner.invoke(main, ["recast", "plots", "--best", out["best"], "--contour", str(tmp_path / "c.png"),
                                  "--excess", str(tmp_path / "e.png"), "--lines", out["lines"]])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.png").stat().st_size > 0 and {"observed", "expected"} <= set(pd.read_csv(out["lines"])["curve"])
    settings = {"surfaces": ["cls_obs", "cls_exp", "small_excess"], "cls_level": 0.05, "min_distance_gev": 10.0,
                "granularity_gev": 5.0, "max_new_points": 5, "n_events": 200, "n_chunks": 1}
    result = runner.invoke(main, ["recast", "refine", "--best", out["best"], "--settings", json.dumps(settings),
                                  "--out", str(tmp_path / "p.tsv")])
    assert result.exit_code == 0, result.output
    proposal = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert len(proposal) > 0 and (proposal["m_smuon"].between(200, 600)).all()
    result = runner.invoke(main, ["recast", "multi", "--best", out["best"], "--out", out["multi"]])
    assert result.exit_code == 0 and len(pd.read_csv(out["multi"])) == 4
