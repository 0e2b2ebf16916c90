"""Deterministic per-chunk random seeds."""

from __future__ import annotations

import hashlib

#: Pythia accepts Random:seed in 1..900_000_000.
PYTHIA_SEED_MAX = 900_000_000


def chunk_seed(global_seed: int, sample: str, chunk: int) -> int:
    """Seed for (sample, chunk) derived from the global seed by SHA-256, in 1..900_000_000."""
    digest = hashlib.sha256(f"{int(global_seed)}/{sample}/{int(chunk)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % PYTHIA_SEED_MAX + 1
