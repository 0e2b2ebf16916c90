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

The same keyed hash with another stream name gives every other per-event assignment that must be a function of the
event id alone (:func:`id_uniform`): ewkino's train/val/test split (``splitting.split_by_id``, stream ``"split_id"``)
and the cut-choice halves (``halves.cut_choice_halves``, stream ``"cut_choice"``). Different streams are independent.
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
    """int64 ids ``chunk * 2**32 + event`` of the rows; missing or duplicate ids (per sample; without a ``sample``
    column, over all rows) raise FeatureError."""
    missing = [c for c in ID_COLUMNS if c not in df.columns]
    if missing:
        raise FeatureError(f"{source}: no event-id column(s) {missing} (merged feature files written before "
                           "event ids were added: rerun the feature selection)")
    chunk = df["chunk"].to_numpy(dtype=np.int64)
    event = df["event"].to_numpy(dtype=np.int64)
    if len(chunk) and (chunk.min() < 0 or event.min() < 0 or event.max() >= 2**32):
        raise FeatureError(f"{source}: event ids out of range (chunk >= 0, 0 <= event < 2^32)")
    ids = (chunk << 32) | event
    samples = df["sample"].astype(str).to_numpy() if "sample" in df.columns else np.full(len(df), "")
    keys = pd.DataFrame({"sample": samples, "id": ids})
    if keys.duplicated().any():
        first = keys[keys.duplicated()].iloc[0]
        chunk, event = int(first["id"]) >> 32, int(first["id"]) & 0xFFFFFFFF
        name = f"sample {first['sample']}, " if "sample" in df.columns else "no sample column, "
        raise FeatureError(f"{source}: duplicate event id ({name}chunk {chunk}, event {event})")
    return ids


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise on uint64 (the one per-event hash of the project)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
    return x ^ (x >> np.uint64(31))


def keyed_id_hash(samples: np.ndarray | pd.Series, ids: np.ndarray, seed: int, stream: str) -> np.ndarray:
    """uint64 per event: ``splitmix64(splitmix64(id) ^ key)`` with ``key`` the 64-bit state of the SeedSequence
    stream ``(stream, sample)`` of ``seed``: a function of (seed, stream, sample, event id) only."""
    samples = np.asarray(samples).astype(str)
    ids = np.asarray(ids, dtype=np.int64)
    if len(samples) != len(ids):
        raise ValueError(f"{len(samples)} sample names for {len(ids)} event ids")
    hashed = splitmix64(ids.astype(np.uint64))
    out = np.empty(len(samples), dtype=np.uint64)
    for name in np.unique(samples):
        rows = samples == name
        out[rows] = splitmix64(hashed[rows] ^ seed_uint64(seed, stream, str(name)))
    return out


def id_uniform(samples: np.ndarray | pd.Series, ids: np.ndarray, seed: int, stream: str) -> np.ndarray:
    """A number uniform in [0, 1) per event (53 bits of :func:`keyed_id_hash`), a function of (seed, stream,
    sample, event id) only: the same event gets the same number whichever other events are loaded."""
    return (keyed_id_hash(samples, ids, seed, stream) >> np.uint64(11)).astype(np.float64) / float(2**53)


def assign_folds(samples: np.ndarray | pd.Series, ids: np.ndarray, seed: int, k: int) -> np.ndarray:
    """Fold (0..k-1, int8) of each event from its sample name and id; see the module docstring."""
    if int(k) < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    return (keyed_id_hash(samples, ids, seed, "fold") % np.uint64(k)).astype(np.int8)


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
                f"{source}: the events of sample {str(name)!r} given to {model} are not the ones its training held out "
                f"(fingerprint {found} != {expected}): the feature table or the fold assignment differs from the "
                "training's, so some events may have been trained on"
            )


def metadata_fingerprints(text: str | None) -> dict[str, str] | None:
    """Parse the ``heldout_ids`` ONNX metadata value (JSON) or return None when absent."""
    return None if text is None else {str(k): str(v) for k, v in json.loads(text).items()}
