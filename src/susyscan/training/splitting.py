"""Seeded train/validation/test split stratified by sample, and class balancing of the training set."""

from __future__ import annotations

import logging

import numpy as np

from susyscan.errors import ConfigError
from susyscan.seeds import seed_sequence
from susyscan.training.folds import id_uniform

logger = logging.getLogger(__name__)

SPLIT_NAMES: tuple[str, str, str] = ("train", "val", "test")
#: The id-based split of :func:`split_by_id` (recorded with the models that use it).
SPLIT_ID_SCHEME = ("splitmix64(splitmix64(chunk*2^32+event) ^ SeedSequence(seed, ('split_id', sample)).uint64) "
                   "/ 2^64 against the cumulative fractions")


def check_fractions(fractions: tuple[float, float, float] | list[float]) -> tuple[float, float, float]:
    """Validate three positive split fractions summing to one."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ConfigError(f"training.split_fractions must be three positive numbers summing to 1, got {fractions}")
    return (float(fractions[0]), float(fractions[1]), float(fractions[2]))


def sample_seed(seed: int, sample: str) -> np.random.SeedSequence:
    """Seed sequence of one sample's split: stream ``("split", sample)`` of the global seed (``susyscan.seeds``)."""
    return seed_sequence(seed, "split", str(sample))


def split_by_sample(
    sample_names: np.ndarray, fractions: tuple[float, float, float] | list[float], seed: int
) -> np.ndarray:
    """Assign each event to split 0 (train), 1 (val) or 2 (test), separately within each sample.

    Within a sample of n events (in file order), round(f_train n) go to train, round(f_val n) to val
    and the rest to test, after a permutation seeded by (seed, sample name) only: a sample's split
    does not depend on which other samples (mass region) are present.
    """
    fractions = check_fractions(fractions)
    sample_names = np.asarray(sample_names).astype(str)
    labels = np.empty(len(sample_names), dtype=np.int8)
    for name in np.unique(sample_names):
        idx = np.flatnonzero(sample_names == name)
        idx = idx[np.random.default_rng(sample_seed(seed, str(name))).permutation(len(idx))]
        n_train = int(round(fractions[0] * len(idx)))
        n_val = int(round(fractions[1] * len(idx)))
        labels[idx[:n_train]] = 0
        labels[idx[n_train : n_train + n_val]] = 1
        labels[idx[n_train + n_val :]] = 2
    return labels


def split_by_id(samples: np.ndarray, ids: np.ndarray, fractions: tuple[float, float, float] | list[float],
                seed: int) -> np.ndarray:
    """0/1/2 (train/val/test, int8) per event from its sample and stable id (``folds.event_ids``): the keyed
    id hash of ``susyscan.training.folds`` on stream ``"split_id"``, cut at the cumulative fractions.

    Unlike :func:`split_by_sample` (exact counts, a permutation of the rows present) an event's split does not
    depend on which other events are loaded, so a later stage that reads other files (the evaluation of ewkino's
    test events) recomputes it from the id alone; each sample's split sizes follow the fractions within binomial
    fluctuations.
    """
    fractions = check_fractions(fractions)
    uniform = id_uniform(samples, ids, seed, "split_id")
    edges = np.cumsum(fractions)[:2]
    return np.searchsorted(edges, uniform, side="right").astype(np.int8)


def equal_share(sizes: dict[int, int], target: int) -> dict[int, int]:
    """Split ``target`` events as equally as possible among components capped at their ``sizes`` (water filling).

    Components are served from the smallest up; each takes min(size, remaining // components left).
    """
    quota = {key: 0 for key in sizes}
    remaining = min(int(target), sum(sizes.values()))
    order = sorted(sizes, key=lambda key: (sizes[key], key))
    for position, key in enumerate(order):
        take = min(sizes[key], remaining // (len(order) - position))
        quota[key] = take
        remaining -= take
    return quota


def balance_classes(labels: np.ndarray, sample_codes: np.ndarray, seed: int) -> np.ndarray:
    """Indices of a class-balanced subset: both classes get min(N_signal, N_background) events.

    Each class's quota is shared equally among its samples (components), capped at a sample's size,
    and drawn without replacement with a seeded generator. The smaller class is kept whole.
    """
    rng = np.random.default_rng(seed)
    n_per_class = min(int((labels == 1).sum()), int((labels == 0).sum()))
    chosen: list[np.ndarray] = []
    for cls in (0, 1):
        in_class = labels == cls
        codes, counts = np.unique(sample_codes[in_class], return_counts=True)
        quota = equal_share(dict(zip(codes.tolist(), counts.tolist())), n_per_class)
        for code, n_take in quota.items():
            idx = np.flatnonzero(in_class & (sample_codes == code))
            chosen.append(np.sort(rng.choice(idx, size=n_take, replace=False)))
    out = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
    logger.info("balanced training set: %d signal + %d background events", n_per_class, n_per_class)
    return out
