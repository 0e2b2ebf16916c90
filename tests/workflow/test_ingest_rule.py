"""A user LHE file declared in the sample table runs through the ingest rule (shower + detector), chunked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from susyscan.eventio import read_events

REPO = Path(__file__).resolve().parents[2]
LHE = REPO / "tests" / "data" / "events" / "pylhe-testfile-pythia-6.413-ttbar.lhe"

pytestmark = pytest.mark.workflow


def test_ingested_lhe_sample_is_chunked_and_normalised(tmp_path: Path) -> None:
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    table = tmp_path / "config" / "samples.tsv"
    rows = table.read_text().rstrip("\n").split("\n")
    header = rows[0] + "\txsec_pb"
    body = [row + "\t" for row in rows[1:]]
    user = {"sample": "user_ttbar", "process": "ttbar_lep", "source": "ingest", "n_events": "40", "n_chunks": "2",
            "path": str(LHE), "analyses": "smuon", "xsec_pb": "5.0"}
    body.append("\t".join(user.get(column, "") for column in header.split("\t")))
    table.write_text("\n".join([header, *body]) + "\n")
    config = tmp_path / "config" / "config.yaml"  # the Tevatron file's energy, declared (else a start-up error)
    config.write_text(config.read_text() + "\ningest:\n  user_ttbar:\n    sqrt_s_gev: 1960.0\n")
    targets = [f"results/demo/events/user_ttbar/chunk{c}.root" for c in (0, 1)]
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2", *targets]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ingest_chunk" in proc.stdout + proc.stderr
    metas = []
    for target in targets:
        events, meta = read_events(tmp_path / target)
        assert len(events) == 20
        assert meta["xsec_pb"] == pytest.approx(5.0)
        assert meta["sample"] == "user_ttbar" and meta["sqrt_s_gev"] == pytest.approx(1960.0)
        metas.append(meta)
    assert metas[0]["first_event"] != metas[1]["first_event"]
    assert (tmp_path / "results/demo/logs/ingest/user_ttbar/chunk0.log").stat().st_size > 0
