"""Wall time and peak memory of the default workflow run (`snakemake --cores 2`) in a fresh temporary directory.

Run: python benchmarks/bench_default_run.py [--cores 2] [--repeats 1] [--keep DIR]
Writes benchmarks/results/default_run.md (+ default_run.csv) and prints the per-rule totals taken from the
Snakemake `benchmark:` TSVs of the run (results/demo/benchmarks/**.tsv inside the temporary directory).

Peak memory is measured in two ways:
- ``peak_rss_tree``: psutil polling (every 0.2 s) of the summed RSS of snakemake and all its children
  (the memory the run really needs at once, with ``--cores 2`` up to two jobs run together);
- ``max_rss_single``: the largest RSS of a single process (``/usr/bin/time -v`` "Maximum resident set size"
  style, from the same polling), i.e. the biggest job.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _metrics import write_metrics

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def _snakemake_exe() -> str:
    exe = Path(sys.executable).with_name("snakemake")
    return str(exe) if exe.exists() else "snakemake"


def prepare(workdir: Path) -> None:
    """Copy config/ and resources/ of the checkout into a fresh working directory."""
    for name in ("config", "resources"):
        shutil.copytree(ROOT / name, workdir / name)


def run_once(workdir: Path, cores: int, poll_s: float = 0.2) -> dict[str, float]:
    """Run the default workflow once; return wall seconds, summed-tree peak RSS and largest single RSS (MiB)."""
    cmd = [_snakemake_exe(), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--cores", str(cores), "--quiet"]
    log = open(workdir / "snakemake_bench.log", "w")  # noqa: SIM115 - closed below
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peak_tree = peak_single = 0.0
    while proc.poll() is None:
        total = 0.0
        try:
            procs = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                rss = p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            peak_single = max(peak_single, rss)
        peak_tree = max(peak_tree, total)
        time.sleep(poll_s)
    wall = time.perf_counter() - start
    log.close()
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed (rc {proc.returncode}); see {workdir / 'snakemake_bench.log'}")
    return {"wall_s": wall, "peak_rss_tree_mib": peak_tree / 2**20, "max_rss_single_mib": peak_single / 2**20}


def rule_totals(workdir: Path) -> list[tuple[str, int, float, float]]:
    """(stage, jobs, summed wall s, max max_rss MiB) from the run's benchmark TSVs, slowest first."""
    totals: dict[str, list[float]] = {}
    runs = workdir / "results" / "demo" / "benchmarks"  # results_dir of the default config (run_name demo)
    for tsv in runs.rglob("*.tsv"):
        stage = tsv.relative_to(runs).parts[0]
        with tsv.open() as handle:
            row = list(csv.DictReader(handle, delimiter="\t"))[-1]
        entry = totals.setdefault(stage, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += float(row["s"])
        rss = row.get("max_rss", "NA")
        entry[2] = max(entry[2], float(rss) if rss not in ("NA", "-", "") else 0.0)
    return sorted(((k, int(v[0]), v[1], v[2]) for k, v in totals.items()), key=lambda r: -r[2])


def history_report(history: Path, cores: int) -> tuple[list[str], dict[str, float], int]:
    """Markdown lines listing every recorded run, and the medians over runs without a note."""
    with history.open() as handle:
        rows = list(csv.DictReader(handle))
    past = [r for r in rows if not r["load_1min_after"].startswith("note") and r["cores"] == str(cores)]
    med = {k: statistics.median(float(r[k]) for r in past) for k in ("wall_s", "peak_rss_tree_mib", "max_rss_single_mib")}
    lines = ["", f"All recorded runs ({history.name}; runs marked with a note are excluded from the median):", "",
             "| date (UTC) | wall (s) | peak RSS summed (MiB) | largest process (MiB) | load after / note |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {r['date_utc']} | {r['wall_s']} | {r['peak_rss_tree_mib']} | {r['max_rss_single_mib']} | "
              f"{r['load_1min_after']} |" for r in rows]
    lines += ["", f"**Median over the {len(past)} runs with --cores {cores}: wall {med['wall_s']:.0f} s, "
              f"peak summed RSS {med['peak_rss_tree_mib']:.0f} MiB, largest process "
              f"{med['max_rss_single_mib']:.0f} MiB.**", ""]
    return lines, med, len(past)


def write_default_metrics(cores: int, med: dict[str, float], n: int, stage_rows: list, runs: list) -> None:
    write_metrics("default_run", [
        ("default run", f"wall time, snakemake --cores {cores} (median of {n} recorded runs)", med["wall_s"], "s"),
        ("default run", "peak RSS, snakemake + children summed (median)", med["peak_rss_tree_mib"], "MiB"),
        ("default run", "largest single-process RSS (median)", med["max_rss_single_mib"], "MiB"),
        *[tuple(r) for r in stage_rows],
    ], runs=runs)


def _join(runs: list[dict[str, float]], key: str, fmt: str) -> str:
    return ", ".join(format(r[key], fmt) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="run in this (new) directory and keep it")
    parser.add_argument("--report-only", action="store_true",
                        help="no run: rebuild the history section of default_run.md and default_run.json")
    args = parser.parse_args()
    if args.report_only:
        history = RESULTS / "default_run_history.csv"
        hist_lines, hist_med, n_past = history_report(history, args.cores)
        old = json.loads((RESULTS / "default_run.json").read_text()) if (RESULTS / "default_run.json").exists() else {}
        stage_rows = [(m["stage"], m["metric"], m["value"], m["unit"]) for m in old.get("metrics", [])
                      if m["metric"].startswith("rule stage")]
        md = (RESULTS / "default_run.md").read_text().split("\nAll recorded runs")[0].rstrip("\n") + "\n"
        (RESULTS / "default_run.md").write_text(md + "\n".join(hist_lines))
        write_default_metrics(args.cores, hist_med, n_past, stage_rows, old.get("runs", []))
        print("\n".join(hist_lines))  # noqa: T201
        return
    runs, stages = [], []
    for _ in range(args.repeats):
        if args.keep is not None:
            workdir = args.keep
            if workdir.exists():
                shutil.rmtree(workdir)
            workdir.mkdir(parents=True)
            cleanup = None
        else:
            cleanup = tempfile.TemporaryDirectory(prefix="susyscan_default_run_")
            workdir = Path(cleanup.name)
        prepare(workdir)
        runs.append(run_once(workdir, args.cores))
        stages = rule_totals(workdir)
        if cleanup is not None:
            cleanup.cleanup()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    lines = [
        "# Default run: wall time and peak memory", "",
        f"`python benchmarks/bench_default_run.py --cores {args.cores} --repeats {args.repeats}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}. The machine was shared with other users, so wall times are noisy.", "",
        "| quantity | median | all runs |", "|---|---:|---|",
        f"| wall time (s) | {med['wall_s']:.1f} | {_join(runs, 'wall_s', '.1f')} |",
        f"| peak RSS, snakemake + all children summed (MiB) | {med['peak_rss_tree_mib']:.0f} | "
        f"{_join(runs, 'peak_rss_tree_mib', '.0f')} |",
        f"| largest single-process RSS (MiB) | {med['max_rss_single_mib']:.0f} | "
        f"{_join(runs, 'max_rss_single_mib', '.0f')} |", "",
        "Per-stage totals of the last run (Snakemake `benchmark:` TSVs, wall seconds summed over jobs):", "",
        "| stage | jobs | summed job wall (s) | max job max_rss (MiB) |", "|---|---:|---:|---:|",
    ]
    lines += [f"| {s} | {n} | {sec:.1f} | {rss:.0f} |" for s, n, sec, rss in stages]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "default_run.md").write_text("\n".join(lines) + "\n")
    with (RESULTS / "default_run.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run", "wall_s", "peak_rss_tree_mib", "max_rss_single_mib"])
        for i, r in enumerate(runs):
            writer.writerow([i, f"{r['wall_s']:.2f}", f"{r['peak_rss_tree_mib']:.1f}", f"{r['max_rss_single_mib']:.1f}"])
    history = RESULTS / "default_run_history.csv"  # every run ever measured, with date and load
    new = not history.exists()
    with history.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["date_utc", "cores", "wall_s", "peak_rss_tree_mib", "max_rss_single_mib", "load_1min_after"])
        for r in runs:
            writer.writerow([time.strftime("%Y-%m-%d %H:%M", time.gmtime()), args.cores, f"{r['wall_s']:.2f}",
                             f"{r['peak_rss_tree_mib']:.1f}", f"{r['max_rss_single_mib']:.1f}", f"{os.getloadavg()[0]:.2f}"])
    hist_lines, hist_med, n_past = history_report(history, args.cores)
    with (RESULTS / "default_run.md").open("a") as handle:
        handle.write("\n".join(hist_lines))
    lines += hist_lines
    write_default_metrics(args.cores, hist_med, n_past,
                          [("default run", f"rule stage {s}: {n} jobs, summed job wall", sec, "s") for s, n, sec, _ in stages[:4]],
                          runs)
    print("\n".join(lines))  # noqa: T201 - benchmark output


if __name__ == "__main__":
    main()
