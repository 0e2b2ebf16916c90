"""Shower plain or gzipped LHE files with Pythia 8: MLM, CKKW-L, FxFx, MC@NLO or POWHEG, as the header says.

The scheme is detected from the header (:mod:`susyscan.ingest.lhe_header`) and set up in Pythia by
:mod:`susyscan.ingest.lhe_setup`; a sample's ``ingest`` options in the config override it. A chunk reads
exactly the LHE events ``first_event .. first_event + n_events`` (copied to a temporary file, so that
merging vetoes never make chunks overlap); asking for events the file does not hold is an error naming
both numbers. Event weights keep their sign (aMC@NLO files carry negative weights).
"""

from __future__ import annotations

import gzip
import logging
import re
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import awkward as ak
import pythia8mc

from susyscan.errors import ConfigError, EventFileError
from susyscan.generation.extract import ChargeTable, to_particle_level
from susyscan.generation.pythia_run import BATCH_SIZE, lo_cross_section
from susyscan.ingest.lhe_header import LheHeader, parse_header

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
    """Read an LHE file once: header text, <init> block, number of complete events, of negative-weight
    events (XWGTUP < 0) and of events with an LHEF 3 ``<rwgt>`` or an old-style ``<weights>`` block;
    EventFileError if broken.

    Checks gzip integrity, balanced <event>/</event> tags, the closing </LesHouchesEvents> tag, and
    that the event and particle lines hold numbers only.
    """
    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"LHE file {path} does not exist")
    header: list[str] = []
    init: list[str] = []
    in_header, in_init, n_open, n_close, closed, n_negative = True, False, 0, 0, False, 0
    n_weights_blocks = n_rwgt = 0
    to_check = 0  # lines of the current event Pythia parses as numbers (event line + NUP particles)
    try:
        with _open(path) as handle:
            for line in handle:
                if in_header:
                    header.append(line)
                    if "<init>" in line:
                        in_header, in_init = False, True
                    continue
                if in_init:
                    if "</init>" in line:
                        in_init = False
                    else:
                        init.append(line)
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
                elif stripped.startswith("<weights>"):
                    n_weights_blocks += 1
                elif stripped.startswith("<rwgt>"):
                    n_rwgt += 1
                elif to_check and stripped and stripped[0] not in "<#":
                    numbers = _numbers(stripped, path, n_open)
                    if to_check == -1:
                        if len(numbers) > 2 and numbers[2] < 0:
                            n_negative += 1
                        to_check = int(numbers[0])
                    else:
                        to_check -= 1
    except (OSError, EOFError, zlib.error) as exc:
        raise EventFileError(f"LHE file {path} is corrupt or truncated: {exc}") from exc
    if in_header or n_open == 0:
        raise EventFileError(f"LHE file {path} has no <init> block or no events")
    if n_open != n_close or not closed:
        raise EventFileError(
            f"LHE file {path} is truncated: {n_open} <event> vs {n_close} </event> tags, "
            f"closing </LesHouchesEvents> {'found' if closed else 'missing'}"
        )
    return {"header": "".join(header), "init": init, "n_events": n_close, "n_negative": n_negative,
            "n_weights_blocks": n_weights_blocks, "n_rwgt": n_rwgt}


def read_header(path: str | Path) -> tuple[LheHeader, dict[str, Any]]:
    """The parsed header of an LHE file and its scan (see :func:`scan_lhe`)."""
    scan = scan_lhe(path)
    return parse_header(scan["header"], scan["init"], path), scan


def read_header_only(path: str | Path) -> LheHeader:
    """The parsed header of an LHE file, reading only up to </init> (cheap for start-up checks)."""
    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"LHE file {path} does not exist")
    header: list[str] = []
    init: list[str] = []
    target = header
    try:
        with _open(path) as handle:
            for line in handle:
                if "</init>" in line:
                    return parse_header("".join(header), init, path)
                target.append(line)
                if "<init>" in line:
                    target = init
    except (OSError, EOFError, zlib.error) as exc:
        raise EventFileError(f"LHE file {path} is corrupt or truncated: {exc}") from exc
    raise EventFileError(f"LHE file {path} has no complete <init> block")


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


def event_range(path: str | Path, n_file: int, first_event: int, n_events: int | None) -> tuple[int, int]:
    """(first, count) of the LHE events to read; EventFileError naming both numbers when the file is too short."""
    if first_event < 0:
        raise ConfigError(f"LHE file {path}: first event {first_event} < 0")
    if first_event >= n_file:
        raise EventFileError(f"LHE file {path} holds {n_file} events; this chunk starts at event {first_event}, "
                             f"past the end (fewer events in the file than n_events asks for)")
    count = n_file - first_event if n_events is None else int(n_events)
    if count <= 0:
        raise ConfigError(f"LHE file {path}: asked for {count} events")
    if first_event + count > n_file:
        raise EventFileError(f"LHE file {path} holds {n_file} events, but events {first_event}.."
                             f"{first_event + count - 1} ({count}) were requested: "
                             f"{first_event + count - n_file} missing (lower n_events to at most {n_file})")
    return first_event, count


def _rwgt_block(values: list[str], weight_ids: Sequence[str], path: Path, event: int) -> str:
    """An LHEF 3 ``<rwgt>`` block for the values of an old-style ``<weights>`` block, ids from ``<initrwgt>``."""
    if len(values) != len(weight_ids):
        raise EventFileError(f"LHE file {path}: event {event} has {len(values)} values in its <weights> block, the "
                             f"header's <initrwgt> declares {len(weight_ids)} weights")
    body = "".join(f"<wgt id='{wid}'> {value} </wgt>\n" for wid, value in zip(weight_ids, values, strict=True))
    return f"<rwgt>\n{body}</rwgt>\n"


def write_slice(path: str | Path, out: Path, first_event: int, n_events: int,
                weight_ids: Sequence[str] | None = None) -> int:
    """Copy the header, <init> block and events ``first_event .. first_event + n_events`` of an LHE file to
    ``out`` (plain text); returns the number of events written.

    ``weight_ids``: rewrite each event's old-style ``<weights>`` block (POWHEG-BOX; Pythia does not read it) as an
    LHEF 3 ``<rwgt>`` block with these ids (the header's ``<initrwgt>`` order), so that Pythia reads the weights.
    """
    written = index = 0
    inside = False
    collecting: list[str] | None = None
    with _open(Path(path)) as source, open(out, "w") as sink:
        for line in source:
            stripped = line.lstrip()
            if stripped.startswith("<event"):
                inside = True
                keep = first_event <= index < first_event + n_events
            if not inside:
                if not stripped.startswith("</LesHouchesEvents>"):
                    sink.write(line)
                continue
            if weight_ids is not None and (collecting is not None or stripped.startswith("<weights>")):
                text = stripped.replace("<weights>", " ") if collecting is None else stripped
                collecting = (collecting or []) + text.split("</weights>")[0].split()
                if "</weights>" in stripped:
                    if keep:
                        sink.write(_rwgt_block(collecting, weight_ids, Path(path), index))
                    collecting = None
                continue
            if keep:
                sink.write(line)
            if stripped.startswith("</event>"):
                inside = False
                written += keep
                index += 1
                if index >= first_event + n_events:
                    break
        sink.write("</LesHouchesEvents>\n")
    return written


@dataclass
class ShowerResult:
    """Particle-level events of a shower run plus the per-event LHEF weights (all of them, nominal first)."""

    events: ak.Array
    weight_names: list[str] = field(default_factory=list)
    all_weights: Any = None  # numpy (n_events, n_weights)


def _run(pythia: pythia8mc.Pythia, n_max: int, desc: str) -> ShowerResult:
    """Shower until the LHE slice is exhausted (at most ``n_max`` accepted events)."""
    import numpy as np

    charges = ChargeTable(pythia.particleData)
    parts: list[ak.Array] = []
    weights: list[Any] = []
    done = 0
    names: list[str] = []
    while done < n_max:
        # the first batch is one event: Pythia names the weights once it has read an event and forgets the
        # names when it reaches the end of the file (seen with FxFx, whose last events are vetoed), so they are
        # read after every batch and the longest list is kept
        batch = pythia.nextBatch(min(BATCH_SIZE if parts else 1, n_max - done), "skip")
        if len(batch) == 0:
            break
        parts.append(to_particle_level(batch, charges))
        weights.append(ak.to_numpy(ak.fill_none(ak.pad_none(batch["info"]["weights"], 1, axis=1), 1.0)))
        done += len(batch)
        current = list(pythia.infoPython().weightNameVector())
        names = current if len(current) > len(names) else names
    if not parts:
        raise EventFileError(f"{desc}: no event survived the shower and the matching/merging vetoes")
    widths = {w.shape[1] for w in weights}
    all_weights = np.concatenate(weights) if len(widths) == 1 else None
    return ShowerResult(ak.concatenate(parts) if len(parts) > 1 else parts[0], names, all_weights)


def _init(settings: list[str], hook: object | None, path: Path) -> pythia8mc.Pythia:
    """Initialise Pythia on an LHE file with the scheme's hook (the caller keeps `hook` alive)."""
    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        if not pythia.readString(line):
            raise ConfigError(f"Pythia rejected setting {line!r} for LHE file {path}")
    if hook is not None:
        if hasattr(hook, "attach"):
            hook.attach(pythia)
        pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise EventFileError(f"LHE file {path}: Pythia initialisation failed (settings: {settings})")
    return pythia


def shower_lhe(
    path: str | Path,
    n_events: int | None = None,
    seed: int = 1,
    matching: bool | None = None,
    qcut: float | None = None,
    n_jet_max: int | None = None,
    extra_settings: tuple[str, ...] = (),
    first_event: int = 0,
    options: Any = None,
    expected_sqrt_s_gev: float | None = None,
) -> tuple[ak.Array, dict[str, Any]]:
    """Shower (matched/merged as the header says) LHE events ``first_event .. first_event + n_events``.

    ``n_events`` counts LHE events read (None: to the end of the file); matching/merging vetoes leave
    fewer showered events (``n_accepted``). With several weights per event (LHEF 3 ``<rwgt>``, Pythia's merging
    variations) the events carry ``alt_weights`` (n_events x n_weights, named by ``info["weight_names"]``) and
    ``info["alt_weight_columns"]`` names the event-file column of each (:func:`susyscan.ingest.weights.weight_columns`). ``options``: :class:`~susyscan.ingest.lhe_setup.IngestOptions`
    or a mapping (config ``ingest.<sample>``); ``matching``/``qcut``/``n_jet_max`` are the older MLM-only
    overrides (``matching=True`` forces MLM, False no matching). ``expected_sqrt_s_gev``: the configured
    energy; a file at another energy is an error unless ``options.sqrt_s_gev`` declares the file's.

    info: xsec_pb (Pythia's sigmaGen: the matched/merged cross section, negative weights included),
    xsec_err_pb, header_xsec_pb, xsec_ratio_to_header, scheme, detected_scheme, scheme_parameters,
    n_read, n_accepted, acceptance, n_negative_lhe, negative_fraction, sqrt_s_gev, weight_names,
    scale_envelope, seconds, ... (see the code).
    """
    import numpy as np

    from susyscan.ingest.lhe_setup import IngestOptions, scheme_setup
    from susyscan.ingest.weights import summarise_weights, weight_columns

    path = Path(path)
    header, scan = read_header(path)
    opts = options if isinstance(options, IngestOptions) else IngestOptions.from_mapping(options, f"LHE file {path}")
    if matching is not None or qcut is not None or n_jet_max is not None:
        scheme = ("mlm" if matching else "none") if matching is not None else opts.scheme
        opts = IngestOptions(**{**opts.__dict__, "scheme": scheme, "qcut": qcut if qcut is not None else opts.qcut,
                                "n_jet_max": n_jet_max if n_jet_max is not None else opts.n_jet_max})
    check_beam_energy(path, header.sqrt_s_gev, expected_sqrt_s_gev, opts.sqrt_s_gev)
    first, count = event_range(path, scan["n_events"], first_event, n_events)
    setup = scheme_setup(header, opts, str(path))
    start = time.perf_counter()
    # POWHEG-BOX's old-style per-event <weights> block: rewritten as <rwgt> (ids of <initrwgt>) for Pythia to read
    weight_ids = [w.id for w in header.weights] if header.weights and scan["n_weights_blocks"] and not scan["n_rwgt"] \
        else None
    with tempfile.TemporaryDirectory(prefix="susyscan_lhe_") as tmp:
        source = path
        if (first, count) != (0, scan["n_events"]) or weight_ids is not None:
            source = Path(tmp) / "slice.lhe"
            write_slice(path, source, first, count, weight_ids)
        settings = ["Beams:frameType = 4", f"Beams:LHEF = {source}", "Random:setSeed = on", f"Random:seed = {seed}",
                    "Print:quiet = on", "Next:numberCount = 0", *setup.settings, *extra_settings]
        pythia = _init(settings, setup.hook, path)
        result = _run(pythia, count, f"LHE file {path} events {first}..{first + count - 1} ({setup.scheme})")
    seconds = time.perf_counter() - start
    events = result.events
    if result.all_weights is not None and result.all_weights.shape[1] > 1:
        # per-event LHEF 3 / Pythia alternative weights, columns named by info["weight_names"] (nominal first)
        events = ak.with_field(events, result.all_weights, "alt_weights")
    info_py = pythia.infoPython()
    xsec, err = lo_cross_section(pythia)
    n_read = int(info_py.nTried())
    weight = ak.to_numpy(events["weight"])
    n_acc = len(events)
    info: dict[str, Any] = {
        "xsec_pb": xsec,
        "xsec_err_pb": err,
        "header_xsec_pb": header.xsec_pb,
        "header_xsec_err_pb": header.xsec_err_pb,
        "xsec_ratio_to_header": xsec / header.xsec_pb if header.xsec_pb else None,
        "scheme": setup.scheme,
        "detected_scheme": setup.detected,
        "scheme_parameters": setup.parameters,
        "matched": setup.scheme in ("mlm", "fxfx", "ckkwl"),
        "qcut": pythia.settings.parm("JetMatching:qCut") if setup.scheme in ("mlm", "fxfx") else None,
        "n_jet_max": setup.parameters.get("n_jet_max"),
        "n_file": scan["n_events"],
        "first_event": first,
        "n_requested": count,
        "n_read": n_read,
        "n_tried": n_read,
        "n_accepted": n_acc,
        "acceptance": n_acc / n_read if n_read else 0.0,
        "n_negative_lhe_file": scan["n_negative"],
        "negative_fraction": float(np.mean(weight < 0)) if n_acc else 0.0,
        "sum_weights": float(weight.sum()),
        "sum_weights2": float(np.square(weight).sum()),
        "n_effective": float(weight.sum() ** 2 / np.square(weight).sum()) if n_acc else 0.0,
        "sqrt_s_gev": float(info_py.eCM()),
        "header": header.as_metadata(),
        "generator": f"{header.generator} LHE + pythia8mc shower ({setup.scheme})",
        "seconds": seconds,
        "source": str(path),
        **summarise_weights(result.weight_names, result.all_weights, header),
    }
    has_alt = "alt_weights" in events.fields and len(result.weight_names) == result.all_weights.shape[1]
    info["alt_weight_columns"] = weight_columns(result.weight_names, header) if has_alt else []
    if hasattr(setup.hook, "counts"):
        info["hook_counts"] = setup.hook.counts()
    logger.info(
        "%s events %d..%d: scheme %s (header says %s), %d showered of %d read (%.1f%%), %.1f%% negative weights, "
        "N_eff %.0f; cross section %.5g +- %.2g pb (%s) vs header sum of XSECUP %.5g pb (ratio %.3f); %.2f ms/event",
        path.name, first, first + count - 1, setup.scheme, setup.detected, n_acc, n_read, 100 * info["acceptance"],
        100 * info["negative_fraction"], info["n_effective"], xsec, err,
        "matched/merged" if info["matched"] else "showered", header.xsec_pb, info["xsec_ratio_to_header"] or 0.0,
        1e3 * seconds / max(n_acc, 1),
    )
    return events, info


def check_beam_energy(path: str | Path, file_gev: float, config_gev: float | None, declared_gev: float | None) -> None:
    """The file's beam energy must be the configured one, or the one the sample declares (``sqrt_s_gev`` in its
    ingest options); never silently replaced. EventFileError naming the file and both energies otherwise."""
    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)

    if declared_gev is not None:
        if not same(file_gev, declared_gev):
            raise EventFileError(f"LHE file {path}: beams give sqrt(s) = {file_gev:g} GeV, but the sample declares "
                                 f"sqrt_s_gev = {declared_gev:g} GeV")
        if config_gev is not None and not same(file_gev, config_gev):
            logger.warning("LHE file %s: sqrt(s) = %g GeV (declared for this sample) differs from the config's %g GeV",
                           path, file_gev, config_gev)
        return
    if config_gev is not None and not same(file_gev, config_gev):
        raise EventFileError(f"LHE file {path}: beams give sqrt(s) = {file_gev:g} GeV, the config says sqrt_s_gev = "
                             f"{config_gev:g} GeV; if this is intended, declare it for the sample "
                             f"(config ingest.<sample>.sqrt_s_gev: {file_gev:g})")
