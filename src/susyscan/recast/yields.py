"""Signal yields of a grid point in the recast regions: chunk counts merged and normalised to the luminosity."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd

from susyscan.atomic import write_csv_atomic
from susyscan.errors import EventFileError
from susyscan.generation.processes import get_process
from susyscan.generation.xsec import lookup
from susyscan.recast.config import RecastConfig

logger = logging.getLogger(__name__)

YIELD_COLUMNS = ["sample", "process", "m_parent", "m_lsp", "region", "n_raw", "efficiency", "signal",
                 "signal_mc_unc", "xsec_pb", "xsec_unc_pb"]


def merge_chunks(records: list[dict[str, Any]], where: str) -> dict[str, Any]:
    """Sum the chunk records of one sample (same sample and cross section required)."""
    if not records:
        raise EventFileError(f"{where}: no chunk records")
    samples = {r["sample"] for r in records}
    if len(samples) != 1:
        raise EventFileError(f"{where}: chunk records of several samples {sorted(samples)}")
    xsecs = {round(r["xsec_pb"], 12) for r in records}
    if len(xsecs) != 1:
        raise EventFileError(f"{where}: chunks disagree on xsec_pb {sorted(xsecs)}")
    first = records[0]
    merged = {k: first[k] for k in ("sample", "process", "masses", "xsec_pb", "analysis")}
    merged["sum_weights"] = sum(r["sum_weights"] for r in records)
    merged["n_events"] = sum(r["n_events"] for r in records)
    merged["regions"] = {
        name: {k: sum(r["regions"][name][k] for r in records) for k in ("n_raw", "sumw", "sumw2")}
        for name in first["regions"]
    }
    merged["cuts"] = [
        {**row, **{k: sum(r["cuts"][i][k] for r in records) for k in ("n_raw", "sumw", "sumw2")}}
        for i, row in enumerate(first["cuts"])
    ]
    return merged


def theory_uncertainty(process: str, masses: dict[str, float], xsec_pb: float) -> float:
    """Absolute cross-section uncertainty (pb) of the signal from its NLO table (`unc_pb`), scaled to xsec_pb."""
    spec = get_process(process)
    if spec.xsec_table is None or spec.xsec_table_mass is None:
        logger.warning("process %s has no cross-section table: no signal-theory uncertainty", process)
        return 0.0
    table_xsec, unc = lookup(spec.xsec_table, float(masses[spec.xsec_table_mass]))
    return unc / table_xsec * xsec_pb


def point_yields(records: list[dict[str, Any]], cfg: RecastConfig, parent_key: str, lsp_key: str,
                 where: str = "?") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(yields per region, cutflow) of one grid point at cfg.luminosity_ifb, times the lepton-efficiency factor."""
    merged = merge_chunks(records, where)
    if merged["sum_weights"] <= 0:
        raise EventFileError(f"{where}: total sum of weights {merged['sum_weights']} <= 0")
    scale = cfg.luminosity_ifb * 1000.0 * merged["xsec_pb"] / merged["sum_weights"] * cfg.lepton_efficiency_factor
    masses = merged["masses"]
    try:
        m_parent, m_lsp = float(masses[parent_key]), float(masses[lsp_key])
    except KeyError as exc:
        raise EventFileError(f"{where}: metadata masses {masses} lack {exc.args[0]!r}") from None
    unc = theory_uncertainty(merged["process"], masses, merged["xsec_pb"])
    rows = []
    for region in cfg.regions:
        counts = merged["regions"][region.name]
        rows.append({
            "sample": merged["sample"], "process": merged["process"], "m_parent": m_parent, "m_lsp": m_lsp,
            "region": region.name, "n_raw": counts["n_raw"],
            "efficiency": counts["sumw"] / merged["sum_weights"] * cfg.lepton_efficiency_factor,
            "signal": counts["sumw"] * scale, "signal_mc_unc": math.sqrt(counts["sumw2"]) * scale,
            "xsec_pb": merged["xsec_pb"], "xsec_unc_pb": unc,
        })
    cutflow = pd.DataFrame([
        {"sample": merged["sample"], "cut": c["name"], "label": c["label"], "n_raw": c["n_raw"],
         "efficiency": c["sumw"] / merged["sum_weights"], "events": c["sumw"] * scale / cfg.lepton_efficiency_factor
         if cfg.lepton_efficiency_factor > 0 else 0.0}
        for c in merged["cuts"]
    ])
    return pd.DataFrame(rows, columns=YIELD_COLUMNS), cutflow


def write_point_yields(chunk_paths: list[str | Path], cfg: RecastConfig, parent_key: str, lsp_key: str,
                       yields_out: str | Path, cutflow_out: str | Path) -> pd.DataFrame:
    """Read the chunk JSONs of one point, write its yields CSV and cutflow CSV."""
    records = [json.loads(Path(p).read_text()) for p in chunk_paths]
    yields, cutflow = point_yields(records, cfg, parent_key, lsp_key, where=str(chunk_paths[0]))
    write_csv_atomic(yields, yields_out, index=False)
    write_csv_atomic(cutflow, cutflow_out, index=False)
    return yields
