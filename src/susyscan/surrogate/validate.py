"""Validation of the surrogate in the seed's format: full-chain vs surrogate efficiency per mass point and region.

Training points are evaluated on their test events (never trained on), held-out points on all their events.
The surrogate's relative uncertainty is the RMS of the relative differences over the held-out (point, region)
pairs whose full-chain efficiency exceeds ``min_efficiency`` (1 %): it includes the full chain's own MC
statistical fluctuation, so it is conservative; the value with that fluctuation subtracted in quadrature is
reported next to it.  The calibration plot compares the predicted probability with the observed rate of the
held-out events (``sklearn.calibration.calibration_curve``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.atomic import write_csv_atomic, write_json_atomic, write_text_atomic

logger = logging.getLogger(__name__)

MIN_EFFICIENCY = 0.01
GOAL = 0.25
SETS = {"test": "training point", "heldout": "held-out point"}


def efficiency_table(pred: pd.DataFrame, regions: Sequence[str], variants: Sequence[str] = ("p_",)) -> pd.DataFrame:
    """Per (point, set, region): n_events, full-chain efficiency and its binomial error, surrogate efficiency
    (mean predicted probability) and the relative difference, per prediction variant (column prefix)."""
    rows: list[dict[str, Any]] = []
    used = pred[pred["role"].isin(list(SETS))]
    for (sample, m_parent, m_lsp, role), grp in used.groupby(["sample", "m_parent", "m_lsp", "role"], sort=True):
        n = len(grp)
        for region in regions:
            eff = float(grp[region].mean())
            row = {"sample": sample, "m_parent": m_parent, "m_lsp": m_lsp, "set": SETS[role], "region": region,
                   "n_events": n, "eff_full": eff, "eff_full_err": math.sqrt(max(eff * (1 - eff), 0.0) / n)}
            for prefix in variants:
                col = prefix + region
                if col not in grp.columns:
                    continue
                name = "surrogate" if prefix == "p_" else prefix.strip("_").removeprefix("p_")
                surr = float(grp[col].mean())
                row[f"eff_{name}"] = surr
                row[f"rel_diff_{name}"] = (surr - eff) / eff if eff > 0 else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def uncertainty(table: pd.DataFrame, name: str = "surrogate", min_efficiency: float = MIN_EFFICIENCY) -> dict[str, Any]:
    """Spread of the held-out relative differences where the full-chain efficiency exceeds ``min_efficiency``."""
    sel = table[(table["set"] == SETS["heldout"]) & (table["eff_full"] > min_efficiency)]
    if sel.empty:
        return {"n_pairs": 0, "rms": None, "rms_minus_mc_stat": None, "max_abs": None, "fraction_within_goal": None}
    rel = sel[f"rel_diff_{name}"].to_numpy(dtype=float)
    stat = (sel["eff_full_err"] / sel["eff_full"]).to_numpy(dtype=float)
    rms = float(np.sqrt(np.mean(rel**2)))
    return {"n_pairs": len(sel), "rms": rms,
            "rms_minus_mc_stat": float(np.sqrt(max(np.mean(rel**2) - np.mean(stat**2), 0.0))),
            "mean": float(np.mean(rel)), "max_abs": float(np.max(np.abs(rel))),
            "mean_full_chain_mc_stat": float(np.sqrt(np.mean(stat**2))),
            "fraction_within_goal": float(np.mean(np.abs(rel) < GOAL)), "goal": GOAL,
            "min_efficiency": min_efficiency}


def markdown_table(table: pd.DataFrame, regions: Sequence[str]) -> str:
    """The seed's layout: per point a block of rows Full chain / Surrogate / Relative diff, one column per region."""
    head = "| point | | " + " | ".join(regions) + " |\n|---|---|" + "---|" * len(regions) + "\n"
    lines = []
    for (sample, pset), grp in table.groupby(["sample", "set"], sort=False):
        g = grp.set_index("region").reindex(regions)
        label = f"**{sample}** ({pset}, {int(g['n_events'].iloc[0])} events)"
        lines.append(f"| {label} | full chain | " + " | ".join(f"{100 * v:.2f} %" for v in g["eff_full"]) + " |")
        lines.append("| | surrogate | " + " | ".join(f"{100 * v:.2f} %" for v in g["eff_surrogate"]) + " |")
        lines.append("| | rel. diff | " + " | ".join("-" if not np.isfinite(v) else f"{100 * v:+.1f} %"
                                                     for v in g["rel_diff_surrogate"]) + " |")
    return head + "\n".join(lines) + "\n"


def calibration_plot(pred: pd.DataFrame, regions: Sequence[str], out_path: str | Path, n_bins: int = 10) -> None:
    """Observed rate vs mean predicted probability of the held-out events (test events if none), per region."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    from susyscan.plotting.style import save_figure

    sel = pred[pred["role"] == "heldout"]
    what = "held-out points"
    if sel.empty:
        sel, what = pred[pred["role"] == "test"], "test events of training points"
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    colours = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]
    for i, region in enumerate(regions):
        y = sel[region].to_numpy()
        if y.min() == y.max():
            continue
        observed, predicted = calibration_curve(y, sel["p_" + region].to_numpy(), n_bins=n_bins, strategy="quantile")
        ax.plot(predicted, observed, "o-", ms=3, lw=1, color=colours[i % len(colours)], label=region)
    ax.set_xlabel("surrogate probability (bin mean)")
    ax.set_ylabel("full-chain fraction in region")
    ax.set_title(f"Surrogate calibration: {what} ({len(sel)} events)", fontsize="medium")
    ax.legend(fontsize="x-small", ncol=2)
    save_figure(fig, str(out_path))


def isr_comparison(table: pd.DataFrame, pred: pd.DataFrame, regions: Sequence[str]) -> str:
    """Markdown: held-out spread and log-loss without and with the particle-level ISR feature."""
    from sklearn.metrics import log_loss

    variants = [("surrogate", "p_", "process level only")]
    for name, prefix, label in (("isr", "p_isr_", "with isr_pt"), ("noisr", "p_noisr_", "without isr_pt")):
        if f"eff_{name}" in table.columns:
            variants.append((name, prefix, label))
    held = pred[pred["role"] == "heldout"]
    lines = ["| model | held-out RMS rel. diff (eff > 1 %) | max abs | mean log-loss (held-out events) |",
             "|---|---|---|---|"]
    for name, prefix, label in variants:
        u = uncertainty(table, name)
        losses = [log_loss(held[r], np.clip(held[prefix + r], 1e-7, 1 - 1e-7), labels=[0, 1]) for r in regions
                  if len(held)]
        rms = "-" if u["rms"] is None else f"{100 * u['rms']:.1f} %"
        mx = "-" if u["max_abs"] is None else f"{100 * u['max_abs']:.1f} %"
        loss = f"{np.mean(losses):.4f}" if losses else "-"
        lines.append(f"| {label} | {rms} | {mx} | {loss} |")
    return "\n".join(lines) + "\n"


def run_validation(predictions_path: str | Path, regions: Sequence[str], out_csv: str | Path, out_md: str | Path,
                   out_json: str | Path, calibration_path: str | Path) -> dict[str, Any]:
    """Write the validation table (CSV + markdown), the uncertainty JSON and the calibration plot."""
    pred = pd.read_csv(predictions_path)
    variants = ["p_"] + [p for p in ("p_isr_", "p_noisr_") if any(c.startswith(p) for c in pred.columns)]
    table = efficiency_table(pred, regions, variants)
    write_csv_atomic(table, out_csv)
    unc = uncertainty(table)
    result = {"surrogate": unc}
    for name in ("isr", "noisr"):
        if f"eff_{name}" in table.columns:
            result[name] = uncertainty(table, name)
    write_json_atomic(result, out_json, indent=2)
    rms = "n/a" if unc["rms"] is None else f"{100 * unc['rms']:.1f} %"
    text = ["# Surrogate validation: full chain vs surrogate efficiency", "",
            "Training points: their test events (never trained on); held-out points: all events of mass points "
            "the surrogate never saw. Efficiency = fraction of generated events entering the region.", "",
            markdown_table(table, regions), "",
            f"Surrogate relative uncertainty (RMS of the held-out relative differences where the full-chain "
            f"efficiency > {100 * MIN_EFFICIENCY:g} %, {unc['n_pairs']} pairs): **{rms}**"
            + ("" if unc["rms"] is None else
               f"; with the full chain's MC statistics ({100 * unc['mean_full_chain_mc_stat']:.1f} % RMS) "
               f"subtracted in quadrature: {100 * unc['rms_minus_mc_stat']:.1f} %; largest |difference| "
               f"{100 * unc['max_abs']:.1f} %; {100 * unc['fraction_within_goal']:.0f} % of pairs within the "
               f"{100 * GOAL:g} % goal."), "",
            "## Particle-level ISR feature", "", isr_comparison(table, pred, regions)]
    write_text_atomic("\n".join(text), out_md)
    calibration_plot(pred, regions, calibration_path)
    logger.info("surrogate validation: %s", unc)
    return result
