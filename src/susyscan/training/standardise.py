"""Feature standardisation (mean / standard deviation) fitted on the training set, one per input block.

A network reads one or several named *input blocks*: a flat block (N, F) of per-event features, or a slot block
(N, M, C) of M candidates with C features each (e.g. padded particle-flow candidates). A block may have a
``padding`` value marking what is missing: in a flat block, an entry equal to it; in a slot block, a slot whose
first feature equals it (the slot's other features are ignored). Missing entries and slots are left out of the
fit and are 0 after standardisation; the model gets the slot mask (N, M) of a padded slot block next to it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from susyscan.errors import FeatureError

logger = logging.getLogger(__name__)

#: Standard deviations below this are treated as constant features (scaled by 1 instead).
MIN_STD = 1e-12
#: Name of the input block of a single-block model (the ONNX input name of the shared MLP).
DEFAULT_BLOCK = "features"


@dataclass(frozen=True)
class Standardisation:
    """Per-feature mean and standard deviation of one input block, in the order of ``feature_names``.

    ``name``: the block's name (its ONNX input name); ``padding``: the value marking missing entries (flat block)
    or slots (slot block), None when nothing is missing; ``slots``: M of a slot block (None for a flat block)."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    name: str = DEFAULT_BLOCK
    padding: float | None = None
    slots: int | None = None

    @classmethod
    def fit(cls, features: np.ndarray, feature_names: Sequence[str], name: str = DEFAULT_BLOCK,
            padding: float | None = None) -> Standardisation:
        """Fit on a flat (n_events, n_features) or slot (n_events, slots, n_features) array, leaving out what
        ``padding`` marks as missing; constant features get std 1, features with no value mean 0 and std 1."""
        features = np.asarray(features)
        if features.ndim not in (2, 3) or features.shape[-1] != len(feature_names):
            raise FeatureError(f"input block {name!r}: expected (n, {len(feature_names)}) or (n, slots, "
                               f"{len(feature_names)}) features, got shape {features.shape}")
        mean, std, present = _moments(features, padding)
        empty = present == 0
        mean, std = np.where(empty, 0.0, mean), np.where(empty, 1.0, std)
        constant = std < MIN_STD
        if constant.any():
            names = [n for n, c in zip(feature_names, constant) if c]
            logger.warning("constant features in the training set (std set to 1): %s", names)
            std = np.where(constant, 1.0, std)
        slots = int(features.shape[1]) if features.ndim == 3 else None
        return cls(tuple(feature_names), mean.astype(np.float64), std.astype(np.float64), name,
                   None if padding is None else float(padding), slots)

    def apply(self, features: np.ndarray, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """Return the standardised copy of ``features``, computed in ``dtype`` (float64 by default; float32 is the
        precision of the ONNX graph); missing entries and slots are 0."""
        values = np.asarray(features, dtype=dtype)
        scaled = (values - self.mean.astype(dtype)) / self.std.astype(dtype)
        if self.padding is None:
            return scaled
        if values.ndim == 3:
            return np.where(slot_mask(values, self.padding)[..., np.newaxis], scaled, values.dtype.type(0))
        return np.where(values == self.padding, values.dtype.type(0), scaled)

    def mask(self, features: np.ndarray) -> np.ndarray | None:
        """The slot mask (N, M) of a padded slot block (True = real slot), None for other blocks (the model takes
        it after the blocks)."""
        return slot_mask(features, self.padding) if self.padding is not None and self.slots is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (name, padding and slots only when not the single-block defaults)."""
        payload: dict[str, Any] = {"feature_names": list(self.feature_names), "mean": self.mean.tolist(),
                                   "std": self.std.tolist()}
        if self.name != DEFAULT_BLOCK:
            payload["name"] = self.name
        if self.padding is not None:
            payload["padding"] = self.padding
        if self.slots is not None:
            payload["slots"] = self.slots
        return payload

    @classmethod
    def from_dict(cls, payload: dict) -> Standardisation:
        """Inverse of :meth:`to_dict`."""
        mean, std = np.asarray(payload["mean"], float), np.asarray(payload["std"], float)
        padding, slots = payload.get("padding"), payload.get("slots")
        return cls(tuple(payload["feature_names"]), mean, std, str(payload.get("name", DEFAULT_BLOCK)),
                   None if padding is None else float(padding), None if slots is None else int(slots))


def _moments(features: np.ndarray, padding: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, std, number of values) per feature, in float64, of what ``padding`` does not mark as missing."""
    values = features.astype(np.float64)
    if features.ndim == 3:
        values = values[slot_mask(features, padding)] if padding is not None else values.reshape(-1, values.shape[-1])
    if padding is None or features.ndim == 3:
        if not len(values):
            return np.zeros(values.shape[-1]), np.ones(values.shape[-1]), np.zeros(values.shape[-1], int)
        return values.mean(axis=0), values.std(axis=0), np.full(values.shape[-1], len(values))
    values = np.where(features == padding, np.nan, values)
    present = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no value: NaN, replaced by the caller
        return np.nanmean(values, axis=0), np.nanstd(values, axis=0), present


def slot_mask(block: np.ndarray, padding: float | None) -> np.ndarray:
    """Real slots (N, M) of a slot block: the first feature differs from ``padding``."""
    return np.asarray(block[..., 0] != padding)
