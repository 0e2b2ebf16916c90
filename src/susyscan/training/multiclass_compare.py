"""DNN vs DNN+SIGN from their out-of-fold scores (``susyscan.training.multiclass_stages``): ROC per class,
the best score-cut region of each (method, category), and the scan's yield tables of those regions.

- ROC per background class: the signal-class score separating the training point's signal from that class
  (AUC, weights |w|, since a ROC needs non-negative weights); and each class's own probability one-vs-rest.
- Best region: the cut on the signal-class score maximising the Asimov discovery significance
  ``Z = sqrt(2((s+b) ln(1+s/b) - s))`` of the training point at the first luminosity, among cuts keeping at least
  ``min_background_mc`` background MC events (signed weights). As in the ewkino analysis, the out-of-fold events
  are split in two halves by the shared keyed hash of their id (``susyscan.training.halves.cut_choice_halves``,
  stream ``"cut_choice"``, as ewkino's): the cut is **chosen** on one half and s, b, Z are **quoted** on the other,
  each half's weights normalised to the full sample (``susyscan.training.halves.half_weights``); Z is then given at
  every luminosity. ``z_optimisation`` (on the choosing half) is kept for reference.
- Paired bootstrap (:func:`paired_comparison`): DNN and DNN+SIGN score the same events, so their quoted Z are
  strongly correlated; ``susyscan.training.halves.paired_ratio_bootstrap`` gives the MC error of Z_DNN+SIGN / Z_DNN
  at the chosen cuts and the fraction of replicas in which DNN+SIGN is better.
- Yields: the quoting half only (half-normalised weights), so that the limits do not see the events the cut was
  chosen on; per grid point (``susyscan.contracts.YIELD_COLUMNS``) and per background class + ``total``
  (``BACKGROUND_COLUMNS`` + min/max event weights), regions named ``<method> <category>``, plus the analysis'
  cut-and-count flags on the same events, for the shared limit and contour code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from susyscan.analysis.tautruth import untagged_abs_weights
from susyscan.contracts import TOTAL
from susyscan.errors import EmptySelectionError, FeatureError
from susyscan.scan.yields import largest_weight_column, note_largest_weight, yields_from_masks
from susyscan.training.halves import half_weights, paired_ratio_bootstrap
from susyscan.training.multiclass_stages import ID_COLUMNS

logger = logging.getLogger(__name__)


def asimov_z(s: float | np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """Asimov discovery significance (0 where s <= 0 or b <= 0)."""
    s, b = np.asarray(s, dtype=float), np.asarray(b, dtype=float)
    ok = (s > 0) & (b > 0)
    safe_b = np.where(ok, b, 1.0)
    safe_s = np.where(ok, s, 0.0)
    z2 = 2.0 * ((safe_s + safe_b) * np.log1p(safe_s / safe_b) - safe_s)
    return np.where(ok, np.sqrt(np.clip(z2, 0.0, None)), 0.0)


def best_cut(scores: pd.DataFrame, signal_samples: Sequence[str], lumi_ifb: float, optimise: np.ndarray,
             min_background_mc: int = 3, column: str = "p_signal", n_candidates: int = 400) -> dict[str, float]:
    """The score cut of highest Asimov Z for the ``signal_samples`` events against all background events, chosen on
    the ``optimise`` rows and quoted (``s``, ``b``, ``z``, MC counts) on the others; weights are half-normalised
    (:func:`quoting_weights`). ``z_optimisation`` is Z on the choosing half."""
    optimise = np.asarray(optimise, dtype=bool)
    if len(optimise) != len(scores):
        raise ValueError(f"best cut: {len(optimise)} half flags for {len(scores)} events")
    weight = quoting_weights(scores, optimise) * 1000.0 * lumi_ifb
    is_sig = scores["sample"].isin(signal_samples).to_numpy()
    is_bkg = scores["label"].to_numpy() != 0
    score = scores[column].to_numpy(dtype=float)
    empty = {"threshold": float("inf"), "s": 0.0, "b": 0.0, "z": 0.0, "z_optimisation": 0.0, "n_signal_mc": 0,
             "n_background_mc": 0}
    if not (is_sig & optimise).any() or not (is_bkg & optimise).any():
        logger.warning("best cut: %d signal events of %s, %d background events in the choosing half: no region",
                       int((is_sig & optimise).sum()), list(signal_samples), int((is_bkg & optimise).sum()))
        return empty
    s_score, s_w = score[is_sig & optimise], weight[is_sig & optimise]
    b_score, b_w = score[is_bkg & optimise], weight[is_bkg & optimise]
    candidates = np.unique(np.quantile(s_score, np.linspace(0.0, 0.995, n_candidates)))
    s = np.array([s_w[s_score >= t].sum() for t in candidates])
    b = np.array([b_w[b_score >= t].sum() for t in candidates])
    n_b = np.array([(b_score >= t).sum() for t in candidates])
    z = asimov_z(s, b)
    valid = n_b >= min_background_mc
    if not valid.any():
        logger.warning("best cut: no cut keeps %d background MC events; the loosest cut is used", min_background_mc)
    best = int(np.argmax(np.where(valid, z, -1.0))) if valid.any() else 0
    threshold = float(candidates[best])
    passing = score >= threshold
    quote_s, quote_b = is_sig & ~optimise & passing, is_bkg & ~optimise & passing
    s_quoted, b_quoted = float(weight[quote_s].sum()), float(weight[quote_b].sum())
    return {"threshold": threshold, "s": s_quoted, "b": b_quoted, "z": float(asimov_z(s_quoted, b_quoted)),
            "z_optimisation": float(z[best]), "n_signal_mc": int(quote_s.sum()), "n_background_mc": int(quote_b.sum())}


def quoting_weights(scores: pd.DataFrame, optimise: np.ndarray, column: str = "weight") -> np.ndarray:
    """The events' weights with each half normalised to its full sample (``halves.half_weights``)."""
    return half_weights(scores[column].to_numpy(dtype=float), scores["sample"].astype(str).to_numpy(),
                        np.asarray(optimise, dtype=bool))


def paired_comparison(dnn: pd.DataFrame, sign: pd.DataFrame, optimise: np.ndarray, signal_samples: Sequence[str],
                      cuts: Mapping[str, float], lumis: Sequence[float], n_boot: int = 400,
                      seed: int = 1) -> pd.DataFrame:
    """Paired bootstrap of Z_DNN+SIGN / Z_DNN on the quoting half of the events both tables score (same ids, same
    halves), at the cuts ``cuts`` (``{"dnn": t, "sign": t}``), one row per luminosity (columns ``lumi_ifb``,
    ``ratio_boot_mean``, ``ratio_boot_std``, ``p_sign_better``, ``n_boot``)."""
    ids = list(ID_COLUMNS)
    left = dnn.assign(optimise=np.asarray(optimise, dtype=bool))
    merged = left.merge(sign[[*ids, "p_signal", "weight"]], on=ids, how="outer", suffixes=("_dnn", "_sign"),
                        indicator=True, validate="one_to_one")
    unmatched = int((merged["_merge"] != "both").sum())
    if unmatched:
        raise FeatureError(f"paired comparison: {unmatched} events are scored by only one of DNN and DNN+SIGN")
    if not np.allclose(merged["weight_dnn"], merged["weight_sign"], rtol=1e-12, atol=0.0):
        raise FeatureError("paired comparison: the DNN and DNN+SIGN score tables disagree on the event weights")
    merged = merged.rename(columns={"weight_dnn": "weight"})
    merged["weight_pb"] = quoting_weights(merged, merged["optimise"].to_numpy())
    training = merged["sample"].isin(signal_samples)
    keep = ~merged["optimise"].to_numpy(dtype=bool) & (training | (merged["label"] != 0)).to_numpy()
    quote = pd.DataFrame({"is_signal": training[keep].to_numpy(), "weight_pb": merged.loc[keep, "weight_pb"],
                          "score_sign": merged.loc[keep, "p_signal_sign"], "score_dnn": merged.loc[keep, "p_signal_dnn"]})
    # the quoted regions are p >= threshold; the bootstrap counts p > cut: the next float below the threshold
    table = pd.DataFrame({"lumi_ifb": [float(lumi) for lumi in lumis],
                          "cut_sign": np.nextafter(cuts["sign"], -np.inf), "cut_dnn": np.nextafter(cuts["dnn"], -np.inf)})
    return paired_ratio_bootstrap(quote.reset_index(drop=True), table, n_boot, seed, sides=("sign", "dnn"),
                                  significance=asimov_z, point_columns=())


def roc_rows(scores: pd.DataFrame, classes: Sequence[str], signal_samples: Sequence[str]) -> list[dict]:
    """AUC of the signal-class score per background class, and one-vs-rest AUC of each class's probability."""
    train = scores[scores["train"].astype(bool)]
    sig = train[train["sample"].isin(signal_samples)]
    rows = []
    for index, name in enumerate(classes):
        own = train["label"].to_numpy() == index
        ovr = (float(roc_auc_score(own, train[f"p_{name}"], sample_weight=train["weight"].abs()))
               if 0 < own.sum() < len(own) else float("nan"))
        vs_signal = float("nan")
        if index > 0:
            bkg = train[own]
            if len(bkg) and len(sig):
                y = np.r_[np.ones(len(sig)), np.zeros(len(bkg))]
                vs_signal = float(roc_auc_score(y, np.r_[sig["p_signal"], bkg["p_signal"]],
                                                sample_weight=np.abs(np.r_[sig["weight"], bkg["weight"]])))
        rows.append({"class": name, "auc_signal_score_vs_class": vs_signal, "auc_one_vs_rest": ovr,
                     "n_events": int(own.sum())})
    return rows


def roc_curve_points(scores: pd.DataFrame, label: int, signal_samples: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(signal efficiency, efficiency of class ``label``) of the signal-class score, training point vs that class."""
    train = scores[scores["train"].astype(bool)]
    sig = train[train["sample"].isin(signal_samples)]
    bkg = train[train["label"] == label]
    y = np.r_[np.ones(len(sig)), np.zeros(len(bkg))]
    fpr, tpr, _ = roc_curve(y, np.r_[sig["p_signal"], bkg["p_signal"]],
                            sample_weight=np.abs(np.r_[sig["weight"], bkg["weight"]]))
    return tpr, fpr


def yield_tables(regions: Mapping[str, tuple[pd.DataFrame, np.ndarray]], class_column: str,
                 ) -> tuple[dict[tuple[str, float, float], pd.DataFrame], pd.DataFrame]:
    """Per grid point ((sample, m_parent, m_lsp) -> yield table) and the background table, from ``regions``:
    name -> (events of the region's table, boolean pass mask). ``max_event_weight_pb`` (the zero-MC background
    unit) is, per region and process, the largest ``|weight|`` of the region's table as weighted there (x 2 in a
    half-sample region) with the tau truth-tag factor taken out (column ``tau_tag_weight``); ``total``: the largest
    over the region's processes (``scan.yields.largest_weight_column``)."""
    points: dict[tuple[str, float, float], list[pd.DataFrame]] = {}
    backgrounds: dict[str, list[pd.DataFrame]] = {}
    largest: dict[tuple[str, str], float] = {}
    min_w: dict[str, float] = {}
    for name, (events, mask) in regions.items():
        signal = events["label"].to_numpy() == 0
        for (sample, m_parent, m_lsp), rows in events[signal].groupby(["sample", "m_parent", "m_lsp"]).groups.items():
            part = yields_from_masks(events.loc[rows, "weight"].to_numpy(), {name: mask[rows]})
            points.setdefault((str(sample), float(m_parent), float(m_lsp)), []).append(part)
        for process, rows in events[~signal].groupby(class_column).groups.items():
            w = events.loc[rows, "weight"].to_numpy()
            backgrounds.setdefault(str(process), []).append(yields_from_masks(w, {name: mask[rows]}))
            untagged = untagged_abs_weights(w, events.loc[rows], f"region {name!r}, class {process!r}")
            note_largest_weight(largest, [name], str(process), untagged)
            positive = w[w > 0]
            if len(positive):
                min_w[str(process)] = min(min_w.get(str(process), np.inf), float(positive.min()))
    point_tables = {}
    for (sample, m_parent, m_lsp), parts in points.items():
        table = _sum(pd.concat(parts))
        table["m_parent"], table["m_lsp"] = m_parent, m_lsp
        point_tables[(sample, m_parent, m_lsp)] = table
    rows = []
    for process, parts in sorted(backgrounds.items()):
        rows.append(_sum(pd.concat(parts)).assign(process=process, min_event_weight_pb=min_w.get(process, np.nan)))
    if not rows:
        raise EmptySelectionError("no background events in the scored tables")
    total = _sum(pd.concat(rows)).assign(process=TOTAL, min_event_weight_pb=min(min_w.values(), default=np.nan))
    background = pd.concat([*rows, total], ignore_index=True)
    background["max_event_weight_pb"] = largest_weight_column(background, largest)
    columns = ["region", "process", "yield_pb", "stat_pb", "n_raw", "min_event_weight_pb", "max_event_weight_pb"]
    return point_tables, background[columns]


def _sum(tables: pd.DataFrame) -> pd.DataFrame:
    """Sum yields and raw counts per region, stat errors in quadrature (region order kept)."""
    order = list(dict.fromkeys(tables["region"]))
    tables = tables.assign(var=tables["stat_pb"] ** 2)
    summed = tables.groupby("region", sort=False)[["yield_pb", "var", "n_raw"]].sum().loc[order].reset_index()
    return pd.DataFrame({"region": summed["region"], "yield_pb": summed["yield_pb"], "stat_pb": np.sqrt(summed["var"]),
                         "n_raw": summed["n_raw"].astype(int)})
