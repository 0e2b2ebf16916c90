"""Chunk seeds: deterministic, in Pythia's range, distinct per chunk and sample."""

from __future__ import annotations

from susyscan.generation.seeds import PYTHIA_SEED_MAX, chunk_seed


def test_chunk_seed_is_deterministic_and_in_range() -> None:
    seeds = [chunk_seed(42, "ttbar_mumu", c) for c in range(200)]
    assert seeds == [chunk_seed(42, "ttbar_mumu", c) for c in range(200)]
    assert all(1 <= s <= PYTHIA_SEED_MAX for s in seeds)
    assert len(set(seeds)) == len(seeds)


def test_chunk_seed_depends_on_sample_and_global_seed() -> None:
    assert chunk_seed(42, "a", 0) != chunk_seed(42, "b", 0)
    assert chunk_seed(42, "a", 0) != chunk_seed(43, "a", 0)
    # fixed value: a change of the hashing scheme would silently change every sample
    assert chunk_seed(1, "smuon_R_300_0", 0) == 307776504
