"""Run every benchmark script and print ONE table (stage, metric, value, unit).

Run: python benchmarks/run_all.py [--quick] [--skip-default-run] [--only generation,stats]
(`make benchmark` runs it without options). Each bench_*.py is run standalone in its own process; each
writes its detailed Markdown table and a JSON of metrics to benchmarks/results/, which this script collects
into benchmarks/results/summary.md and summary.csv together with the date and machine information.

--quick passes --quick to every script (smaller samples, each well under a minute) and does not rerun the
default workflow (bench_default_run.py, several minutes): its last recorded numbers are reported instead,
marked "recorded". See benchmarks/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SCRIPTS = {  # name -> (script, json written by it)
    "generation": "bench_generation.py",
    "detector": "bench_detector.py",
    "analysis": "bench_analysis.py",
    "training": "bench_training.py",
    "stats": "bench_stats.py",
    "filters": "bench_filters.py",
    "limits": "bench_limits.py",
    "surrogate": "bench_surrogate.py",
    "default_run": "bench_default_run.py",
}
PACKAGES = ("pythia8mc", "awkward", "numpy", "uproot", "fastjet", "torch", "xgboost", "onnxruntime", "pyhf",
            "snakemake", "vector", "pandas")


def machine_info() -> dict[str, str]:
    """CPU count, load, Python and the key package versions."""
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu_count": str(os.cpu_count()),
        "python": platform.python_version(),
    }
    try:
        info["load_average_1_5_15"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as handle:
            info["cpu_model"] = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import psutil

        info["memory_gib"] = f"{psutil.virtual_memory().total / 2**30:.1f}"
    except ImportError:
        pass
    for package in PACKAGES:
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = "not installed"
    return info


def run_script(name: str, quick: bool) -> dict[str, object]:
    """Run one bench script standalone; returns its status, wall time and (tail of) output."""
    cmd = [sys.executable, str(HERE / SCRIPTS[name])] + (["--quick"] if quick and name != "default_run" else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    (RESULTS / "logs" / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    return {"name": name, "rc": proc.returncode, "seconds": seconds, "tail": (proc.stdout + proc.stderr)[-1500:]}


def collect(names: list[str], fresh: set[str]) -> list[dict[str, object]]:
    rows = []
    for name in names:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            rows.append({"stage": name, "metric": "(no result: script failed or never run)", "value": float("nan"),
                         "unit": "", "source": ""})
            continue
        payload = json.loads(path.read_text())
        source = "this run" if name in fresh else f"recorded {payload['date']}"
        rows += [{**m, "source": source} for m in payload["metrics"]]
    return rows


def fmt(value: float) -> str:
    if value != value:  # nan
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="quick mode of every script; default run not rerun")
    parser.add_argument("--skip-default-run", action="store_true", help="report the recorded default-run numbers")
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(SCRIPTS))
    args = parser.parse_args()
    names = [n for n in SCRIPTS if not args.only or n in args.only.split(",")]
    to_run = [n for n in names if not (n == "default_run" and (args.quick or args.skip_default_run))]
    RESULTS.mkdir(parents=True, exist_ok=True)
    statuses = []
    for name in to_run:
        print(f"[run_all] {SCRIPTS[name]} ...", file=sys.stderr, flush=True)  # noqa: T201
        status = run_script(name, args.quick)
        statuses.append(status)
        print(f"[run_all] {SCRIPTS[name]}: rc {status['rc']} in {status['seconds']:.1f} s", file=sys.stderr)  # noqa: T201
        if status["rc"] != 0:
            print(status["tail"], file=sys.stderr)  # noqa: T201
    fresh = {s["name"] for s in statuses if s["rc"] == 0}
    rows = collect(names, fresh)
    info = machine_info()

    width = max(len(str(r["metric"])) for r in rows)
    table = [f"{'stage':<20} {'metric':<{width}} {'value':>14} unit"]
    table += [f"{r['stage']:<20} {r['metric']:<{width}} {fmt(float(r['value'])):>14} {r['unit']}"
              + ("" if r["source"] == "this run" else f"  [{r['source']}]") for r in rows]
    print("\n".join(table))  # noqa: T201 - the benchmark table

    md = ["# Benchmark summary", "",
          f"`python benchmarks/run_all.py{' --quick' if args.quick else ''}"
          f"{' --skip-default-run' if args.skip_default_run else ''}` on {info['date']}.", "",
          "**The machine was shared** (2 cores, other users' jobs running at the same time): throughputs are "
          "noisy, typically within a factor ~2 of an idle machine; compare ratios measured in the same run "
          "rather than absolute numbers across runs. GPU: not available on this machine (CPU numbers only).", "",
          "| stage | metric | value | unit | source |", "|---|---|---:|---|---|"]
    md += [f"| {r['stage']} | {r['metric']} | {fmt(float(r['value']))} | {r['unit']} | {r['source']} |" for r in rows]
    md += ["", "Script runs:", "", "| script | exit code | wall (s) |", "|---|---:|---:|"]
    md += [f"| {SCRIPTS[s['name']]} | {s['rc']} | {s['seconds']:.1f} |" for s in statuses]
    md += ["", "Machine:", "", "| item | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in info.items()]
    md += ["", "Details per stage: generation.md, detector.md, analysis.md, training.md, stats.md, default_run.md, "
           "hotspot.md in this folder; the script outputs are in logs/.", ""]
    (RESULTS / "summary.md").write_text("\n".join(md))
    with (RESULTS / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stage", "metric", "value", "unit", "source", "date", "cpu_count", "python", "shared_machine"])
        for r in rows:
            writer.writerow([r["stage"], r["metric"], f"{float(r['value']):.6g}", r["unit"], r["source"], info["date"],
                             info["cpu_count"], info["python"], "yes"])
    if any(s["rc"] != 0 for s in statuses):
        raise SystemExit("some benchmark scripts failed; see benchmarks/results/logs/")


if __name__ == "__main__":
    main()
