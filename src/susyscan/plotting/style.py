"""Shared matplotlib set-up: headless backend and the mplhep style used by every plot."""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

logger = logging.getLogger(__name__)


def apply_style() -> None:
    """Use the mplhep ATLAS-like style when available, else matplotlib defaults."""
    try:
        import mplhep

        plt.style.use(mplhep.style.ATLAS)
    except (ImportError, AttributeError, OSError) as exc:  # pragma: no cover - style is cosmetic
        logger.warning("mplhep style unavailable (%s); using matplotlib defaults", exc)


def save_figure(fig: "matplotlib.figure.Figure", path: str) -> None:
    """Save ``fig`` atomically (temp name, then os.replace) and close it."""
    import os
    from pathlib import Path

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp{out.suffix}")
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
