"""susyscan: machine-learning new-physics searches at the LHC, from events to exclusion contours."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
