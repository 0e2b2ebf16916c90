"""Feature standardisation (mean / standard deviation) fitted on the balanced training set."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

#: Standard deviations below this are treated as constant features (scaled by 1 instead).
MIN_STD = 1e-12


@dataclass(frozen=True)
class Standardisation:
    """Per-feature mean and standard deviation, in the order of ``feature_names``."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, feature_names: list[str] | tuple[str, ...]) -> Standardisation:
        """Fit on a (n_events, n_features) array; constant features get std 1."""
        mean = features.mean(axis=0)
        std = features.std(axis=0)
        constant = std < MIN_STD
        if constant.any():
            names = [n for n, c in zip(feature_names, constant) if c]
            logger.warning("constant features in the training set (std set to 1): %s", names)
            std = np.where(constant, 1.0, std)
        return cls(tuple(feature_names), mean.astype(np.float64), std.astype(np.float64))

    def apply(self, features: np.ndarray) -> np.ndarray:
        """Return the standardised copy of ``features``."""
        return (features - self.mean) / self.std

    def to_dict(self) -> dict[str, list]:
        """JSON-serialisable form."""
        return {"feature_names": list(self.feature_names), "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, payload: dict) -> Standardisation:
        """Inverse of :meth:`to_dict`."""
        mean, std = np.asarray(payload["mean"], float), np.asarray(payload["std"], float)
        return cls(tuple(payload["feature_names"]), mean, std)
