"""Every random stream of the workflow, derived from the config's global ``seed`` with numpy's ``SeedSequence``.

A stream is named by a purpose and the keys that identify it, e.g. ``("chunk", sample, chunk)`` for the
generator and detector of one event chunk, ``("split", sample)`` for a sample's train/val/test permutation,
``("fold", sample)`` for its k-fold key, ``("model", region, model, fold)`` for a fold model's initialisation
and shuffling, ``("member", k)`` of a model's seed for ensemble member k >= 1. :func:`seed_sequence` is ``SeedSequence(entropy=seed, spawn_key=<the key as 32-bit words>)``:
SeedSequence mixes the entropy and the spawn key into the generator state, so streams with different keys are
independent (the construction numpy uses for ``SeedSequence.spawn``), and the same key always gives the same
stream, on every machine and in every process (no dependence on Python's salted ``hash``).

Key words: an integer ``n >= 0`` enters as ``(0, n)`` split into 32-bit words by SeedSequence; a string enters
as ``(1, its UTF-8 length, its bytes as one integer)``. The tags and lengths make the encoding uniquely
decodable: two different keys never give the same words, so no two streams coincide, without a separate hash
of the name (the SHA-256 and CRC-32 schemes this module replaces).

The per-event k-fold assignment stays the vectorised splitmix64 of ``susyscan.training.folds`` (SeedSequence
mixes one key at a time; millions of event ids need an array hash); only its per-sample key comes from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Pythia accepts ``Random:seed`` in 1..900_000_000.
PYTHIA_SEED_MAX = 900_000_000
#: Seeds handed to libraries taking a signed 32-bit integer (torch, xgboost) are below this bound.
INT31 = 2**31 - 1

Key = int | str


def key_words(key: Sequence[Key]) -> tuple[int, ...]:
    """The spawn key of ``key``: per element, ``(0, n)`` for an integer ``n >= 0`` and ``(1, length, bytes)``
    for a string (UTF-8); uniquely decodable, see the module docstring."""
    words: list[int] = []
    for part in key:
        if isinstance(part, str):
            raw = part.encode()
            words += [1, len(raw), int.from_bytes(raw, "little")]
        elif isinstance(part, int | np.integer) and not isinstance(part, bool) and int(part) >= 0:
            words += [0, int(part)]
        else:
            raise ValueError(f"seed key element {part!r} is neither a string nor a non-negative integer")
    return tuple(words)


def seed_sequence(seed: int, *key: Key) -> np.random.SeedSequence:
    """The SeedSequence of stream ``key`` under the global ``seed`` (a non-negative integer)."""
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.SeedSequence(entropy=int(seed), spawn_key=key_words(key))


def rng(seed: int, *key: Key) -> np.random.Generator:
    """A numpy Generator on stream ``key``."""
    return np.random.default_rng(seed_sequence(seed, *key))


def seed_int(seed: int, *key: Key, high: int = INT31) -> int:
    """An integer seed in ``1..high`` for stream ``key`` (for libraries that take an integer seed)."""
    state = int(seed_sequence(seed, *key).generate_state(1, np.uint64)[0])
    return 1 + state % int(high)


def seed_uint64(seed: int, *key: Key) -> np.uint64:
    """A 64-bit value of stream ``key`` (e.g. the per-sample key of the k-fold hash)."""
    return np.uint64(seed_sequence(seed, *key).generate_state(1, np.uint64)[0])


def chunk_seed(seed: int, sample: str, chunk: int) -> int:
    """The seed of one event chunk (Pythia's ``Random:seed`` and the detector simulation's generator), in
    ``1..900_000_000``: stream ``("chunk", sample, chunk)``."""
    return seed_int(seed, "chunk", str(sample), int(chunk), high=PYTHIA_SEED_MAX)


def model_seed(seed: int, region: str, model: str, fold: int | None) -> int:
    """The seed of one trained model (initialisation, shuffling, subsampling): stream ``("model", region, model,
    fold)`` (fold -1 written as ``"all"`` when the dataset has no folds)."""
    return seed_int(seed, "model", str(region), str(model), "all" if fold is None else int(fold))


def member_seed(seed: int, member: int) -> int:
    """The seed of ensemble member ``member`` of a network seeded ``seed``: ``seed`` itself for member 0 (so a
    one-member ensemble is the single network of that seed), stream ``("member", member)`` of ``seed`` (in
    ``1..INT31``) for the others, so members of nearby seeds never share a stream (``seed + k`` did: member 1 of
    seed s was member 0 of seed s + 1)."""
    if int(member) < 0:
        raise ValueError(f"ensemble member must be >= 0, got {member}")
    return int(seed) if int(member) == 0 else seed_int(seed, "member", int(member))
