"""Honest cut-based comparisons of two classifiers on held-out events (shared by the ewkino and stau analyses).

- The events are split into two halves by a hash of their id (:func:`cut_choice_halves`: the keyed id hash of
  ``susyscan.training.folds`` on stream ``"cut_choice"``, independent of the train/val/test split and the folds): the
  score cut is **chosen** on one half (``optimise``) and every quoted number comes from the **other** half, so the
  quoted significance carries no optimisation bias. :func:`half_weights` normalises each half to the full sample.
- :func:`paired_ratio_bootstrap`: when two classifiers are quoted on the same events their significances are
  strongly correlated; each replica reweights every quoting event by one Poisson(1) number shared by the two, the
  cuts stay fixed, and the spread of the ratio is its MC statistical error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from susyscan.training.folds import id_uniform

logger = logging.getLogger(__name__)

Significance = Callable[[np.ndarray, np.ndarray], np.ndarray]


def cut_choice_halves(samples: np.ndarray, ids: np.ndarray, seed: int) -> np.ndarray:
    """True for the events on which a score cut is chosen, False for those on which it is quoted: half of each
    sample (within binomial fluctuations) by the keyed id hash (``folds.id_uniform``, stream ``"cut_choice"``), a
    function of (seed, sample, event id) only, so two classifiers scored on the same events get the same halves."""
    return id_uniform(samples, ids, seed, "cut_choice") < 0.5


def half_weights(weight_pb: np.ndarray, sample: np.ndarray, optimise: np.ndarray) -> np.ndarray:
    """Weights of the two halves, each normalised to the full sample: an event of sample s in half h gets
    ``weight_pb * n(s) / n(s, h)`` (event counts; as the shared training's ``split_weight_scale``)."""
    out = np.asarray(weight_pb, dtype=np.float64).copy()
    sample = np.asarray(sample)
    optimise = np.asarray(optimise, dtype=bool)
    for name in np.unique(sample):
        of_sample = sample == name
        for half in (optimise, ~optimise):
            chosen = of_sample & half
            if chosen.any():
                out[chosen] *= of_sample.sum() / chosen.sum()
    return out


def s_over_sqrt_sb(signal: float | np.ndarray, background: float | np.ndarray) -> np.ndarray:
    """S / sqrt(S + B); 0 where S + B <= 0 (the default significance of :func:`paired_ratio_bootstrap`)."""
    s, b = np.asarray(signal, dtype=np.float64), np.asarray(background, dtype=np.float64)
    total = s + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, s / np.sqrt(np.where(total > 0, total, 1.0)), 0.0)


def paired_ratio_bootstrap(quote: pd.DataFrame, cuts: pd.DataFrame, n_boot: int = 400, seed: int = 1,
                           sides: Sequence[str] = ("low", "high"), significance: Significance = s_over_sqrt_sb,
                           point_columns: Sequence[str] = ("m_parent", "m_lsp")) -> pd.DataFrame:
    """Bootstrap of Z_a / Z_b (``sides = (a, b)``) over the quoting events ``quote`` (columns ``is_signal``,
    ``weight_pb``, ``score_a``, ``score_b`` and the ``point_columns``).

    Per row of ``cuts`` (the ``point_columns``, ``lumi_ifb``, ``cut_a``, ``cut_b`` and any other key columns, which
    are copied to the output): the signal is the ``is_signal`` events whose ``point_columns`` equal the row's (all
    ``is_signal`` events when ``point_columns`` is empty), the background every other event. Output: the key
    columns, ``ratio_boot_mean``, ``ratio_boot_std``, ``p_{a}_better`` (fraction of replicas with Z_a > Z_b) and
    ``n_boot``."""
    first, second = sides
    rng = np.random.default_rng(seed)
    replicas = rng.poisson(1.0, (n_boot, len(quote))).astype(np.float64)
    weight = quote["weight_pb"].to_numpy(np.float64)
    signal = quote["is_signal"].to_numpy().astype(bool)
    keys = [c for c in cuts.columns if c not in (f"cut_{first}", f"cut_{second}")]
    rows = []
    for cut in cuts.to_dict("records"):
        scale = 1000.0 * float(cut["lumi_ifb"])
        point = signal.copy()
        for column in point_columns:
            point &= quote[column].to_numpy() == cut[column]
        z = {}
        for side in sides:
            passing = quote[f"score_{side}"].to_numpy() > cut[f"cut_{side}"]
            s = replicas[:, point & passing] @ weight[point & passing] * scale
            b = replicas[:, ~signal & passing] @ weight[~signal & passing] * scale
            z[side] = np.asarray(significance(s, b), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(z[second] > 0, z[first] / z[second], np.nan)
        finite = ratio[np.isfinite(ratio)]
        rows.append({**{key: cut[key] for key in keys},
                     "ratio_boot_mean": float(finite.mean()) if len(finite) else float("nan"),
                     "ratio_boot_std": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                     f"p_{first}_better": float((z[first] > z[second]).mean()),
                     "n_boot": n_boot})
    return pd.DataFrame(rows)
