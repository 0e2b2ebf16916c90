"""HepMC3/HepMC2 reader (pyhepmc): final-state and hard-process particles into the particle-level contract."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from tqdm import tqdm

from susyscan.detector.pdg import charge_of
from susyscan.errors import EventFileError

logger = logging.getLogger(__name__)

_END_MARKER = b"END_EVENT_LISTING"


def _is_truth(status: np.ndarray) -> np.ndarray:
    """Hard-process and resonance-decay particles: Pythia status |21..29| (kept as-is in HepMC)."""
    astat = np.abs(status)
    return (astat >= 21) & (astat <= 29)


def _gzip_tail(path: Path, size: int = 256) -> bytes:
    """Last ``size`` decompressed bytes of a gzip file (one streaming pass; EventFileError if cut off)."""
    tail = b""
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                tail = (tail + chunk)[-size:]
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise EventFileError(f"HepMC file {path}: broken gzip stream (truncated?): {exc}") from exc
    return tail


def _check_header(path: Path, size: int = 4096) -> None:
    """ASCII HepMC files (HepMC3 and HepMC2) open with ``HepMC::Version`` / ``HepMC::...START_EVENT_LISTING``:
    anything else is not HepMC, whatever its name (checked before the truncation test, which would blame the end)."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                head = handle.read(size)
        else:
            with path.open("rb") as handle:
                head = handle.read(size)
    except gzip.BadGzipFile as exc:
        raise EventFileError(f"HepMC file {path}: named .gz but not gzip-compressed ({exc})") from exc
    except (EOFError, OSError) as exc:
        raise EventFileError(f"HepMC file {path}: broken gzip stream (truncated?): {exc}") from exc
    if not head.strip():
        raise EventFileError(f"HepMC file {path}: the file is empty")
    first = head.strip().splitlines()[0].strip()
    if not first.startswith(b"HepMC::"):
        printable = all(32 <= byte < 127 or byte == 9 for byte in first[:60])
        shown = repr(first[:60].decode("ascii")) if printable else "binary data"
        raise EventFileError(
            f"HepMC file {path}: not a HepMC file: it starts with {shown} instead of a 'HepMC::Version' or "
            "'HepMC::...-START_EVENT_LISTING' line (ASCII HepMC3 or HepMC2 is read)"
        )


def _check_complete(path: Path) -> None:
    """ASCII HepMC files end with an END_EVENT_LISTING line; a missing one means truncation."""
    if path.suffix == ".gz":
        tail = _gzip_tail(path)
    else:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 256))
            tail = handle.read()
    if _END_MARKER not in tail:
        raise EventFileError(f"HepMC file {path}: no END_EVENT_LISTING footer (truncated?)")


def read_hepmc(path: str | Path, max_events: int | None = None, first_event: int = 0) -> tuple[ak.Array, dict[str, Any]]:
    """Read a HepMC file (``.hepmc``, ``.hepmc3``, ``.hepmc2``, optionally ``.gz``).

    Returns the particle-level array (``particles``, ``truth``, ``weight``) and an info dict with
    ``n_events``, ``xsec_pb`` / ``xsec_err_pb`` (last GenCrossSection, None if absent) and ``generator``.
    ``first_event`` events are skipped (parsed, not kept) before reading at most ``max_events``.
    """
    import pyhepmc

    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"HepMC file {path}: not found")
    _check_header(path)
    _check_complete(path)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("pid", "px", "py", "pz", "e")}
    truth: dict[str, list[np.ndarray]] = {k: [] for k in ("pid", "px", "py", "pz", "e", "mass", "status")}
    n_parts: list[int] = []
    n_truth: list[int] = []
    weights: list[float] = []
    xsec: tuple[float, float] | None = None
    generator = "unknown"
    seen = 0
    try:
        with pyhepmc.open(str(path)) as reader:
            for event in tqdm(reader, desc=f"read {path.name}", unit="ev", disable=None, leave=False):
                if max_events is not None and len(weights) >= max_events:
                    break
                seen += 1
                if seen <= first_event:
                    continue
                arrays = event.numpy.particles
                status = np.asarray(arrays.status)
                if len(status) == 0:
                    raise EventFileError(f"HepMC file {path}: event {len(weights)} has no particles (parse failure?)")
                to_gev = 1e-3 if event.momentum_unit == pyhepmc.Units.MEV else 1.0
                final = status == 1
                hard = _is_truth(status)
                pid = np.asarray(arrays.pid)
                mom = {k: np.asarray(getattr(arrays, k)) * to_gev for k in ("px", "py", "pz", "e")}
                parts["pid"].append(pid[final])
                truth["pid"].append(pid[hard])
                truth["status"].append(status[hard])
                for k, v in mom.items():
                    parts[k].append(v[final])
                    truth[k].append(v[hard])
                m2 = mom["e"][hard] ** 2 - mom["px"][hard] ** 2 - mom["py"][hard] ** 2 - mom["pz"][hard] ** 2
                truth["mass"].append(np.sqrt(np.maximum(m2, 0.0)))
                n_parts.append(int(final.sum()))
                n_truth.append(int(hard.sum()))
                weights.append(float(event.weights[0]) if len(event.weights) else 1.0)
                if event.cross_section is not None:
                    xsec = (float(event.cross_section.xsec()), float(event.cross_section.xsec_err()))
                if event.run_info is not None and event.run_info.tools and generator == "unknown":
                    tool = event.run_info.tools[0]
                    generator = f"{tool.name} {tool.version}".strip()
    except EventFileError:
        raise
    except Exception as exc:
        raise EventFileError(f"HepMC file {path}: cannot parse (corrupt or truncated?): {exc}") from exc
    if not weights:
        raise EventFileError(f"HepMC file {path}: no events could be read (empty, corrupt or not HepMC)")
    pid_all = np.concatenate(parts["pid"]).astype(np.int32)
    particles = ak.unflatten(ak.zip({
        "pid": pid_all, **{k: np.concatenate(parts[k]).astype(np.float64) for k in ("px", "py", "pz", "e")},
        "charge": charge_of(pid_all)}), np.asarray(n_parts))
    truth_arr = ak.unflatten(ak.zip({
        "pid": np.concatenate(truth["pid"]).astype(np.int32),
        **{k: np.concatenate(truth[k]).astype(np.float64) for k in ("px", "py", "pz", "e", "mass")},
        "status": np.concatenate(truth["status"]).astype(np.int32)}), np.asarray(n_truth))
    events = ak.zip({"particles": particles, "truth": truth_arr, "weight": np.asarray(weights)}, depth_limit=1)
    info = {"n_events": len(weights), "xsec_pb": xsec[0] if xsec else None, "xsec_err_pb": xsec[1] if xsec else None,
            "generator": generator}
    logger.info("read %d events from HepMC file %s (xsec %s pb)", len(weights), path, info["xsec_pb"])
    return events, info
