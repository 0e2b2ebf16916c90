"""Pythia settings (and user hook) for each LHE matching/merging scheme, with the user's overrides.

Per scheme, following Pythia's own examples and manual:

* ``mlm``: ``JetMatching:*`` with the MadGraph hook (``JetMatchingMadgraph``), as Pythia's MLM example
  (main164mlm.cmnd: ``setMad = off``, ``coneRadius = 1``, ``etaJetMax = 10``, or the run card's ``etaj``) with
  ``qCut = 1.5 x xqcut`` of the run card unless a ``qcut`` is given (a qcut below xqcut is an error),
  ``nQmatch`` = maxjetflavor, ``clFact`` = alpsfact.
* ``fxfx``: the FxFx settings of Pythia's FxFx example (``JetMatching:doFxFx = on``, ``qCutME`` = the
  run card's ``ptj``, merging scale ``qCut`` = ``2 x ptj`` unless given (the example shipped with this very
  Z file uses ptj = 10, qCut = 20), ``nJetMax`` = highest multiplicity of the process card, ``nQmatch`` =
  maxjetflavor) plus the MC@NLO shower settings (global recoil, no ME corrections, ``pTmaxMatch = 1``).
* ``mcatnlo``: the MC@NLO shower settings alone.
* ``ckkwl``: ``Merging:doKTMerging`` (Durham kT, ``ktType = 1``, ``Dparameter`` from the run card),
  ``Merging:TMS`` = the given ``merging_scale`` or the run card's ``ktdurham`` (an error if neither: the
  header does not say the merging scale), which must not lie below the generation cut ``xqcut``;
  ``Merging:nJetMax`` = highest multiplicity; ``Merging:Process`` given or, for a lepton/neutrino core
  process, ``pp>LEPTONS,NEUTRINOS``.
* ``powheg``: the vetoed shower of :mod:`susyscan.ingest.powheg_hooks`.

``IngestOptions.pythia_settings`` are appended last, so any single setting can be overridden.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pythia8mc

from susyscan.errors import ConfigError, EventFileError
from susyscan.ingest.lhe_header import (
    SCHEMES,
    LheHeader,
    core_process_for_merging,
    detect_scheme,
)

logger = logging.getLogger(__name__)

MCATNLO_SHOWER: tuple[str, ...] = (
    "SpaceShower:MEcorrections = off",
    "TimeShower:pTmaxMatch = 1",
    "TimeShower:pTmaxFudge = 1",
    "TimeShower:MEcorrections = off",
    "TimeShower:globalRecoil = on",
    "TimeShower:limitPTmaxGlobal = on",
    "TimeShower:nMaxGlobalRecoil = 1",
    "TimeShower:globalRecoilMode = 2",
    "Check:epTolErr = 2e-2",
)
#: MLM matching scale qCut = MLM_QCUT_OVER_XQCUT x xqcut when not given: the shower-jet scale must lie above the
#: generation cut (partons near xqcut otherwise fail to match and the event is vetoed); Pythia's setMad would take
#: qCut = xqcut. Measured on the Z + jets MLM file in docs/validation.md section 8.
MLM_QCUT_OVER_XQCUT = 1.5
#: MLM etaJetMax when the run card has no jet rapidity cut (etaj = -1): Pythia's MLM example (main164mlm.cmnd),
#: so that partons at any rapidity are matched (Pythia's default 2.5 vetoes forward partons as unmatched).
MLM_ETA_JET_MAX = 10.0
#: FxFx merging scale qCut = FXFX_QCUT_OVER_PTJ x ptj when not given (Pythia's FxFx example: 20 GeV for ptj = 10).
FXFX_QCUT_OVER_PTJ = 2.0
OPTION_KEYS = ("scheme", "qcut", "n_jet_max", "merging_scale", "merging_process", "powheg_n_final",
               "pythia_settings", "sqrt_s_gev")


@dataclass(frozen=True)
class IngestOptions:
    """A sample's LHE shower options (config ``ingest.<sample>``); None = from the file's header."""

    scheme: str = "auto"
    qcut: float | None = None
    n_jet_max: int | None = None
    merging_scale: float | None = None
    merging_process: str | None = None
    powheg_n_final: int | None = None
    pythia_settings: tuple[str, ...] = ()
    sqrt_s_gev: float | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, where: str = "ingest options") -> IngestOptions:
        values = dict(values or {})
        unknown = sorted(set(values) - set(OPTION_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown} (known: {list(OPTION_KEYS)})")
        scheme = str(values.get("scheme", "auto"))
        if scheme not in ("auto", *SCHEMES):
            raise ConfigError(f"{where}: scheme {scheme!r} not one of {['auto', *SCHEMES]}")

        def number(key: str, kind: type = float) -> Any:
            value = values.get(key)
            if value is None:
                return None
            try:
                return kind(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{where}: {key} = {value!r} is not a number") from None

        return cls(scheme=scheme, qcut=number("qcut"), n_jet_max=number("n_jet_max", int),
                   merging_scale=number("merging_scale"), merging_process=values.get("merging_process"),
                   powheg_n_final=number("powheg_n_final", int),
                   pythia_settings=tuple(str(s) for s in values.get("pythia_settings") or ()),
                   sqrt_s_gev=number("sqrt_s_gev"))


@dataclass
class SchemeSetup:
    """Everything Pythia needs for one scheme: settings, an optional hook, and what was chosen (for metadata)."""

    scheme: str
    detected: str
    settings: list[str]
    hook: Any = None
    parameters: dict[str, Any] = field(default_factory=dict)


def _mlm(info: LheHeader, options: IngestOptions, path: str) -> SchemeSetup:
    n_jet_max = options.n_jet_max if options.n_jet_max is not None else info.n_jet_max
    if (options.qcut is None and info.xqcut is None) or n_jet_max is None:
        raise EventFileError(f"LHE file {path}: MLM matching needs xqcut/qcut and n_jet_max (not found in header)")
    if options.qcut is not None:
        qcut, source = options.qcut, "config"
    else:
        assert info.xqcut is not None
        qcut, source = MLM_QCUT_OVER_XQCUT * info.xqcut, f"{MLM_QCUT_OVER_XQCUT:g} x run card xqcut"
    if info.xqcut is not None and qcut < info.xqcut:
        raise ConfigError(f"LHE file {path}: MLM matching scale qcut = {qcut:g} GeV lies below the generation cut "
                          f"xqcut = {info.xqcut:g} GeV of the run card")
    eta_max = info.etaj if info.etaj is not None and info.etaj > 0 else MLM_ETA_JET_MAX
    settings = ["JetMatching:merge = on", "JetMatching:scheme = 1", "JetMatching:setMad = off",
                f"JetMatching:qCut = {qcut:g}", f"JetMatching:nQmatch = {info.max_jet_flavor}",
                f"JetMatching:clFact = {info.alpsfact if info.alpsfact is not None else 1.0:g}",
                f"JetMatching:nJetMax = {n_jet_max}", "JetMatching:coneRadius = 1.0",
                f"JetMatching:etaJetMax = {eta_max:g}"]
    return SchemeSetup("mlm", "", settings, pythia8mc.JetMatchingMadgraph(),
                       {"qcut": qcut, "qcut_source": source, "xqcut": info.xqcut, "n_jet_max": n_jet_max,
                        "eta_jet_max": eta_max})


def _fxfx(info: LheHeader, options: IngestOptions, path: str) -> SchemeSetup:
    if info.ptj is None:
        raise EventFileError(f"LHE file {path}: FxFx needs the run card's ptj (qCutME); not found in the header")
    n_jet_max = options.n_jet_max if options.n_jet_max is not None else info.n_jet_max
    if n_jet_max is None:
        raise EventFileError(f"LHE file {path}: FxFx needs nJetMax: no process card in the header; set n_jet_max")
    qcut = options.qcut if options.qcut is not None else FXFX_QCUT_OVER_PTJ * info.ptj
    if qcut <= info.ptj:
        raise ConfigError(f"LHE file {path}: FxFx merging scale qcut = {qcut:g} GeV must exceed the run card's "
                          f"ptj = {info.ptj:g} GeV")
    settings = ["JetMatching:merge = on", "JetMatching:scheme = 1", "JetMatching:setMad = off",
                "JetMatching:doFxFx = on", f"JetMatching:qCutME = {info.ptj:g}", f"JetMatching:qCut = {qcut:g}",
                f"JetMatching:nJetMax = {n_jet_max}", f"JetMatching:nQmatch = {info.max_jet_flavor}",
                "JetMatching:coneRadius = 1.0", "JetMatching:etaJetMax = 10.0", "JetMatching:jetAlgorithm = 2",
                "JetMatching:slowJetPower = 1", *MCATNLO_SHOWER]
    return SchemeSetup("fxfx", "", settings, pythia8mc.JetMatchingMadgraph(),
                       {"qcut": qcut, "qcut_me": info.ptj, "n_jet_max": n_jet_max,
                        "qcut_source": "config" if options.qcut is not None else f"{FXFX_QCUT_OVER_PTJ:g} x ptj"})


def _ckkwl(info: LheHeader, options: IngestOptions, path: str) -> SchemeSetup:
    tms = options.merging_scale
    source = "config"
    if tms is None and info.ktdurham is not None and info.ktdurham > 0:
        tms, source = info.ktdurham, "run card ktdurham"
    if tms is None:
        raise ConfigError(f"LHE file {path}: CKKW-L merging (MadGraph LO, ickkw = 0, jet multiplicities "
                          f"{list(info.jet_multiplicities)}) needs a merging scale, and the header has no ktdurham: "
                          "set ingest.<sample>.merging_scale (GeV, Merging:TMS), or scheme: none to shower unmerged")
    if info.xqcut is not None and tms < info.xqcut:
        raise ConfigError(f"LHE file {path}: CKKW-L merging scale {tms:g} GeV lies below the generation cut "
                          f"xqcut = {info.xqcut:g} GeV")
    n_jet_max = options.n_jet_max if options.n_jet_max is not None else info.n_jet_max
    process = options.merging_process or core_process_for_merging(info)
    if process is None or n_jet_max is None:
        raise ConfigError(f"LHE file {path}: CKKW-L needs Merging:Process and nJetMax; core process "
                          f"{list(info.core_final_state)} is not leptons/neutrinos only: set "
                          "ingest.<sample>.merging_process (Pythia notation, e.g. 'pp>e+e-')")
    settings = ["Merging:doKTMerging = on", "Merging:ktType = 1", f"Merging:Dparameter = {info.dparameter or 0.4:g}",
                f"Merging:TMS = {tms:g}", f"Merging:nJetMax = {n_jet_max}", f"Merging:Process = {process}"]
    return SchemeSetup("ckkwl", "", settings, None, {"merging_scale": tms, "merging_scale_source": source,
                                                      "n_jet_max": n_jet_max, "merging_process": process})


def _powheg(info: LheHeader, options: IngestOptions, path: str) -> SchemeSetup:
    from susyscan.ingest.powheg_hooks import POWHEG_SETTINGS, PowhegHooks

    settings = list(POWHEG_SETTINGS)
    n_final = options.powheg_n_final if options.powheg_n_final is not None else -1
    settings.append(f"POWHEG:nFinal = {n_final}")
    return SchemeSetup("powheg", "", settings, PowhegHooks(),
                       {"veto": "POWHEG hardness > SCALUP vetoed (pTmaxMatch = 2, vetoCount = 3, pTdef = 1)",
                        "n_final": n_final})


def scheme_setup(info: LheHeader, options: IngestOptions, path: str) -> SchemeSetup:
    """Pythia settings and hook for the file's scheme (detected, or ``options.scheme`` when not ``auto``)."""
    try:
        detected = detect_scheme(info, path)
    except EventFileError:
        if options.scheme == "auto":
            raise
        detected = "unsupported"
    scheme = detected if options.scheme == "auto" else options.scheme
    if scheme != detected:
        logger.warning("LHE file %s: header says %s, config forces scheme %s", path, detected, scheme)
    if scheme == "none":
        setup = SchemeSetup("none", detected, [], None, {})
    elif scheme == "mcatnlo":
        setup = SchemeSetup("mcatnlo", detected, list(MCATNLO_SHOWER), None, {})
    else:
        setup = {"mlm": _mlm, "fxfx": _fxfx, "ckkwl": _ckkwl, "powheg": _powheg}[scheme](info, options, path)
    setup.detected = detected
    setup.settings += list(options.pythia_settings)
    return setup
