"""Shower plain or gzipped LHE files with Pythia 8, with MadGraph MLM matching when the file is matched."""

from __future__ import annotations

import gzip
import logging
import re
import time
import zlib
from pathlib import Path
from typing import Any

import awkward as ak
import pythia8mc

from susyscan.errors import ConfigError, EventFileError
from susyscan.generation.pythia_run import lo_cross_section, make_pythia, run_batches

logger = logging.getLogger(__name__)

_ICKKW = re.compile(r"^\s*(\d+)\s*=\s*ickkw\b", re.MULTILINE)
_XQCUT = re.compile(r"^\s*([0-9.eE+-]+)\s*=\s*xqcut\b", re.MULTILINE)
_MAXJETFLAVOR = re.compile(r"^\s*(\d+)\s*=\s*maxjetflavor\b", re.MULTILINE)
_PROCESS = re.compile(r"^\s*(?:generate|add process)\s+(.+)$", re.MULTILINE)


def _open(path: Path):  # noqa: ANN202 - text handle
    with open(path, "rb") as handle:
        magic = handle.read(2)
    return gzip.open(path, "rt", errors="replace") if magic == b"\x1f\x8b" else open(path, errors="replace")


def _numbers(line: str, path: Path, event: int) -> list[float]:
    """The numbers of an LHE event or particle line; EventFileError naming the event if one is not a number
    (Pythia would silently misread the line)."""
    try:
        return [float(token) for token in line.split()]
    except ValueError:
        raise EventFileError(f"LHE file {path}: event {event} has a malformed line {line[:100]!r}") from None


def scan_lhe(path: str | Path) -> dict[str, Any]:
    """Read an LHE file once: header text, number of complete events; EventFileError if broken.

    Checks gzip integrity, balanced <event>/</event> tags, the closing </LesHouchesEvents> tag, and
    that the event and particle lines hold numbers only.
    """
    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"LHE file {path} does not exist")
    header: list[str] = []
    in_header, n_open, n_close, closed = True, 0, 0, False
    to_check = 0  # lines of the current event Pythia parses as numbers (event line + NUP particles)
    try:
        with _open(path) as handle:
            for line in handle:
                if in_header:
                    header.append(line)
                    if "<init>" in line:
                        in_header = False
                    continue
                stripped = line.strip()
                if stripped.startswith("<event"):
                    n_open += 1
                    to_check = -1
                elif stripped.startswith("</event>"):
                    n_close += 1
                    to_check = 0
                elif stripped.startswith("</LesHouchesEvents>"):
                    closed = True
                elif to_check and stripped and stripped[0] not in "<#":
                    numbers = _numbers(stripped, path, n_open)
                    to_check = int(numbers[0]) if to_check == -1 else to_check - 1
    except (OSError, EOFError, zlib.error) as exc:
        raise EventFileError(f"LHE file {path} is corrupt or truncated: {exc}") from exc
    if in_header or n_open == 0:
        raise EventFileError(f"LHE file {path} has no <init> block or no events")
    if n_open != n_close or not closed:
        raise EventFileError(
            f"LHE file {path} is truncated: {n_open} <event> vs {n_close} </event> tags, "
            f"closing </LesHouchesEvents> {'found' if closed else 'missing'}"
        )
    return {"header": "".join(header), "n_events": n_close}


def matching_parameters(header: str) -> dict[str, Any]:
    """MLM parameters from a MadGraph header: matched (ickkw == 1), xqcut, n_jet_max (max 'j' in processes)."""
    ickkw = _ICKKW.search(header)
    xqcut = _XQCUT.search(header)
    n_jets = [proc.split("@")[0].split(">")[-1].split().count("j") for proc in _PROCESS.findall(header)]
    return {
        "matched": bool(ickkw and int(ickkw.group(1)) == 1),
        "xqcut": float(xqcut.group(1)) if xqcut else None,
        "n_jet_max": max(n_jets) if n_jets else None,
        "max_jet_flavor": int(m.group(1)) if (m := _MAXJETFLAVOR.search(header)) else 5,
    }


def shower_lhe(
    path: str | Path,
    n_events: int | None = None,
    seed: int = 1,
    matching: bool | None = None,
    qcut: float | None = None,
    n_jet_max: int | None = None,
    extra_settings: tuple[str, ...] = (),
) -> tuple[ak.Array, dict[str, Any]]:
    """Shower (and MLM-match) an LHE file; returns particle-level events and an info dict.

    matching=None detects MLM from the header (ickkw = 1). With qcut=None, Pythia's
    `JetMatching:setMad = on` takes the matching parameters (xqcut -> qCut, maxjetflavor, ...) from
    the MadGraph run card in the header; an explicit qcut switches setMad off and sets qCut,
    nQmatch (maxjetflavor) and nJetMax here.
    info: xsec_pb (matched cross section, Pythia sigmaGen), xsec_err_pb, n_tried, n_accepted,
    acceptance, matched, qcut, n_jet_max, sqrt_s_gev, seconds.
    """
    path = Path(path)
    scan = scan_lhe(path)
    params = matching_parameters(scan["header"])
    matched = params["matched"] if matching is None else matching
    n_wanted = scan["n_events"] if n_events is None else min(n_events, scan["n_events"])
    settings = [
        "Beams:frameType = 4",
        f"Beams:LHEF = {path}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        "Print:quiet = on",
        "Next:numberCount = 0",
    ]
    hook = None
    if matched:
        xqcut = params["xqcut"]
        n_jet_max = n_jet_max if n_jet_max is not None else params["n_jet_max"]
        if (qcut is None and xqcut is None) or n_jet_max is None:
            raise EventFileError(f"LHE file {path}: matching needs xqcut/qcut and n_jet_max (not found in header)")
        settings += ["JetMatching:merge = on", "JetMatching:scheme = 1", f"JetMatching:nJetMax = {n_jet_max}"]
        if qcut is None:
            settings.append("JetMatching:setMad = on")
        else:
            settings += [
                "JetMatching:setMad = off",
                f"JetMatching:qCut = {qcut:g}",
                f"JetMatching:nQmatch = {params['max_jet_flavor']}",
            ]
        hook = pythia8mc.JetMatchingMadgraph()
    settings += list(extra_settings)
    start = time.perf_counter()
    try:
        pythia = _init_lhe(settings, hook, path)
        events = run_batches(pythia, n_wanted, desc=path.name)
    except ConfigError as exc:
        raise EventFileError(f"LHE file {path} could not be showered: {exc}") from exc
    seconds = time.perf_counter() - start
    info_py = pythia.infoPython()
    xsec, err = lo_cross_section(pythia)
    n_tried = int(info_py.nTried())
    info = {
        "xsec_pb": xsec,
        "xsec_err_pb": err,
        "n_tried": n_tried,
        "n_accepted": len(events),
        "acceptance": len(events) / n_tried if n_tried else 0.0,
        "matched": matched,
        "qcut": pythia.settings.parm("JetMatching:qCut") if matched else None,
        "n_jet_max": n_jet_max if matched else None,
        "sqrt_s_gev": float(info_py.eCM()),
        "seconds": seconds,
        "source": str(path),
    }
    logger.info(
        "%s: %d events accepted of %d read (%.1f%%), %s cross section %.5g +- %.2g pb, %.2f ms/event",
        path.name, len(events), n_tried, 100 * float(info["acceptance"] or 0.0), "matched" if matched else "LHE",
        xsec, err, 1e3 * seconds / max(len(events), 1),
    )
    return events, info


def _init_lhe(settings: list[str], hook: object | None, path: Path) -> pythia8mc.Pythia:
    """Initialise Pythia on an LHE file, with the MLM hook when given (the caller keeps `hook` alive)."""
    if hook is None:
        return make_pythia(settings, f"LHE file {path}")
    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        if not pythia.readString(line):
            raise ConfigError(f"Pythia rejected setting {line!r} for LHE file {path}")
    pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise ConfigError(f"Pythia initialisation failed for LHE file {path}")
    logger.info("Pythia init for LHE file %s with MLM matching: ok", path)
    return pythia
