"""Vetoed shower for POWHEG-BOX events: a Python port of Pythia's ``PowhegHooks`` (Pythia8Plugins/PowhegHooks.h).

The pythia8mc wheel (8.317) has no binding for ``PowhegHooks`` and the ``POWHEG:*`` settings do nothing
on their own (Pythia's own examples, main152.cc, create the hook explicitly), so this class re-implements
the recommended configuration of the Pythia manual ("POWHEG Matching with Vetoed Showers"): the shower
starts at the kinematic limit (``TimeShower:pTmaxMatch = 2``, ``SpaceShower:pTmaxMatch = 2``) and every
emission of the hard system harder than POWHEG's ``SCALUP`` is vetoed, until ``POWHEG:vetoCount``
emissions in a row have been accepted.

Ported: ``POWHEG:veto = 1``, ``POWHEG:pThard = 0`` (pThard = SCALUP), ``POWHEG:pTemt = 0`` (pT of the
emission with respect to its radiator), ``POWHEG:emitted = 0``, ``POWHEG:pTdef = 0 or 1`` (POWHEG's
hardness: the kinematic pT for ISR; for FSR the POWHEG d_ij in the frame of the incoming partons, or the
kinematic pT with ``pTdef = 0``), ``POWHEG:QEDveto = 0 or 2``, ``POWHEG:MPIveto = 0``, the simple
shower (``PartonShowers:model = 1``).  Other modes raise :class:`~susyscan.errors.ConfigError` rather
than running something different from what was asked.  The hook is Python code called by Pythia once per
shower emission of the hard system; the cost is logged by :func:`susyscan.ingest.lhe.shower_lhe`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pythia8mc

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

#: The settings of Pythia's recommended vetoed-shower set-up (manual: POWHEG Matching; main152.cmnd).
POWHEG_SETTINGS: tuple[str, ...] = (
    "TimeShower:pTmaxMatch = 2",
    "SpaceShower:pTmaxMatch = 2",
    "POWHEG:veto = 1",
    "POWHEG:vetoCount = 3",
    "POWHEG:pThard = 0",
    "POWHEG:pTemt = 0",
    "POWHEG:emitted = 0",
    "POWHEG:pTdef = 1",
    "POWHEG:MPIveto = 0",
    "POWHEG:QEDveto = 2",
)


class PowhegHooks(pythia8mc.UserHooks):  # type: ignore[misc]
    """Veto shower emissions of the hard system with POWHEG hardness above SCALUP (see the module docstring).

    Call :meth:`attach` with the Pythia instance before ``init()``; the caller keeps the hook alive.
    Counters: ``n_events``, ``n_isr_veto``, ``n_fsr_veto``.
    """

    def __init__(self) -> None:
        pythia8mc.UserHooks.__init__(self)
        self._pythia: Any = None
        self.n_events = self.n_isr_veto = self.n_fsr_veto = 0
        self._pt_hard = 0.0
        self._n_accept_seq = 0
        self._is_emt = False

    def attach(self, pythia: Any) -> None:
        """Read the POWHEG:* settings from ``pythia`` (after they were set) and keep it for SCALUP."""
        self._pythia = pythia
        mode = pythia.settings.mode
        self.veto_mode = mode("POWHEG:veto")
        self.veto_count = mode("POWHEG:vetoCount")
        self.pt_def = mode("POWHEG:pTdef")
        self.qed_veto = mode("POWHEG:QEDveto")
        self.n_final = mode("POWHEG:nFinal")
        unsupported = {"POWHEG:veto": (self.veto_mode, {1}), "POWHEG:pThard": (mode("POWHEG:pThard"), {0}),
                       "POWHEG:pTemt": (mode("POWHEG:pTemt"), {0}), "POWHEG:emitted": (mode("POWHEG:emitted"), {0}),
                       "POWHEG:pTdef": (self.pt_def, {0, 1}), "POWHEG:MPIveto": (mode("POWHEG:MPIveto"), {0}),
                       "POWHEG:QEDveto": (self.qed_veto, {0, 2}),
                       "PartonShowers:model": (mode("PartonShowers:model"), {1})}
        for name, (value, allowed) in unsupported.items():
            if value not in allowed:
                raise ConfigError(f"POWHEG vetoed shower: {name} = {value} is not supported by the Python port of "
                                  f"PowhegHooks (supported: {sorted(allowed)})")

    # --- hard scale, once per event (before the first MPI step) -----------------------------------------

    def canVetoMPIStep(self) -> bool:
        return True

    def numberVetoMPIStep(self) -> int:
        return 1

    def doVetoMPIStep(self, n_mpi: int, event: Any) -> bool:
        if n_mpi > 1:
            return False
        self.n_events += 1
        is_emt = False
        for i in range(event.size() - 1, 0, -1):
            particle = event[i]
            if not particle.isFinal():
                break
            if particle.isParton() and event[particle.mother1()].isParton():
                is_emt = True
                break
        self._is_emt = is_emt
        self._pt_hard = float(self._pythia.infoPython().scalup())
        self._n_accept_seq = 0
        return False

    # --- shower vetoes ----------------------------------------------------------------------------------

    def canVetoISREmission(self) -> bool:
        return True

    def doVetoISREmission(self, size_old: int, event: Any, i_sys: int) -> bool:
        if i_sys != 0 or self._n_accept_seq >= self.veto_count:
            return False
        i_emt = -1
        for i in range(event.size() - 1, 0, -1):
            if event[i].status() == 43:
                i_emt = i
                break
        if i_emt < 0:
            raise RuntimeError("POWHEG hook: could not find the ISR emission")
        return self._decide(event, i_emt, event[i_emt].pT(), "isr")

    def canVetoFSREmission(self) -> bool:
        return True

    def doVetoFSREmission(self, size_old: int, event: Any, i_sys: int, in_resonance: bool = False) -> bool:
        if i_sys != 0 or self._n_accept_seq >= self.veto_count:
            return False
        i_rec, i_emt, i_rad = event.size() - 1, event.size() - 2, event.size() - 3
        if (event[i_rec].status() not in (52, -53) or event[i_emt].status() != 51
                or event[i_rad].status() != 51):
            raise RuntimeError("POWHEG hook: could not find the FSR emission")
        i_rad_before = event[i_emt].mother1()
        pt = self._pt_fsr(event, i_rad_before, i_emt) if self.pt_def == 1 else event[i_emt].pT()
        return self._decide(event, i_emt, pt, "fsr")

    def _decide(self, event: Any, i_emt: int, pt: float, kind: str) -> bool:
        veto_parton = not (not self._is_emt and event[i_emt].colType() == 0 and self.qed_veto == 2)
        if pt > self._pt_hard:
            if not veto_parton:
                self._n_accept_seq = self.veto_count - 1
            else:
                self._n_accept_seq = 0
                if kind == "isr":
                    self.n_isr_veto += 1
                else:
                    self.n_fsr_veto += 1
                return True
        self._n_accept_seq += 1
        return False

    def _pt_fsr(self, event: Any, i: int, j: int) -> float:
        """POWHEG d_ij of radiator-before ``i`` and emitted ``j`` in the frame of the incoming partons of system 0."""
        systems = self._pythia.partonSystems
        a, b = event[systems.getInA(0)], event[systems.getInB(0)]
        beta = -(a.pz() + b.pz()) / (a.e() + b.e())
        gamma = 1.0 / math.sqrt(max(1.0 - beta * beta, 1e-300))

        def boosted(p: Any) -> tuple[float, float, float, float]:
            e, pz = p.e(), p.pz()
            return gamma * (e + beta * pz), p.px(), p.py(), gamma * (pz + beta * e)

        ei, xi, yi, zi = boosted(event[i])
        ej, xj, yj, zj = boosted(event[j])
        m2 = (ei + ej) ** 2 - (xi + xj) ** 2 - (yi + yj) ** 2 - (zi + zj) ** 2
        value = m2 * ei * ej / (ei + ej) ** 2
        return math.sqrt(value) if value > 0 else -1.0

    def counts(self) -> dict[str, int]:
        return {"events": self.n_events, "isr_vetoes": self.n_isr_veto, "fsr_vetoes": self.n_fsr_veto}
