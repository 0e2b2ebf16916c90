"""S/sqrt(S+B) of the network selection vs the kinematic baseline; scan yield tables."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.errors import EmptySelectionError

logger = logging.getLogger(__name__)

REGION_BASELINE = "baseline"
REGION_NETWORK = "nn"


def s_over_sqrt_sb(signal: float | np.ndarray, background: float | np.ndarray) -> np.ndarray:
    """S / sqrt(S + B); 0 where S + B <= 0."""
    s, b = np.asarray(signal, dtype=np.float64), np.asarray(background, dtype=np.float64)
    total = s + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, s / np.sqrt(np.where(total > 0, total, 1.0)), 0.0)


def best_score_cut(sig_scores: np.ndarray, sig_weight_pb: np.ndarray, bkg_scores: np.ndarray, bkg_weight_pb: np.ndarray,
                   lumi_ifb: float, min_background: float = 0.0, n_cuts: int = 199) -> tuple[float, float, float, float]:
    """(cut, S, B, Z) maximising S/sqrt(S+B) over cuts on a grid in [0, 1) at ``lumi_ifb``.

    Cuts leaving a background expectation <= ``min_background`` events are skipped (guards against
    tuning on empty background tails of a small MC sample).
    """
    cuts = np.linspace(0.0, 1.0, n_cuts + 2)[1:-1]
    scale = 1000.0 * lumi_ifb
    s = np.array([sig_weight_pb[sig_scores > c].sum() for c in cuts]) * scale
    b = np.array([bkg_weight_pb[bkg_scores > c].sum() for c in cuts]) * scale
    z = np.where(b > min_background, s_over_sqrt_sb(s, b), -np.inf)
    if not np.isfinite(z).any():
        raise EmptySelectionError(f"no score cut leaves more than {min_background} background events")
    best = int(np.argmax(z))
    return float(cuts[best]), float(s[best]), float(b[best]), float(z[best])


def point_significance(sig_scores: np.ndarray, sig_weight_pb: np.ndarray, sig_baseline: np.ndarray,
                       bkg_scores: np.ndarray, bkg_weight_pb: np.ndarray, bkg_baseline: np.ndarray,
                       lumis_ifb: list[float], score_cut: float | None = None, min_background: float = 0.0) -> list[dict[str, float]]:
    """One row per luminosity: baseline S, B, Z; network cut, S, B, Z; gain = Z_nn / Z_baseline."""
    rows = []
    for lumi in lumis_ifb:
        scale = 1000.0 * lumi
        s_base, b_base = sig_weight_pb[sig_baseline].sum() * scale, bkg_weight_pb[bkg_baseline].sum() * scale
        if score_cut is None:
            cut, s_nn, b_nn, z_nn = best_score_cut(sig_scores, sig_weight_pb, bkg_scores, bkg_weight_pb, lumi, min_background)
        else:
            cut = float(score_cut)
            s_nn = sig_weight_pb[sig_scores > cut].sum() * scale
            b_nn = bkg_weight_pb[bkg_scores > cut].sum() * scale
            z_nn = float(s_over_sqrt_sb(s_nn, b_nn))
        z_base = float(s_over_sqrt_sb(s_base, b_base))
        rows.append({"lumi_ifb": lumi, "s_baseline": s_base, "b_baseline": b_base, "z_baseline": z_base,
                     "score_cut": cut, "s_nn": s_nn, "b_nn": b_nn, "z_nn": z_nn,
                     "gain": z_nn / z_base if z_base > 0 else float("nan")})
    return rows


def significance_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, is_signal: np.ndarray,
                       m_parent: np.ndarray, m_lsp: np.ndarray, lumis_ifb: list[float], score_cut: float | None = None,
                       min_background: float = 0.0) -> pd.DataFrame:
    """Per mass point and luminosity: baseline vs network S/sqrt(S+B) (all backgrounds summed)."""
    signal = is_signal.astype(bool)
    baseline = baseline.astype(bool)
    if not signal.any() or signal.all():
        raise EmptySelectionError("significance needs both signal and background events")
    bkg = ~signal
    rows = []
    points = sorted({(float(p), float(lsp)) for p, lsp in zip(m_parent[signal], m_lsp[signal], strict=True)})
    for m_p, m_l in points:
        sel = signal & (m_parent == m_p) & (m_lsp == m_l)
        for row in point_significance(scores[sel], weight_pb[sel], baseline[sel], scores[bkg], weight_pb[bkg],
                                      baseline[bkg], lumis_ifb, score_cut, min_background):
            rows.append({"m_parent": m_p, "m_lsp": m_l, **row})
    return pd.DataFrame(rows)


def threshold_comparison(table_low: pd.DataFrame, table_high: pd.DataFrame, low_gev: float = 1.0,
                         high_gev: float = 10.0) -> pd.DataFrame:
    """Join two significance tables (models with soft-particle thresholds ``low_gev`` and ``high_gev``)."""
    keys = ["m_parent", "m_lsp", "lumi_ifb"]
    low = table_low[keys + ["z_baseline", "z_nn"]].rename(columns={"z_nn": f"z_nn_{low_gev:g}gev"})
    high = table_high[keys + ["z_nn"]].rename(columns={"z_nn": f"z_nn_{high_gev:g}gev"})
    joined = low.merge(high, on=keys, how="inner", validate="one_to_one")
    joined[f"ratio_{low_gev:g}_over_{high_gev:g}"] = joined[f"z_nn_{low_gev:g}gev"] / joined[f"z_nn_{high_gev:g}gev"]
    return joined


def _region_row(region: str, weight_pb: np.ndarray, selected: np.ndarray) -> dict[str, str | float]:
    w = weight_pb[selected]
    return {"region": region, "yield_pb": float(w.sum()), "stat_pb": float(np.sqrt(np.square(w).sum())),
            "n_raw": int(selected.sum())}


def signal_yield_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, score_cut: float,
                       m_parent: float, m_lsp: float) -> pd.DataFrame:
    """Scan-contract table of one point: ``region, yield_pb, stat_pb, n_raw, m_parent, m_lsp``
    for the regions ``baseline`` and ``nn`` (score > score_cut)."""
    rows = [_region_row(REGION_BASELINE, weight_pb, baseline.astype(bool)),
            _region_row(REGION_NETWORK, weight_pb, scores > score_cut)]
    table = pd.DataFrame(rows)
    table["m_parent"], table["m_lsp"] = float(m_parent), float(m_lsp)
    return table


def background_yield_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, process: np.ndarray,
                           score_cut: float) -> pd.DataFrame:
    """``region, process, yield_pb, stat_pb, n_raw, min_event_weight_pb`` per process plus ``total`` rows."""
    rows = []
    regions = {REGION_BASELINE: baseline.astype(bool), REGION_NETWORK: scores > score_cut}
    positive = weight_pb[weight_pb > 0]
    min_weight = float(positive.min()) if len(positive) else float("nan")
    for region, selected in regions.items():
        for name in sorted(set(process.tolist())):
            rows.append({**_region_row(region, weight_pb, selected & (process == name)), "process": name})
        rows.append({**_region_row(region, weight_pb, selected), "process": "total"})
    table = pd.DataFrame(rows)[["region", "process", "yield_pb", "stat_pb", "n_raw"]]
    table["min_event_weight_pb"] = min_weight
    return table
