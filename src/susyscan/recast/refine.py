"""Refinement of the recast grids: proposals from a finished scan (rule recast_refine) and the driver that
appends them to the grid tables and reruns the workflow (``susyscan recast iterate``)."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from susyscan.atomic import write_csv_atomic
from susyscan.config.tables import grid_columns, load_grid
from susyscan.config.validate import results_dir
from susyscan.errors import ConfigError
from susyscan.scan.refine import contour_distance, propose_points

logger = logging.getLogger(__name__)

REPO_SNAKEFILE = Path(__file__).resolve().parents[3] / "Snakefile"
FLAG_SURFACES = ("small_excess",)


def proposal_table(best: pd.DataFrame, settings: dict[str, Any], out: str | Path, model: str = "smuon") -> pd.DataFrame:
    """New points of one model as grid rows (+ a ``reason`` column) written as TSV."""
    parent, lsp, _ = grid_columns(model)
    surfaces = [s for s in settings["surfaces"] if s not in FLAG_SURFACES]
    flags = [s for s in settings["surfaces"] if s in FLAG_SURFACES]
    proposal = propose_points(
        best[["m_parent", "m_lsp"]].to_numpy(float),
        {s: best[s].to_numpy(float) for s in surfaces},
        {f: best[f].astype(bool).to_numpy() for f in flags},
        level=float(settings["cls_level"]), min_distance=float(settings["min_distance_gev"]),
        granularity=float(settings["granularity_gev"]), max_new=int(settings["max_new_points"]),
    )
    rows = pd.DataFrame({
        parent: proposal.points["m_parent"], lsp: proposal.points["m_lsp"], "train": "no",
        "n_events": int(settings["n_events"]), "n_chunks": int(settings["n_chunks"]),
        "reason": proposal.points["reason"],
    })
    write_csv_atomic(rows, out, index=False, sep="\t", float_format="%g")
    return rows


def append_to_grid(grid_path: str | Path, proposal: pd.DataFrame, model: str) -> int:
    """Append the proposed rows (those not already in the grid) to the grid table; return how many."""
    grid_path = Path(grid_path)
    parent, lsp, _ = grid_columns(model)
    existing = {(p.m_parent, p.m_lsp) for p in load_grid(grid_path, model)}
    with grid_path.open(newline="") as handle:
        header = next(csv.reader(handle, delimiter="\t"))
    new = [row for row in proposal.itertuples(index=False)
           if (float(getattr(row, parent)), float(getattr(row, lsp))) not in existing]
    if not new:
        return 0
    text = grid_path.read_text()
    lines = ["\t".join(f"{getattr(row, c):g}" if isinstance(getattr(row, c), float) else str(getattr(row, c))
                       for c in header) for row in new]
    candidate = grid_path.with_name(f".{grid_path.name}.candidate")
    try:
        candidate.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(lines) + "\n")
        load_grid(candidate, model)  # the appended table must parse before it replaces the grid
        os.replace(candidate, grid_path)
    finally:
        candidate.unlink(missing_ok=True)
    logger.info("%s: appended %d points", grid_path, len(new))
    return len(new)


def _lines(path: Path) -> dict[str, list[np.ndarray]]:
    if not path.is_file():
        return {}
    frame = pd.read_csv(path)
    return {curve: [g[["m_parent", "m_lsp"]].to_numpy(float) for _, g in sub.groupby("line")]
            for curve, sub in frame.groupby("curve")}


def _recast_block(configfile: Path) -> dict[str, Any]:
    raw = yaml.safe_load(configfile.read_text()) or {}
    block = raw.get("recast") or {}
    if not block.get("enabled"):
        raise ConfigError(f"{configfile}: recast.enabled is not true")
    return block


def _run_results(configfile: Path, workdir: Path) -> Path:
    """The run's results folder (``results_dir``, else ``results/<run_name>``) under ``workdir``, from the
    workflow's default config (``workdir/config/config.yaml``) overlaid with ``configfile``, as Snakemake merges them."""
    merged: dict[str, Any] = {}
    for path in (workdir / "config" / "config.yaml", configfile):
        if path.is_file():
            merged.update({k: v for k, v in (yaml.safe_load(path.read_text()) or {}).items()
                           if k in ("run_name", "results_dir")})
    return workdir / results_dir(merged)


def iterate(configfile: Path, cores: int, rounds: int | None, extra: list[str], python: str,
            run: Callable[..., Any], snakefile: Path = REPO_SNAKEFILE, workdir: Path = Path(".")) -> pd.DataFrame:
    """Run, append proposals, rerun, ... (see the ``iterate`` command); returns and writes the history."""
    block = _recast_block(configfile)
    refine = block.get("refine") or {}
    n_rounds = rounds if rounds is not None else int(refine.get("rounds", 2))
    tolerance = float(refine.get("tolerance_gev", 5.0))
    cmd = [python, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", str(workdir), "--cores",
           str(cores), "--configfile", str(configfile), *extra]
    analyses, grids = sorted(block["analyses"]), dict(block["grids"])
    base = Path(workdir)
    results = _run_results(configfile, base)

    def snakemake() -> None:
        proc = run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")

    def current_lines() -> dict[str, dict[str, list[np.ndarray]]]:
        return {f"{a}/{m}": _lines(results / f"recast/{a}/{m}/contour_lines.csv") for a in analyses for m in grids}

    history = []
    snakemake()
    for k in range(1, n_rounds + 1):
        added = 0
        for model, grid in grids.items():
            proposals = [pd.read_csv(results / f"recast/{a}/{model}/refine/proposal.tsv", sep="\t")
                         for a in analyses]
            merged = pd.concat(proposals, ignore_index=True).drop_duplicates(subset=list(grid_columns(model)[:2]))
            added += append_to_grid(base / grid, merged, model)
        if not added:
            history.append({"round": k, "n_new": 0, "shift_gev": 0.0})
            break
        before = current_lines()
        snakemake()
        after = current_lines()
        shifts = [contour_distance(before[key].get(c, []), after[key].get(c, []))
                  for key in before for c in ("observed", "expected")]
        shift = max(shifts) if shifts else 0.0
        history.append({"round": k, "n_new": added, "shift_gev": shift})
        logger.info("refinement round %d: %d new points, contours moved %.2f GeV", k, added, shift)
        if shift < tolerance:
            break
    frame = pd.DataFrame(history, columns=["round", "n_new", "shift_gev"])
    write_csv_atomic(frame, results / "recast/refine_history.csv", index=False)
    return frame
