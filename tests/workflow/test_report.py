"""`snakemake --report` on a completed run: an HTML report with the result categories and their captions."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow


def test_html_report_holds_every_category(tiny_run: Path, snakemake_runner) -> None:
    report = tiny_run / "report.html"
    snakemake_runner(tiny_run, "--report", str(report))
    html = report.read_text(errors="replace")
    for category in ("Cutflows", "Training", "Scan", "Limits", "Contours", "Generation"):
        assert category in html, f"report lacks category {category}"
    for output in ("cutflow.png", "roc.png", "loss.png", "cls.csv", "contour_139ifb.png", "performance.csv"):
        assert output in html, f"report lacks {output}"
    assert "Expected exclusion contours (CLs = 0.05)" in html  # caption of the contour plots
