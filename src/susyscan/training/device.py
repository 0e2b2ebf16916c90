"""Torch device choice and determinism settings."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import torch

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cpu``/``cuda``/``cuda:N`` are taken as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"training.device {device!r} requested but CUDA is not available")
    return torch.device(device)


@contextlib.contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Seed torch and enable deterministic algorithms for the duration of the block."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    previous = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)
