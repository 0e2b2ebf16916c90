"""What an LHE file says about itself: generator, run card, POWHEG input, <init> block, LHEF 3 weights.

:func:`parse_header` reads the header text and the ``<init>`` block (as returned by
:func:`susyscan.ingest.lhe.scan_lhe`) into an :class:`LheHeader`; :func:`detect_scheme` decides from it
how the events must be showered:

===========  ==========================================================================================
scheme       when
===========  ==========================================================================================
``none``     no merging needed: one jet multiplicity of a LO generator, or a file of an unknown generator
``mlm``      MadGraph LO, ``ickkw = 1`` (MLM matching, Pythia's ``JetMatchingMadgraph`` hook)
``ckkwl``    MadGraph LO, ``ickkw = 0`` with several jet multiplicities (CKKW-L merging in Pythia)
``fxfx``     MadGraph5_aMC@NLO (``[QCD]`` in the process card), ``ickkw = 3`` (FxFx merging)
``mcatnlo``  MadGraph5_aMC@NLO, ``ickkw = 0``, one jet multiplicity (MC@NLO matching, no merging)
``powheg``   POWHEG-BOX (vetoed shower, :mod:`susyscan.ingest.powheg_hooks`)
===========  ==========================================================================================

Anything else (UNLOPS ``ickkw = 4``, MadGraph's own CKKW ``ickkw = 2``, an aMC@NLO file with several
multiplicities but no FxFx) is an :class:`~susyscan.errors.EventFileError` naming the file and the field:
a silently wrong shower is worse than no shower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from susyscan.errors import EventFileError

SCHEMES = ("none", "mlm", "ckkwl", "fxfx", "mcatnlo", "powheg")

_CARD_VALUE = r"^\s*([^\s=!#]+)\s*=\s*{name}\b"
_PROCESS = re.compile(r"^\s*(?:generate|add\s+process)\s+(.+)$", re.MULTILINE)
_POWHEG_INPUT = re.compile(r"^\s*([A-Za-z_][\w-]*)\s+([^\s!#]+)", re.MULTILINE)
_WEIGHTGROUP = re.compile(r"<weightgroup\b([^>]*)>(.*?)</weightgroup>", re.DOTALL | re.IGNORECASE)
_WEIGHT = re.compile(r"<weight\b[^>]*\bid\s*=\s*['\"]([^'\"]+)['\"][^>]*>(.*?)</weight>", re.DOTALL | re.IGNORECASE)
_ATTRIBUTE = re.compile(r"(\w+)\s*=\s*['\"]([^'\"]*)['\"]")
_SCALE = re.compile(r"mu[_]?r\s*=?\s*([0-9.eEdD+-]+).*?mu[_]?f\s*=?\s*([0-9.eEdD+-]+)", re.IGNORECASE)
_POWHEG_SCALE = re.compile(r"renscfact\s*=\s*([0-9.eEdD+-]+).*?facscfact\s*=\s*([0-9.eEdD+-]+)", re.IGNORECASE)
_ID_SCALE = re.compile(r"MUR([0-9.]+)_MUF([0-9.]+)", re.IGNORECASE)
_LEPTONS = {"e+", "e-", "mu+", "mu-", "ta+", "ta-", "l+", "l-", "ve", "ve~", "vm", "vm~", "vt", "vt~", "vl", "vl~"}


def _card_value(header: str, name: str) -> str | None:
    match = re.search(_CARD_VALUE.format(name=re.escape(name)), header, re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


def _card_float(header: str, name: str) -> float | None:
    value = _card_value(header, name)
    if value is None:
        return None
    try:
        return float(value.lower().replace("d", "e"))
    except ValueError:
        return None


def _fortran_float(text: str) -> float:
    return float(text.lower().replace("d", "e"))


@dataclass(frozen=True)
class WeightInfo:
    """One LHEF 3 weight of ``<initrwgt>``: id, group name, description, and (muR, muF) factors if a scale variation."""

    id: str
    group: str
    text: str
    scales: tuple[float, float] | None


@dataclass(frozen=True)
class LheHeader:
    """Facts read from an LHE header and <init> block (None: not stated in the file)."""

    generator: str  # "madgraph", "powheg-box", "pythia", "unknown"
    nlo: bool
    ickkw: int | None
    xqcut: float | None
    ptj: float | None
    ktdurham: float | None
    ptlund: float | None
    dparameter: float | None
    max_jet_flavor: int
    jet_multiplicities: tuple[int, ...]
    core_final_state: tuple[str, ...]
    beam_ids: tuple[int, int]
    beam_energies_gev: tuple[float, float]
    idwtup: int
    xsecup_pb: tuple[float, ...]
    xerrup_pb: tuple[float, ...]
    event_norm: str | None
    lhef_version: str | None
    weights: tuple[WeightInfo, ...] = ()
    powheg_input: dict[str, str] = field(default_factory=dict)
    etaj: float | None = None  # run card: largest |eta| of the generated jets (-1: no cut)
    alpsfact: float | None = None  # run card: MLM alpha_s scale factor (Pythia's JetMatching:clFact)

    @property
    def sqrt_s_gev(self) -> float:
        """Centre-of-mass energy of the two beams (head-on, massless): 2 sqrt(E1 E2)."""
        e1, e2 = self.beam_energies_gev
        return 2.0 * (e1 * e2) ** 0.5

    @property
    def xsec_pb(self) -> float:
        """Sum of the <init> process cross sections (XSECUP)."""
        return float(sum(self.xsecup_pb))

    @property
    def xsec_err_pb(self) -> float:
        return float(sum(e * e for e in self.xerrup_pb) ** 0.5)

    @property
    def n_jet_max(self) -> int | None:
        return max(self.jet_multiplicities) if self.jet_multiplicities else None

    def scale_weight_ids(self) -> list[str]:
        """Ids of the (muR, muF) scale-variation weights, nominal (1, 1) included."""
        return [w.id for w in self.weights if w.scales is not None]

    def as_metadata(self) -> dict[str, Any]:
        """Short JSON-able summary for the event-file metadata."""
        return {
            "generator": self.generator, "nlo": self.nlo, "ickkw": self.ickkw, "xqcut": self.xqcut, "ptj": self.ptj,
            "ktdurham": self.ktdurham, "etaj": self.etaj, "jet_multiplicities": list(self.jet_multiplicities),
            "beam_energies_gev": list(self.beam_energies_gev), "idwtup": self.idwtup,
            "xsecup_pb": list(self.xsecup_pb), "xsec_pb": self.xsec_pb, "xsec_err_pb": self.xsec_err_pb,
            "event_norm": self.event_norm, "lhef_version": self.lhef_version, "n_weights": len(self.weights),
        }


def _parse_init(init_lines: list[str], path: Path) -> tuple[tuple[int, int], tuple[float, float], int,
                                                             tuple[float, ...], tuple[float, ...]]:
    rows = []
    for line in init_lines:
        text = line.strip()
        if not text or text.startswith(("<", "#")):
            continue
        try:
            rows.append([_fortran_float(tok) for tok in text.split()])
        except ValueError:
            continue  # e.g. free text of an LHEF 3 <generator> line continuation
    if not rows or len(rows[0]) < 10:
        raise EventFileError(f"LHE file {path}: <init> block lacks the beam line (IDBMUP EBMUP ... IDWTUP NPRUP)")
    beam = rows[0]
    n_proc = int(beam[9])
    procs = [r for r in rows[1:1 + n_proc] if len(r) >= 4]
    if len(procs) != n_proc:
        raise EventFileError(f"LHE file {path}: <init> declares {n_proc} processes (NPRUP) but has {len(procs)} lines")
    return ((int(beam[0]), int(beam[1])), (beam[2], beam[3]), int(beam[8]),
            tuple(p[0] for p in procs), tuple(p[1] for p in procs))


def _parse_weights(header: str) -> tuple[WeightInfo, ...]:
    block = re.search(r"<initrwgt>(.*?)</initrwgt>", header, re.DOTALL | re.IGNORECASE)
    if not block:
        return ()
    out: list[WeightInfo] = []
    groups = _WEIGHTGROUP.findall(block.group(1)) or [("", block.group(1))]
    for attributes, body in groups:
        attrs = dict(_ATTRIBUTE.findall(attributes))
        group = attrs.get("name") or attrs.get("type") or ""
        for wid, text in _WEIGHT.findall(body):
            text = " ".join(text.split())
            scales = None
            for pattern, source in ((_SCALE, text), (_POWHEG_SCALE, text), (_ID_SCALE, wid)):
                match = pattern.search(source)
                if match:
                    scales = (_fortran_float(match.group(1)), _fortran_float(match.group(2)))
                    break
            if "pdf" in group.lower():  # PDF members at the nominal scales are not scale variations
                scales = None
            out.append(WeightInfo(id=wid.strip(), group=group, text=text, scales=scales))
    return tuple(out)


def _processes(header: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Jet multiplicities of the MG5 process card and the final state of its lowest-multiplicity process."""
    mults: list[int] = []
    core: tuple[str, ...] = ()
    for proc in _PROCESS.findall(header):
        body = proc.split("@")[0].split("[")[0]
        body = body.split("$")[0]
        final = [tok for tok in body.split(">")[-1].split() if "=" not in tok]
        n_jets = final.count("j")
        if not mults or n_jets < min(mults):
            core = tuple(tok for tok in final if tok != "j")
        mults.append(n_jets)
    return tuple(sorted(set(mults))), core


def parse_header(header: str, init_lines: list[str], path: str | Path) -> LheHeader:
    """An :class:`LheHeader` from the header text (everything before <init>) and the <init> block lines."""
    path = Path(path)
    version = re.search(r"<LesHouchesEvents\s+version\s*=\s*['\"]([^'\"]+)['\"]", header)
    if "POWHEG-BOX" in header or "powheg.input" in header:
        generator = "powheg-box"
    elif "<MG5ProcCard>" in header or "<MGRunCard>" in header or "MadGraph" in header:
        generator = "madgraph"
    elif re.search(r"pythia", header, re.IGNORECASE):
        generator = "pythia"
    else:
        generator = "unknown"
    beam_ids, energies, idwtup, xsecup, xerrup = _parse_init(init_lines, path)
    mults, core = _processes(header) if generator == "madgraph" else ((), ())
    proc_card = re.search(r"<MG5ProcCard>(.*?)</MG5ProcCard>", header, re.DOTALL)
    nlo = generator == "powheg-box" or bool(proc_card and re.search(r"\[\s*(?:real\s*=\s*|virt\s*=\s*)?QCD\s*\]",
                                                                      proc_card.group(1)))
    ickkw = _card_value(header, "ickkw")
    powheg_input = {}
    if generator == "powheg-box":
        block = re.search(r"powheg\.input contained:(.*?)End of powheg\.input", header, re.DOTALL)
        powheg_input = {k: v for k, v in _POWHEG_INPUT.findall(block.group(1) if block else "")}
    return LheHeader(
        generator=generator, nlo=nlo, ickkw=int(float(ickkw)) if ickkw is not None else None,
        xqcut=_card_float(header, "xqcut"), ptj=_card_float(header, "ptj"), ktdurham=_card_float(header, "ktdurham"),
        ptlund=_card_float(header, "ptlund"), dparameter=_card_float(header, "dparameter"),
        max_jet_flavor=int(_card_float(header, "maxjetflavor") or 5), jet_multiplicities=mults, core_final_state=core,
        beam_ids=beam_ids, beam_energies_gev=energies, idwtup=idwtup, xsecup_pb=xsecup, xerrup_pb=xerrup,
        event_norm=_card_value(header, "event_norm"), lhef_version=version.group(1) if version else None,
        weights=_parse_weights(header), powheg_input=powheg_input,
        etaj=_card_float(header, "etaj"), alpsfact=_card_float(header, "alpsfact"),
    )


def detect_scheme(info: LheHeader, path: str | Path) -> str:
    """The matching/merging scheme the file needs (one of :data:`SCHEMES`); EventFileError if unsupported."""
    if info.generator == "powheg-box":
        return "powheg"
    if info.generator != "madgraph":
        return "none"
    several = len(info.jet_multiplicities) > 1
    if info.nlo:
        if info.ickkw == 3:
            return "fxfx"
        if info.ickkw == 4:
            raise EventFileError(f"LHE file {path}: ickkw = 4 (UNLOPS merging) is not supported; "
                                 "supported: FxFx (ickkw = 3), MC@NLO (ickkw = 0, one multiplicity)")
        if info.ickkw in (0, None) and not several:
            return "mcatnlo"
        raise EventFileError(f"LHE file {path}: MadGraph5_aMC@NLO file with ickkw = {info.ickkw} and jet "
                             f"multiplicities {list(info.jet_multiplicities)}: several NLO multiplicities need FxFx "
                             "merging (ickkw = 3); not supported otherwise")
    if info.ickkw == 1:
        return "mlm"
    if info.ickkw == 2:
        raise EventFileError(f"LHE file {path}: ickkw = 2 (MadGraph CKKW) is not supported; "
                             "use MLM (ickkw = 1) or CKKW-L (ickkw = 0 with several multiplicities)")
    if info.ickkw in (0, None) and several:
        return "ckkwl"
    if info.ickkw not in (0, None):
        raise EventFileError(f"LHE file {path}: unknown ickkw = {info.ickkw} in the MadGraph run card")
    return "none"


def core_process_for_merging(info: LheHeader) -> str | None:
    """Pythia ``Merging:Process`` for a MadGraph core process of leptons/neutrinos only, else None."""
    if info.core_final_state and all(tok in _LEPTONS for tok in info.core_final_state):
        return "pp>LEPTONS,NEUTRINOS"
    return None
