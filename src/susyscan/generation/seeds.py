"""Deterministic per-chunk random seeds: :func:`susyscan.seeds.chunk_seed` (numpy SeedSequence streams of the
global seed), re-exported here for the generation stage."""

from __future__ import annotations

from susyscan.seeds import PYTHIA_SEED_MAX, chunk_seed

__all__ = ["PYTHIA_SEED_MAX", "chunk_seed"]
