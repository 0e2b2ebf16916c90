"""How the limits stage splits the grid into parallel jobs (used by workflow/rules/statistics.smk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def n_batches(n_points: int, points_per_job: int) -> int:
    """Batches per luminosity: ceil(n_points / points_per_job), at least one."""
    if points_per_job < 1:
        raise ValueError(f"statistics.points_per_job must be >= 1, got {points_per_job}")
    return max(1, -(-n_points // points_per_job))


def batch(points: Sequence[T], index: int, points_per_job: int) -> list[T]:
    """The points of batch ``index``: every n-th point (round robin, so batches cost about the same)."""
    count = n_batches(len(points), points_per_job)
    if not 0 <= index < count:
        raise ValueError(f"batch {index} out of range: {len(points)} points make {count} batches")
    return list(points[index::count])
