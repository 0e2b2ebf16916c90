"""S/sqrt(S+B) of the network selection vs the kinematic baseline; scan yield tables."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.contracts import BACKGROUND_COLUMNS, TOTAL, YIELD_COLUMNS
from susyscan.errors import EmptySelectionError
from susyscan.scan.yields import yields_from_masks

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


def signal_yield_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, score_cut: float,
                       m_parent: float, m_lsp: float) -> pd.DataFrame:
    """The scan's per-point table (``susyscan.contracts.YIELD_COLUMNS``) for the regions ``baseline`` and ``nn``
    (score > score_cut), built by the shared ``susyscan.scan.yields.yields_from_masks``."""
    table = yields_from_masks(weight_pb, {REGION_BASELINE: baseline.astype(bool), REGION_NETWORK: scores > score_cut})
    table["m_parent"], table["m_lsp"] = float(m_parent), float(m_lsp)
    return table[list(YIELD_COLUMNS)]


def _weight_range(weights: np.ndarray) -> tuple[float, float]:
    positive = weights[weights > 0]
    smallest = float(positive.min()) if len(positive) else float("nan")
    return smallest, float(np.abs(weights).max()) if len(weights) else float("nan")


def background_yield_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, process: np.ndarray,
                           score_cut: float) -> pd.DataFrame:
    """The scan's background table: ``susyscan.contracts.BACKGROUND_COLUMNS`` per region and process plus ``total``
    rows, with ``min_event_weight_pb`` / ``max_event_weight_pb`` (per process; for ``total`` over all processes),
    as ``susyscan.scan.yields.compute_background_yields`` writes it."""
    masks = {REGION_BASELINE: baseline.astype(bool), REGION_NETWORK: scores > score_cut}
    frames = []
    for name in sorted(set(process.tolist())):
        sel = process == name
        table = yields_from_masks(weight_pb[sel], {region: mask[sel] for region, mask in masks.items()})
        table["process"] = name
        table["min_event_weight_pb"], table["max_event_weight_pb"] = _weight_range(weight_pb[sel])
        frames.append(table)
    total = yields_from_masks(weight_pb, masks)
    total["process"] = TOTAL
    total["min_event_weight_pb"], total["max_event_weight_pb"] = _weight_range(weight_pb)
    frames.append(total)
    columns = [*BACKGROUND_COLUMNS, "min_event_weight_pb", "max_event_weight_pb"]
    return pd.concat(frames, ignore_index=True)[columns]
