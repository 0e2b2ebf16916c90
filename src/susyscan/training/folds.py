"""K-fold assignment of events from stable ids, and the held-out-id fingerprints checked at scoring time.

An event is identified by ``(sample, chunk, event)``: the chunk of its event file and its index in that file,
written by the feature selection (``susyscan.analysis.select``) and kept by the merge. Its fold is a pure
function of ``(seed, sample, event id)`` - never of row order or of which other events are present:

    fold = splitmix64(splitmix64(event_id) XOR key(seed, sample)) mod k,   event_id = chunk * 2**32 + event

with ``key`` the 64-bit state of the SeedSequence stream ``("fold", sample)`` of the global seed
(``susyscan.seeds.seed_uint64``). The model of fold ``f`` trains on the
events of the other folds and scores the events of fold ``f`` (out-of-fold scores); grid points no model
trained on are scored with the same rule, so every event has exactly one, well-defined score.
(numpy's SeedSequence hashes one entropy value at a time; the vectorised splitmix64 finaliser below does the
same job for millions of ids at once.)
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from susyscan.errors import FeatureError
from susyscan.seeds import seed_uint64

logger = logging.getLogger(__name__)

ID_COLUMNS: tuple[str, str] = ("chunk", "event")
FOLD_SCHEME = "splitmix64(splitmix64(chunk*2^32+event) ^ SeedSequence(seed, ('fold', sample)).uint64) mod k"
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


class LeakageError(FeatureError):
    """An event would be scored by a model whose training or validation set contained it."""


def event_ids(df: pd.DataFrame, source: str = "feature table") -> np.ndarray:
    """int64 ids ``chunk * 2**32 + event`` of the rows; missing or duplicate ids raise FeatureError."""
    missing = [c for c in ID_COLUMNS if c not in df.columns]
    if missing:
        raise FeatureError(f"{source}: no event-id column(s) {missing} (merged feature files written before "
                           "event ids were added: rerun the feature selection)")
    chunk = df["chunk"].to_numpy(dtype=np.int64)
    event = df["event"].to_numpy(dtype=np.int64)
    if len(chunk) and (chunk.min() < 0 or event.min() < 0 or event.max() >= 2**32):
        raise FeatureError(f"{source}: event ids out of range (chunk >= 0, 0 <= event < 2^32)")
    ids = (chunk << 32) | event
    if "sample" in df.columns:
        keys = pd.DataFrame({"sample": df["sample"].astype(str).to_numpy(), "id": ids})
        if keys.duplicated().any():
            first = keys[keys.duplicated()].iloc[0]
            chunk, event = int(first["id"]) >> 32, int(first["id"]) & 0xFFFFFFFF
            raise FeatureError(f"{source}: duplicate event id (sample {first['sample']}, chunk {chunk}, event {event})")
    return ids


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise on uint64 (the one per-event hash of the project)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
    return x ^ (x >> np.uint64(31))


def sample_key(seed: int, sample: str) -> np.uint64:
    """64-bit key of one sample's fold assignment: stream ``("fold", sample)`` of ``seed`` (``susyscan.seeds``)."""
    return seed_uint64(seed, "fold", str(sample))


def assign_folds(samples: np.ndarray | pd.Series, ids: np.ndarray, seed: int, k: int) -> np.ndarray:
    """Fold (0..k-1, int8) of each event from its sample name and id; see the module docstring."""
    if int(k) < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    samples = np.asarray(samples).astype(str)
    hashed = splitmix64(np.asarray(ids, dtype=np.int64).astype(np.uint64))
    folds = np.empty(len(samples), dtype=np.int8)
    for name in np.unique(samples):
        rows = samples == name
        folds[rows] = (splitmix64(hashed[rows] ^ sample_key(seed, str(name))) % np.uint64(k)).astype(np.int8)
    return folds


def ids_fingerprint(ids: np.ndarray) -> str:
    """Order-independent fingerprint of a set of event ids (16 hex digits of SHA-256 of the sorted ids)."""
    return hashlib.sha256(np.sort(np.asarray(ids, dtype=np.int64)).astype("<i8").tobytes()).hexdigest()[:16]


def heldout_fingerprints(samples: np.ndarray | pd.Series, ids: np.ndarray, all_samples: list[str]) -> dict[str, str]:
    """``{sample: fingerprint of its held-out ids}`` for every sample of a dataset (empty set included)."""
    samples = np.asarray(samples).astype(str)
    return {name: ids_fingerprint(ids[samples == name]) for name in sorted(all_samples)}


def check_heldout(samples: np.ndarray, ids: np.ndarray, fingerprints: Mapping[str, str], model: str,
                  source: str) -> None:
    """Raise LeakageError unless, for every sample the model trained on, the events given to the model are
    exactly the events that the model's dataset held out (``fingerprints``, from its metadata).

    Samples absent from ``fingerprints`` were not in the model's dataset at all: any of their events is unseen.
    """
    samples = np.asarray(samples).astype(str)
    for name in np.unique(samples):
        expected = fingerprints.get(str(name))
        if expected is None:
            continue
        found = ids_fingerprint(ids[samples == name])
        if found != expected:
            raise LeakageError(
                f"{source}: the events of sample {name!r} given to {model} are not the ones its training held out "
                f"(fingerprint {found} != {expected}): the feature table or the fold assignment differs from the "
                "training's, so some events may have been trained on"
            )


def metadata_fingerprints(text: str | None) -> dict[str, str] | None:
    """Parse the ``heldout_ids`` ONNX metadata value (JSON) or return None when absent."""
    return None if text is None else {str(k): str(v) for k, v in json.loads(text).items()}
