"""S/sqrt(S+B) of the network selection vs the kinematic baseline (the scan's yield tables: ``susyscan.scan.yields``).

The score cut maximising S/sqrt(S+B) is chosen on one half of the evaluation events (the shared
``susyscan.training.halves.cut_choice_halves``: a function of (seed, sample, event id), independent of the
train/val/test split) and S/sqrt(S+B) is quoted on the other half, so the quoted number carries no optimisation bias.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.errors import EmptySelectionError
from susyscan.training.halves import half_weights as half_weights  # shared with stau, re-exported
from susyscan.training.halves import s_over_sqrt_sb as s_over_sqrt_sb  # shared with the paired bootstrap, re-exported

logger = logging.getLogger(__name__)


def best_score_cut(sig_scores: np.ndarray, sig_weight_pb: np.ndarray, bkg_scores: np.ndarray, bkg_weight_pb: np.ndarray,
                   lumi_ifb: float, min_background: float = 0.0, n_cuts: int = 199) -> tuple[float, float, float, float]:
    """(cut, S, B, Z) maximising S/sqrt(S+B) over cuts on a grid in [0, 1) at ``lumi_ifb``.

    Cuts keeping fewer than ``min_background`` background **MC events** (raw count, the config key's documented
    meaning), or no background expectation at all, are skipped: this guards against tuning on the empty background
    tail of a small MC sample (before issue 17 the guard compared the weighted expectation, which at 300 fb^-1 one
    Z(->nunu) MC event of ~2700 expected events always passed).
    """
    cuts = np.linspace(0.0, 1.0, n_cuts + 2)[1:-1]
    scale = 1000.0 * lumi_ifb
    s = np.array([sig_weight_pb[sig_scores > c].sum() for c in cuts]) * scale
    b = np.array([bkg_weight_pb[bkg_scores > c].sum() for c in cuts]) * scale
    n_mc = np.array([int((bkg_scores > c).sum()) for c in cuts])
    z = np.where((b > 0) & (n_mc >= min_background), s_over_sqrt_sb(s, b), -np.inf)
    if not np.isfinite(z).any():
        raise EmptySelectionError(f"no score cut keeps at least {min_background:g} background MC events")
    best = int(np.argmax(z))
    return float(cuts[best]), float(s[best]), float(b[best]), float(z[best])


def z_stat_error(s: float, b: float, s_err: float, b_err: float) -> float:
    """MC statistical error of S/sqrt(S+B) from the errors of S and B (independent, linear propagation)."""
    total = s + b
    if total <= 0:
        return 0.0
    dz_ds = (s + 2.0 * b) / (2.0 * total**1.5)
    dz_db = -s / (2.0 * total**1.5)
    return float(np.hypot(dz_ds * s_err, dz_db * b_err))


def _passing(scores: np.ndarray, weights: np.ndarray, mask: np.ndarray, scale: float) -> tuple[float, float, int]:
    chosen = weights[mask]
    return float(chosen.sum() * scale), float(np.sqrt(np.square(chosen).sum()) * scale), int(mask.sum())


def point_significance(sig_scores: np.ndarray, sig_weight_pb: np.ndarray, sig_baseline: np.ndarray,
                       bkg_scores: np.ndarray, bkg_weight_pb: np.ndarray, bkg_baseline: np.ndarray,
                       lumis_ifb: list[float], score_cut: float | None = None, min_background: float = 0.0,
                       sig_optimise: np.ndarray | None = None,
                       bkg_optimise: np.ndarray | None = None) -> list[dict[str, float]]:
    """One row per luminosity: baseline S, B, Z; network cut, S, B, Z (with MC stat errors and MC event counts);
    gain = Z_nn / Z_baseline.

    With ``score_cut`` None the cut maximising S/sqrt(S+B) is chosen on the events flagged by ``sig_optimise`` /
    ``bkg_optimise`` (``z_nn_optimisation``, an optimistic number) and every quoted number (baseline and network)
    comes from the other events only. Weights must already be normalised per half (:func:`half_weights`).
    A fixed ``score_cut`` without masks quotes on all events.
    """
    if score_cut is None and (sig_optimise is None or bkg_optimise is None):
        raise ValueError("choosing the score cut needs optimisation masks: the quoted S/sqrt(S+B) must not come from "
                         "the events the cut was chosen on")
    sig_quote = ~sig_optimise if sig_optimise is not None else np.ones(len(sig_scores), dtype=bool)
    bkg_quote = ~bkg_optimise if bkg_optimise is not None else np.ones(len(bkg_scores), dtype=bool)
    rows = []
    for lumi in lumis_ifb:
        scale = 1000.0 * lumi
        s_base, s_base_err, _ = _passing(sig_scores, sig_weight_pb, sig_baseline & sig_quote, scale)
        b_base, b_base_err, _ = _passing(bkg_scores, bkg_weight_pb, bkg_baseline & bkg_quote, scale)
        z_opt = float("nan")
        if score_cut is None:
            assert sig_optimise is not None and bkg_optimise is not None
            cut, _, _, z_opt = best_score_cut(sig_scores[sig_optimise], sig_weight_pb[sig_optimise],
                                              bkg_scores[bkg_optimise], bkg_weight_pb[bkg_optimise], lumi,
                                              min_background)
        else:
            cut = float(score_cut)
        s_nn, s_nn_err, n_sig = _passing(sig_scores, sig_weight_pb, (sig_scores > cut) & sig_quote, scale)
        b_nn, b_nn_err, n_bkg = _passing(bkg_scores, bkg_weight_pb, (bkg_scores > cut) & bkg_quote, scale)
        z_base = float(s_over_sqrt_sb(s_base, b_base))
        z_nn = float(s_over_sqrt_sb(s_nn, b_nn))
        rows.append({"lumi_ifb": lumi, "s_baseline": s_base, "b_baseline": b_base, "z_baseline": z_base,
                     "z_baseline_stat": z_stat_error(s_base, b_base, s_base_err, b_base_err),
                     "score_cut": cut, "z_nn_optimisation": z_opt, "s_nn": s_nn, "b_nn": b_nn, "z_nn": z_nn,
                     "z_nn_stat": z_stat_error(s_nn, b_nn, s_nn_err, b_nn_err), "s_nn_stat": s_nn_err,
                     "b_nn_stat": b_nn_err, "n_sig_mc": n_sig, "n_bkg_mc": n_bkg,
                     "gain": z_nn / z_base if z_base > 0 else float("nan")})
    return rows


def significance_table(scores: np.ndarray, weight_pb: np.ndarray, baseline: np.ndarray, is_signal: np.ndarray,
                       m_parent: np.ndarray, m_lsp: np.ndarray, lumis_ifb: list[float], score_cut: float | None = None,
                       min_background: float = 0.0, optimise: np.ndarray | None = None) -> pd.DataFrame:
    """Per mass point and luminosity: baseline vs network S/sqrt(S+B) (all backgrounds summed); the cut is chosen
    on the ``optimise`` events and the numbers are quoted on the others (:func:`point_significance`)."""
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
                                      baseline[bkg], lumis_ifb, score_cut, min_background,
                                      None if optimise is None else optimise[sel],
                                      None if optimise is None else optimise[bkg]):
            rows.append({"m_parent": m_p, "m_lsp": m_l, **row})
    return pd.DataFrame(rows)


def threshold_comparison(table_low: pd.DataFrame, table_high: pd.DataFrame, low_gev: float = 1.0,
                         high_gev: float = 10.0) -> pd.DataFrame:
    """Join two significance tables (models with soft-particle thresholds ``low_gev`` and ``high_gev``)."""
    keys = ["m_parent", "m_lsp", "lumi_ifb"]
    stat = ["z_nn_stat"] if "z_nn_stat" in table_low.columns and "z_nn_stat" in table_high.columns else []
    low = table_low[keys + ["z_baseline", "z_nn", *stat]].rename(
        columns={"z_nn": f"z_nn_{low_gev:g}gev", "z_nn_stat": f"z_nn_stat_{low_gev:g}gev"})
    high = table_high[keys + ["z_nn", *stat]].rename(
        columns={"z_nn": f"z_nn_{high_gev:g}gev", "z_nn_stat": f"z_nn_stat_{high_gev:g}gev"})
    joined = low.merge(high, on=keys, how="inner", validate="one_to_one")
    joined[f"ratio_{low_gev:g}_over_{high_gev:g}"] = joined[f"z_nn_{low_gev:g}gev"] / joined[f"z_nn_{high_gev:g}gev"]
    return joined
