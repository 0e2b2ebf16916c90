"""Batches of grid points for the parallel limits_part jobs."""

from __future__ import annotations

import pytest

from susyscan.stats.batches import batch, n_batches


@pytest.mark.parametrize(("n_points", "per_job", "want"), [(8, 80, 1), (80, 80, 1), (81, 80, 2), (154, 80, 2),
                                                           (154, 20, 8), (0, 5, 1)])
def test_number_of_batches(n_points: int, per_job: int, want: int) -> None:
    assert n_batches(n_points, per_job) == want


def test_batches_cover_every_point_once_and_balance() -> None:
    points = list(range(154))
    parts = [batch(points, i, 20) for i in range(n_batches(154, 20))]
    assert sorted(p for part in parts for p in part) == points
    assert max(map(len, parts)) - min(map(len, parts)) <= 1 and max(map(len, parts)) <= 20
    assert parts[1][:3] == [1, 9, 17]  # round robin: neighbouring (similar-cost) points in different jobs


def test_bad_batch_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="points_per_job must be >= 1"):
        n_batches(10, 0)
    with pytest.raises(ValueError, match="batch 2 out of range: 10 points make 2 batches"):
        batch(list(range(10)), 2, 5)
