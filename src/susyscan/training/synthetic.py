"""Synthetic, learnable feature tables following the merged-feature CSV contract (tests, benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SIGNAL_POINTS: tuple[tuple[float, float], ...] = ((150.0, 0.0), (200.0, 50.0), (400.0, 0.0), (500.0, 100.0))
BACKGROUNDS: tuple[tuple[str, float], ...] = (("ttbar", 2.0e-4), ("ww", 5.0e-5), ("zz", 1.0e-5))


def synthetic_feature_names(n_features: int = 37) -> list[str]:
    """Generic feature names ``x00 ... x{n-1}``."""
    return [f"x{i:02d}" for i in range(n_features)]


def synthetic_feature_table(
    n_per_sample: int = 250,
    n_features: int = 37,
    separation: float = 0.6,
    seed: int = 0,
    feature_names: list[str] | None = None,
) -> pd.DataFrame:
    """Gaussian blobs: backgrounds centred at 0, signals shifted by ``separation`` in every feature.

    ``weight_pb`` mimics ``gen_weight * xsec_pb / total_sum_weights`` (constant per sample).
    ``feature_names`` (default ``x00..``) overrides ``n_features``.
    """
    rng = np.random.default_rng(seed)
    names = list(feature_names) if feature_names is not None else synthetic_feature_names(n_features)
    n_features = len(names)
    frames = []
    samples: list[tuple[str, str, int, float, float, float]] = [
        (name, name, 0, -1.0, -1.0, per_event) for name, per_event in BACKGROUNDS
    ]
    samples += [(f"smuon_{int(mp)}_{int(ml)}", "smuon", 1, mp, ml, 1e-5) for mp, ml in SIGNAL_POINTS]
    for name, process, is_signal, m_parent, m_lsp, per_event_pb in samples:
        shift = separation * is_signal
        features = rng.normal(loc=shift, scale=1.0, size=(n_per_sample, n_features))
        frame = pd.DataFrame(features, columns=names)
        frame["weight_pb"] = per_event_pb
        frame["gen_weight"] = 1.0
        frame["sample"] = name
        frame["process"] = process
        frame["is_signal"] = is_signal
        frame["m_parent"] = m_parent
        frame["m_lsp"] = m_lsp
        frame["chunk"] = 0
        frame["event"] = np.arange(n_per_sample)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
