"""The one definition of azimuthal and angular distances, for numpy and awkward arrays alike (detector, shared
selection and every analysis use it)."""

from __future__ import annotations

from typing import Any

import numpy as np


def delta_phi(phi1: Any, phi2: Any) -> Any:
    """phi1 - phi2 wrapped into [-pi, pi)."""
    return (phi1 - phi2 + np.pi) % (2.0 * np.pi) - np.pi


def delta_r(eta1: Any, phi1: Any, eta2: Any, phi2: Any) -> Any:
    """Angular distance sqrt(deta^2 + dphi^2)."""
    dphi = delta_phi(phi1, phi2)
    deta = eta1 - eta2
    return np.sqrt(deta * deta + dphi * dphi)
