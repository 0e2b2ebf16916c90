"""Reference cross sections: SUSY NLO(+NLL) tables, SM background table, LO/NLO K-factor report."""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from susyscan.errors import CrossSectionRangeError, UnknownSampleError

logger = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[3] / "resources"
XSEC_DIR = RESOURCES / "xsec"
BACKGROUND_TABLE = RESOURCES / "backgrounds" / "xsec.csv"

#: Plausible LO -> NLO K-factor window; ratios outside it are logged as warnings.
K_FACTOR_RANGE = (1.0, 1.6)


@dataclass(frozen=True)
class XsecTable:
    """A mass -> cross-section table (masses sorted, GeV; xsec and symmetric unc in pb)."""

    path: Path
    masses: np.ndarray
    xsec_pb: np.ndarray
    unc_pb: np.ndarray


def table_path(table: str | Path) -> Path:
    """The file of cross-section table ``table``: a path as given when it exists or is absolute, else the file of
    that name in ``resources/xsec`` (also the workflow's input of rule kfactor_reference)."""
    path = Path(table)
    if not path.is_absolute() and not path.exists():
        path = XSEC_DIR / path
    return path


@lru_cache(maxsize=16)
def load_table(table: str | Path) -> XsecTable:
    """Read a `fuenfundachtzig/xsec`-style JSON table (file name in resources/xsec or a path)."""
    path = table_path(table)
    if not path.is_file():
        raise CrossSectionRangeError(f"cross-section table {path} does not exist")
    data = json.loads(path.read_text())["data"]
    rows = sorted((float(m), v) for m, v in data.items())
    masses = np.array([m for m, _ in rows])
    xsec = np.array([v["xsec_pb"] for _, v in rows])
    unc = np.array(
        [
            v["unc_pb"] if "unc_pb" in v else 0.5 * (abs(v["unc_up_pb"]) + abs(v["unc_down_pb"]))
            for _, v in rows
        ]
    )
    return XsecTable(path=path, masses=masses, xsec_pb=xsec, unc_pb=unc)


def lookup(table: str | Path, mass: float) -> tuple[float, float]:
    """Cross section and uncertainty (pb) at `mass` (GeV), linear in log(sigma) between table points.

    Raises CrossSectionRangeError outside the tabulated range (no extrapolation).
    """
    tab = load_table(table)
    lo, hi = float(tab.masses[0]), float(tab.masses[-1])
    if not (lo <= mass <= hi) or math.isnan(mass):
        raise CrossSectionRangeError(
            f"mass {mass} GeV outside the range {lo:g}-{hi:g} GeV of cross-section table {tab.path.name}"
        )
    xsec = float(np.exp(np.interp(mass, tab.masses, np.log(tab.xsec_pb))))
    rel_unc = float(np.interp(mass, tab.masses, tab.unc_pb / tab.xsec_pb))
    return xsec, rel_unc * xsec


@dataclass(frozen=True)
class BackgroundXsec:
    """One row of resources/backgrounds/xsec.csv (xsec_pb None: use k_factor x generator LO)."""

    process: str
    xsec_pb: float | None
    k_factor: float
    source: str


def load_background_table(path: str | Path = BACKGROUND_TABLE) -> dict[str, BackgroundXsec]:
    """Read the SM background reference cross-section table keyed by process name."""
    rows: dict[str, BackgroundXsec] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            value = row["xsec_pb"].strip()
            rows[row["process"]] = BackgroundXsec(
                process=row["process"],
                xsec_pb=float(value) if value else None,
                k_factor=float(row.get("k_factor") or 1.0),
                source=row["source"],
            )
    return rows


def background_xsec(process: str, xsec_lo_pb: float | None, path: str | Path = BACKGROUND_TABLE) -> tuple[float, str]:
    """Normalisation cross section (pb) and its source string for an SM background process."""
    table = load_background_table(path)
    if process not in table:
        raise UnknownSampleError(f"background process {process!r} not in cross-section table {path}")
    row = table[process]
    if row.xsec_pb is not None:
        return row.xsec_pb, row.source
    if xsec_lo_pb is None:
        raise UnknownSampleError(f"background {process!r} in {path} needs the generator LO cross section")
    return row.k_factor * xsec_lo_pb, f"{row.source} (k_factor={row.k_factor:g})"


def k_factor_rows(points: list[dict[str, float | str]]) -> list[dict[str, float | str]]:
    """Add `ratio = xsec_nlo_pb / xsec_lo_pb` to each point and warn on implausible K-factors."""
    out = []
    for point in points:
        nlo, lo = float(point["xsec_nlo_pb"]), float(point["xsec_lo_pb"])
        ratio = nlo / lo if lo > 0 else float("inf")
        row = {**point, "k_factor": ratio}
        if not (K_FACTOR_RANGE[0] <= ratio <= K_FACTOR_RANGE[1]):
            logger.warning(
                "implausible K-factor NLO/LO = %.3f for %s (outside %.1f-%.1f)",
                ratio, {k: v for k, v in point.items() if k.startswith("m_")}, *K_FACTOR_RANGE,
            )
        out.append(row)
    return out


def write_k_factor_table(rows: list[dict[str, float | str]], csv_path: str | Path) -> Path:
    """Write the K-factor rows to CSV and a Markdown twin (same stem, .md), atomically."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0].keys()) if rows else []
    tmp = csv_path.with_name(csv_path.name + ".tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, csv_path)
    md_path = csv_path.with_suffix(".md")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()) + " |")
    tmp_md = md_path.with_name(md_path.name + ".tmp")
    tmp_md.write_text("\n".join(lines) + "\n")
    os.replace(tmp_md, md_path)
    return csv_path
