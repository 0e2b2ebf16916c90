"""A dry run of config/stau.yaml: the stau analysis runs through the shared rules (selection, merge, cutflow,
cut-and-count scan, CLs, contours) with no rule of its own and no shared binary model."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.conftest import dry_run, job_counts, make_workdir

REPO = Path(__file__).resolve().parents[3]


def test_dry_run_of_the_stau_demo_config(tmp_path: Path) -> None:
    workdir = make_workdir(tmp_path / "run")
    output = dry_run(workdir, "--configfile", "config/stau.yaml")
    counts = job_counts(output)
    backgrounds = len((REPO / "config" / "samples_stau.tsv").read_text().splitlines()) - 1
    points = len((REPO / "config" / "grids" / "stau.tsv").read_text().splitlines()) - 1
    assert counts["merge_features"] == backgrounds + points
    assert counts["scan_point"] == points
    # two result sets through the shared statistics and plot rules: stau (cut and count) and stau/ml (the networks'
    # regions, written by multiclass_compare_stau), each at 139 and 300 / fb
    assert counts["limits_part"] == 2 * 2 and counts["limits"] == 2 and counts["workspaces"] == 2
    assert counts["contours"] == 2 and counts["cutflow"] == 1
    assert "results/stau_demo/limits/stau/ml/cls.csv" in output
    assert not any(rule.startswith(("train", "export", "dataset")) for rule in counts)
    assert "results/stau_demo/plots/stau/contour_300ifb.png" in output
