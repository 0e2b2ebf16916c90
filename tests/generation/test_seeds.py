"""Random streams (susyscan.seeds): deterministic across processes, in range, and independent per key."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from susyscan.generation.seeds import PYTHIA_SEED_MAX, chunk_seed
from susyscan.seeds import key_words, model_seed, rng, seed_int, seed_sequence, seed_uint64
from susyscan.training.splitting import sample_seed


def test_chunk_seed_is_deterministic_and_in_range() -> None:
    seeds = [chunk_seed(42, "ttbar_mumu", c) for c in range(200)]
    assert seeds == [chunk_seed(42, "ttbar_mumu", c) for c in range(200)]
    assert all(1 <= s <= PYTHIA_SEED_MAX for s in seeds)
    assert len(set(seeds)) == len(seeds)


def test_chunk_seed_depends_on_sample_and_global_seed() -> None:
    assert chunk_seed(42, "a", 0) != chunk_seed(42, "b", 0)
    assert chunk_seed(42, "a", 0) != chunk_seed(43, "a", 0)
    # fixed value: a change of the seeding scheme would silently change every sample
    assert chunk_seed(1, "smuon_R_300_0", 0) == 894365996
    # it is numpy's SeedSequence(entropy=seed, spawn_key=...) and nothing else
    state = np.random.SeedSequence(1, spawn_key=key_words(("chunk", "smuon_R_300_0", 0))).generate_state(1, np.uint64)
    assert chunk_seed(1, "smuon_R_300_0", 0) == 1 + int(state[0]) % PYTHIA_SEED_MAX


def test_same_stream_in_another_process_with_another_string_hash_salt() -> None:
    code = ("from susyscan.seeds import chunk_seed, seed_uint64; "
            "print(chunk_seed(7, 'ttbar', 3), int(seed_uint64(7, 'fold', 'zz')))")
    out = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": salt}).stdout for salt in ("1", "2")}
    assert out == {f"{chunk_seed(7, 'ttbar', 3)} {int(seed_uint64(7, 'fold', 'zz'))}\n"}


def test_key_encoding_is_unambiguous() -> None:
    # keys that a plain concatenation of names and numbers would confuse give different words and streams
    keys = [("chunk", "ab", 1), ("chunk", "a", "b1"), ("chunk", "ab1"), ("chunk", "a", 12), ("chunk", "a1", 2),
            ("chunk", 97, 1), ("chunk", "", 0), ("chunk", 0), ("chunk",), (), ("chunk", "é", 0), ("split", "ab", 1)]
    words = [key_words(k) for k in keys]
    assert len(set(words)) == len(keys)
    assert len({seed_uint64(5, *k) for k in keys}) == len(keys)
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError, match="neither a string nor a non-negative integer"):
            key_words(("chunk", bad))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        seed_sequence(-1, "chunk")


def test_streams_are_independent() -> None:
    # 10 000 chunk seeds of 50 samples x 200 chunks: collisions only at the birthday rate (expected 0.06)
    seeds = [chunk_seed(20241123, f"sample_{s}", c) for s, c in itertools.product(range(50), range(200))]
    assert len(seeds) - len(set(seeds)) <= 2
    # draws of neighbouring streams are uncorrelated (|r| < 5 / sqrt(n)) and uniform
    n = 20_000
    draws = {key: rng(1, *key).random(n) for key in (("split", "a"), ("split", "b"), ("fold", "a"), ("chunk", "a", 0))}
    for (ka, a), (kb, b) in itertools.combinations(draws.items(), 2):
        assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n), (ka, kb)
    for values in draws.values():
        assert abs(values.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    # purposes never share a stream: the split of a sample, its fold key and a chunk seed differ
    split_state = sample_seed(1, "a").generate_state(1, np.uint64)[0]
    assert len({int(split_state), int(seed_uint64(1, "fold", "a")), int(seed_uint64(1, "chunk", "a", 0))}) == 3


def test_model_seeds_per_region_model_and_fold() -> None:
    seeds = {model_seed(3, r, m, f) for r in ("low", "high") for m in ("nn", "bdt") for f in (None, 0, 1, 2)}
    assert len(seeds) == 16 and all(1 <= s < 2**31 for s in seeds)
    assert model_seed(3, "low", "nn", 0) == model_seed(3, "low", "nn", 0) == seed_int(3, "model", "low", "nn", 0)
