"""A failing job leaves its error message in the rule's log file (the file Snakemake points to), not only on stderr.

Two real jobs fail: ingesting a random file named ``.hepmc`` and selecting features from a corrupt event file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.workflow


def test_failed_jobs_write_their_error_to_the_rule_log(tmp_path: Path, tiny_workdir, snakemake_runner) -> None:
    work = tiny_workdir(tmp_path / "run")
    (work / "tiny/random.hepmc").write_bytes(np.random.default_rng(5).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    table = (work / "tiny/samples.tsv").read_text()
    (work / "tiny/samples.tsv").write_text(table + "user_zz\tzz_mumununu\tingest\t100\t1\ttiny/random.hepmc\tsmuon\n")
    corrupt = work / "results/tiny/events/ttbar/chunk0.root"  # an "earlier output" that is not a ROOT file
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not a ROOT file" * 100)
    proc = snakemake_runner(work, "--keep-going", "results/tiny/events/user_zz/chunk0.root",
                            "results/tiny/analysis/smuon/features/ttbar/chunk0.csv.gz", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "results/tiny/logs/ingest/user_zz/chunk0.log" in out
    assert "results/tiny/logs/analysis/smuon/select/ttbar/chunk0.log" in out

    ingest_log = (work / "results/tiny/logs/ingest/user_zz/chunk0.log").read_text()
    assert "job failed: EventFileError" in ingest_log
    assert "random.hepmc: not a HepMC file" in ingest_log and "truncated" not in ingest_log

    select_log = (work / "results/tiny/logs/analysis/smuon/select/ttbar/chunk0.log").read_text()
    assert "job failed:" in select_log
    assert "results/tiny/events/ttbar/chunk0.root" in select_log
