"""Fast-scan contours against the full chain: overlay plot and a point-by-point agreement check.

The fast scan's CLs is computed three times: with the surrogate's yields, and with them scaled by ``1 - u`` and
``1 + u`` (u = the surrogate's relative uncertainty).  At a full-chain grid point the two agree within the stated
uncertainty when the full chain's exclusion (CLs < level) equals the surrogate's, or when the surrogate's band
straddles the level.  The fast CLs is interpolated to the full-chain points (linear in log CLs on the Delaunay
triangulation, as the contour code does), so the dense grid need not contain them.

The surrogate is validated where efficiencies exceed 1 % (``MIN_EFFICIENCY``); below, xgboost's probabilities do
not reach zero (a few per mille where the full chain selects nothing, e.g. at the mT2 endpoint of
m_smuon = 100 GeV, m_neutralino = 0), and a large cross section turns that into an exclusion.  Points whose
largest surrogate efficiency over the regions is below 1 % are therefore flagged (``validated`` = False): a
disagreement there is reported, not counted against the stated uncertainty.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.interpolate import griddata

from susyscan.plotting.contours import BEST, CLS_FLOOR, CLS_LEVEL, exclusion_contour

logger = logging.getLogger(__name__)

VARIANTS = ("nominal", "down", "up")
MIN_EFFICIENCY = 0.01


def _select(cls: pd.DataFrame, lumi: float, scenario: str, region: str) -> pd.DataFrame:
    sel = cls[np.isclose(cls["lumi_ifb"], lumi) & (cls["scenario"] == scenario) & (cls["region"] == region)]
    return sel[["m_parent", "m_lsp", "cls_exp"]].reset_index(drop=True)


def interpolate_cls(grid: pd.DataFrame, points: pd.DataFrame) -> np.ndarray:
    """CLs of ``grid`` at ``points`` (NaN outside the grid's convex hull)."""
    z = np.log10(np.clip(grid["cls_exp"].to_numpy(dtype=float), CLS_FLOOR, 1.0))
    values = griddata(grid[["m_parent", "m_lsp"]].to_numpy(dtype=float), z,
                      points[["m_parent", "m_lsp"]].to_numpy(dtype=float), method="linear")
    return np.power(10.0, values)


def max_efficiency(yields: pd.DataFrame) -> pd.DataFrame:
    """Per point of a fast-scan yield table: the largest surrogate efficiency over its regions."""
    return yields.groupby(["m_parent", "m_lsp"], as_index=False)["efficiency"].max()


def agreement_table(full: pd.DataFrame, fast: Mapping[str, pd.DataFrame], lumi: float, scenario: str,
                    region: str = BEST, level: float = CLS_LEVEL,
                    fast_yields: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per full-chain point: full CLs, the fast CLs (nominal, down, up), whether they agree, and (with the
    fast-scan yields) whether the point is in the validated domain (largest surrogate efficiency >= 1 %)."""
    ref = _select(full, lumi, scenario, region)
    out = ref.rename(columns={"cls_exp": "cls_full"})
    for variant in VARIANTS:
        out[f"cls_fast_{variant}"] = interpolate_cls(_select(fast[variant], lumi, scenario, region), ref)
    lo = out[[f"cls_fast_{v}" for v in VARIANTS]].min(axis=1)
    hi = out[[f"cls_fast_{v}" for v in VARIANTS]].max(axis=1)
    out["excluded_full"] = out["cls_full"] < level
    out["excluded_fast"] = out["cls_fast_nominal"] < level
    out["band_straddles"] = (lo < level) & (hi >= level)
    out["inside_fast_grid"] = np.isfinite(out["cls_fast_nominal"])
    out["agrees"] = ~out["inside_fast_grid"] | (out["excluded_full"] == out["excluded_fast"]) | out["band_straddles"]
    if fast_yields is not None:
        eff = max_efficiency(fast_yields)
        values = griddata(eff[["m_parent", "m_lsp"]].to_numpy(dtype=float), eff["efficiency"].to_numpy(dtype=float),
                          out[["m_parent", "m_lsp"]].to_numpy(dtype=float), method="linear")
        out["fast_max_efficiency"] = values
        out["validated"] = values >= MIN_EFFICIENCY
    else:
        out["fast_max_efficiency"], out["validated"] = np.nan, True
    out["lumi_ifb"], out["scenario"], out["region"] = lumi, scenario, region
    return out


def overlay_plot(full: pd.DataFrame, fast: Mapping[str, pd.DataFrame], lumi: float, scenario: str,
                 uncertainty: float | None, out_paths: Sequence[str | Path], level: float = CLS_LEVEL,
                 region: str = BEST, fast_yields: pd.DataFrame | None = None) -> None:
    """Full-chain contour (black), fast-scan contour (red, dashed) and its +-u band (red, dotted); fast-scan
    points outside the validated domain (largest efficiency < 1 %) as crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from susyscan.plotting.style import apply_style, save_figure

    apply_style()
    fig, ax = plt.subplots(figsize=(8, 6.5))
    styles: list[tuple[str, pd.DataFrame, dict[str, Any]]] = [("full chain", _select(full, lumi, scenario, region), dict(color="black", lw=2.5, ls="-")),
              ("fast scan (surrogate)", _select(fast["nominal"], lumi, scenario, region),
               dict(color="tab:red", lw=2, ls="--"))]
    band = "" if uncertainty is None else f"{100 * uncertainty:.0f} %"
    for variant in ("down", "up"):
        if variant in fast:
            styles.append((f"fast scan, efficiency {'-' if variant == 'down' else '+'}{band}",
                           _select(fast[variant], lumi, scenario, region), dict(color="tab:red", lw=1, ls=":")))
    for label, grid, style in styles:
        lines = exclusion_contour(grid["m_parent"].to_numpy(), grid["m_lsp"].to_numpy(), grid["cls_exp"].to_numpy(),
                                  level)
        for k, line in enumerate(lines):
            ax.plot(line[:, 0], line[:, 1], label=label if k == 0 else None, **style)
    full_pts = _select(full, lumi, scenario, region)
    fast_pts = _select(fast["nominal"], lumi, scenario, region)
    ax.plot(fast_pts["m_parent"], fast_pts["m_lsp"], ".", color="tab:red", ms=2, alpha=0.5,
            label=f"fast-scan points ({len(fast_pts)})")
    ax.plot(full_pts["m_parent"], full_pts["m_lsp"], "s", mfc="none", color="black", ms=5,
            label=f"full-chain points ({len(full_pts)})")
    if fast_yields is not None:
        low = max_efficiency(fast_yields)
        low = low[low["efficiency"] < MIN_EFFICIENCY]
        ax.plot(low["m_parent"], low["m_lsp"], "x", color="tab:blue", ms=5,
                label=f"surrogate efficiency < {100 * MIN_EFFICIENCY:g} % in every region (not validated)")
    ax.set_xlabel(r"$m_{\tilde{\mu}}$ [GeV]")
    ax.set_ylabel(r"$m_{\tilde{\chi}^0_1}$ [GeV]")
    ax.set_title(rf"Expected CLs = {level:g} ({region} region, {scenario}), {lumi:g} fb$^{{-1}}$", fontsize="medium")
    ax.legend(fontsize="x-small", loc="upper left")
    for path in out_paths[:-1]:
        fig.savefig(str(path))
    save_figure(fig, str(out_paths[-1]))


def summary_markdown(table: pd.DataFrame, uncertainty: float | None) -> str:
    """Markdown of the agreement table and the verdict."""
    n = int(table["inside_fast_grid"].sum())
    bad = table[~table["agrees"]]
    bad_validated = bad[bad["validated"].astype(bool)]
    lines = [f"# Fast scan vs full chain (surrogate uncertainty {'n/a' if uncertainty is None else f'{100 * uncertainty:.1f} %'})",
             "", f"{n} full-chain points inside the fast grid; {len(bad)} disagree beyond the surrogate uncertainty, "
             f"{len(bad_validated)} of them in the validated domain (largest surrogate efficiency >= "
             f"{100 * MIN_EFFICIENCY:g} %).",
             "", "| m_parent | m_lsp | lumi | scenario | CLs full | CLs fast | fast band | max fast eff | agrees |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lo = min(r.cls_fast_down, r.cls_fast_up)
        hi = max(r.cls_fast_down, r.cls_fast_up)
        lines.append(f"| {r.m_parent:g} | {r.m_lsp:g} | {r.lumi_ifb:g} | {r.scenario} | {r.cls_full:.3g} | "
                     f"{r.cls_fast_nominal:.3g} | [{lo:.3g}, {hi:.3g}] | {100 * r.fast_max_efficiency:.2f} % | "
                     f"{'yes' if r.agrees else 'NO' if r.validated else 'NO (not validated: efficiency < 1 %)'} |")
    return "\n".join(lines) + "\n"
