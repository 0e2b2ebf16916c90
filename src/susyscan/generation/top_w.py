"""tW production (g b -> W- t and its conjugate) at leading order, as a Pythia 8 process written in Python.

Pythia 8 (8.317 here: ``xmldoc/TopProcesses.xml``) has t- and s-channel single top but no tW process, and its
``WeakBosonAndParton:qg2Wq`` never produces a top (massless outgoing quark, up-type partners u and c only).
:class:`TopWSigma` adds it through Pythia's documented hook for external processes (a ``Sigma2Process`` subclass
passed to ``Pythia.setSigmaPtr``; the python bindings accept a Python subclass). Pythia then does everything else
as for its own processes: PDFs, scales and couplings (``alpS``, ``alpEM`` at the process scale), phase space with
Breit-Wigner W and top masses, the top and W decays, shower and hadronisation.

Matrix element. The two LO diagrams of b(p_b) g(p_g) -> W-(k) t(p_t): the s-channel b propagator and the top
exchange,

    Gamma = e_W P_L (p_b + p_g) e_g / s  +  e_g (p_t - p_g + m_t) e_W P_L / ((p_t - p_g)^2 - m_t^2)

(slashed vectors, massless b, couplings g / sqrt(2) |V_tb| and g_s T^a factored out), summed over spins as
``Tr[(p_t + m_t) Gamma p_b Gamma-bar]`` for each W polarisation (two transverse, one longitudinal: a complete set
for an on-shell massive vector) and each of the two physical gluon polarisations, evaluated numerically with
explicit Dirac matrices (:func:`me2_summed`): no hand-derived closed form to get wrong. Averaged over initial
spins (1/4) and colours (sum of |T^a_ij|^2 = 4 over 8 x 3 colour states: 1/6); ``dsigma/dt = |M|^2 / (16 pi s^2)``
(the Pythia convention of ``sigmaHat``). Checks (``tests/generation/test_top_w.py``): the amplitude vanishes for
a gluon polarisation equal to its momentum (gauge invariance, which fixes the relative sign of the two diagrams),
and with a massless outgoing quark and Pythia's CKM sums the cross section equals that of Pythia's own
``WeakBosonAndParton:qg2Wq`` (same couplings, colour and spin factors, and conventions) within the MC error.

Decays. The top decay t -> W b -> f f' b keeps its W helicity (LO: F0 = m_t^2 / (m_t^2 + 2 m_W^2) ~ 0.70
longitudinal, FL ~ 0.30 left-handed, FR = 0 for a massless b): :meth:`TopWSigma.weightDecay` hands the top's
decay products to Pythia's ``SigmaProcess.weightTopDecay`` (the spin-averaged |M|^2 (p_t.p_fbar)(p_f.p_b) over
its maximum, accepted or redone by ``PhaseSpace::decayKinematics``), under the same condition as Pythia's own top
processes (``Sigma2gg2QQbar::weightDecay``: the mother of the first decay product is a top); without it Pythia's
base class returns 1 and the W decays isotropically in its rest frame (F0 = FL = FR = 1/3). Test
(``tests/generation/test_top_w.py``): the charged lepton's angle in the W rest frame against the W direction in
the top rest frame, moments fit, against the LO formula and Pythia's own ttbar. Not modelled: the NLO overlap
with ttbar (irrelevant at LO) and the spin correlations between production and decay (the top polarisation from
the production, and the angles of the prompt W's decay, which Pythia decays isotropically): the W helicity
fractions in the top decay do not depend on the top polarisation once its direction is integrated over.

Masses. Pythia's default top mass ``6:m0`` (173.0 GeV in 8.317) is used, as for ``ttbar_incl``; the reference
cross section (71.7 pb) is for 172.5 GeV. The normalisation comes from the reference, so the 0.5 GeV difference
(an effect of about 1 %, as for ttbar's 831.76 pb, also for 172.5 GeV) is not propagated; the mass is not changed
globally (it would change every top sample).

Why a process of our own. The maintained routes are not available here: Pythia 8.317 has no tW process (above);
the project's LHE ingest would take a tW file from MadGraph5_aMC@NLO or POWHEG-BOX (``ST_tW``), neither of which is
installable from the registries this project reaches (PyPI, Debian); Sherpa is on PyPI as ``sherpa-mc``
(3.0.3b2, a source distribution only: installing it compiles the whole generator, a long C++ build on the
project's 2-core machines and CI) and could produce LO tW, but as a second generator with its own shower and tune
(an LHE/HepMC file for the ingest path, or its own event loop) for one background: judged not realistic here.

Performance: one numpy evaluation (~0.1 ms) per phase-space point; the normalisation comes from the reference
cross section (``resources/backgrounds/xsec.csv``), the LO here only sets the kinematics.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pythia8mc

logger = logging.getLogger(__name__)

#: Pythia process code of the external tW process (outside Pythia's own code ranges).
TW_CODE = 9601
GLUON, BOTTOM, TOP, W_BOSON = 21, 5, 6, 24
_LIGHT_PARTNER = {1: 2, 2: 1, 3: 4, 4: 3, 5: 4}
#: spin average (2 x 2) and colour average (Tr T^a T^a = 4 over 8 x 3 states) of g b -> W t
SPIN_COLOUR_AVERAGE = (1.0 / 4.0) * (4.0 / 24.0)


@lru_cache(maxsize=1)
def _dirac() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gamma^mu stacked (4, 4, 4), gamma^0, the left projector (1 - gamma5) / 2), Dirac representation."""
    pauli = [np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]], dtype=complex),
             np.array([[1, 0], [0, -1]], dtype=complex)]
    one, zero = np.eye(2, dtype=complex), np.zeros((2, 2), dtype=complex)
    g0 = np.block([[one, zero], [zero, -one]])
    gammas = [g0] + [np.block([[zero, s], [-s, zero]]) for s in pauli]
    g5 = 1j * gammas[0] @ gammas[1] @ gammas[2] @ gammas[3]
    return np.stack(gammas), g0, 0.5 * (np.eye(4, dtype=complex) - g5)


_METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def _slash(p: np.ndarray) -> np.ndarray:
    """gamma^mu p_mu for a contravariant four-vector ``p`` (metric +, -, -, -)."""
    gammas = _dirac()[0]
    return p[0] * gammas[0] - p[1] * gammas[1] - p[2] * gammas[2] - p[3] * gammas[3]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3])


def kinematics(s: float, t_gw: float, m_w: float, m_t: float) -> dict[str, np.ndarray]:
    """Four-momenta (centre-of-mass frame, gluon along +z) of g b -> W t with ``t_gw = (p_g - p_W)^2``; ValueError
    outside the physical region."""
    root_s = math.sqrt(s)
    e_w = (s + m_w**2 - m_t**2) / (2.0 * root_s)
    p = math.sqrt(max(e_w**2 - m_w**2, 0.0))
    # t_gw = m_w^2 - 2 p_g.p_W = m_w^2 - root_s (e_w - p cos)
    cos = (t_gw - m_w**2 + root_s * e_w) / (root_s * p) if p > 0 else 1.0
    if not -1.0 - 1e-9 <= cos <= 1.0 + 1e-9:
        raise ValueError(f"g b -> W t: t = {t_gw} outside the physical region at s = {s} (cos theta {cos})")
    cos = min(1.0, max(-1.0, cos))
    sin = math.sqrt(1.0 - cos**2)
    half = 0.5 * root_s
    p_g = np.array([half, 0.0, 0.0, half])
    p_b = np.array([half, 0.0, 0.0, -half])
    k = np.array([e_w, p * sin, 0.0, p * cos])
    return {"g": p_g, "b": p_b, "w": k, "t": p_g + p_b - k}


def w_polarisations(k: np.ndarray, m_w: float) -> list[np.ndarray]:
    """Two transverse and the longitudinal polarisation vector (real, orthonormal, k.e = 0) of a W of momentum k
    (in the x-z plane, as :func:`kinematics` builds it)."""
    p = math.sqrt(k[1] ** 2 + k[2] ** 2 + k[3] ** 2)
    n = k[1:] / p if p > 0 else np.array([0.0, 0.0, 1.0])
    e1 = np.array([0.0, n[2], 0.0, -n[0]])  # in the x-z plane, orthogonal to n
    e2 = np.array([0.0, 0.0, 1.0, 0.0])
    e_long = np.array([p, *(k[0] * n)]) / m_w
    return [e1, e2, e_long]


def amplitude_matrix(mom: dict[str, np.ndarray], m_t: float, e_w: np.ndarray, e_g: np.ndarray) -> np.ndarray:
    """Gamma of the module docstring (4 x 4) for real polarisation vectors ``e_w`` (W) and ``e_g`` (gluon)."""
    left = _dirac()[2]
    slash_w, slash_g = _slash(e_w), _slash(e_g)
    s = _dot(mom["g"] + mom["b"], mom["g"] + mom["b"])
    q = mom["t"] - mom["g"]
    s_channel = slash_w @ left @ _slash(mom["b"] + mom["g"]) @ slash_g / s
    top_exchange = slash_g @ (_slash(q) + m_t * np.eye(4)) @ slash_w @ left / (_dot(q, q) - m_t**2)
    return np.asarray(s_channel + top_exchange)


def spin_summed(mom: dict[str, np.ndarray], m_t: float, gamma: np.ndarray) -> float:
    """Tr[(p_t + m_t) Gamma p_b Gamma-bar]: |u-bar_t Gamma u_b|^2 summed over both quark spins."""
    g0 = _dirac()[1]
    bar = g0 @ gamma.conj().T @ g0
    return float(np.real(np.trace((_slash(mom["t"]) + m_t * np.eye(4)) @ gamma @ _slash(mom["b"]) @ bar)))


def me2_summed(s: float, t_gw: float, m_w: float, m_t: float) -> float:
    """Sum over all spins and polarisations of |M|^2 of g b -> W t without couplings and colour (see the module
    docstring); multiply by ``(g^2 / 2) |V_tb|^2 g_s^2`` and :data:`SPIN_COLOUR_AVERAGE`. The six polarisation
    pairs of :func:`amplitude_matrix` / :func:`spin_summed` at once (batched matrix products)."""
    gammas, g0, left = _dirac()
    mom = kinematics(s, t_gw, m_w, m_t)
    pols_w = np.stack(w_polarisations(mom["w"], m_w))
    slash_w = np.einsum("pm,mij->pij", pols_w * _METRIC, gammas)[:, None]      # (3, 1, 4, 4)
    slash_g = np.stack([-gammas[1], -gammas[2]])[None]                            # (1, 2, 4, 4): e_g = x, y
    q = mom["t"] - mom["g"]
    s_prop = _slash(mom["b"] + mom["g"]) / s
    t_prop = (_slash(q) + m_t * np.eye(4)) / (_dot(q, q) - m_t**2)
    gamma = slash_w @ left @ s_prop @ slash_g + slash_g @ t_prop @ slash_w @ left  # (3, 2, 4, 4)
    bar = g0 @ np.conj(np.swapaxes(gamma, -1, -2)) @ g0
    outer = (_slash(mom["t"]) + m_t * np.eye(4)) @ gamma @ _slash(mom["b"]) @ bar
    return float(np.real(np.trace(outer, axis1=-2, axis2=-1)).sum())


def dsigma_dt(s: float, t_gw: float, m_w: float, m_t: float, alpha_s: float, alpha_em: float, sin2w: float,
              v2: float) -> float:
    """dsigma/dt (GeV^-4) of b g -> W- t, averaged over initial spins and colours; ``v2`` = |V_tb|^2."""
    g2 = 4.0 * math.pi * alpha_em / sin2w
    gs2 = 4.0 * math.pi * alpha_s
    me2 = 0.5 * g2 * v2 * gs2 * SPIN_COLOUR_AVERAGE * me2_summed(s, t_gw, m_w, m_t)
    return me2 / (16.0 * math.pi * s * s)


class TopWSigma(pythia8mc.Sigma2Process):  # type: ignore[misc]  # pybind11 class without stubs
    """g b -> W- t and g bbar -> W+ tbar for Pythia (``Pythia.setSigmaPtr``), see the module docstring.

    :meth:`configure` (called by ``pythia_run.make_pythia`` after the settings are read, before ``init``) takes
    sin^2(theta_W) and |V_tb|^2 from Pythia's ``StandardModel:sin2thetaW`` and ``StandardModel:Vtb``.
    ``sigmaHat`` includes no open decay fraction: every W and top decay must stay open (the registered process
    forces none; generator filters act through hooks, not decay tables). ``massless_partner_v2`` (tests only): the
    same matrix element with a massless outgoing quark for every incoming quark flavour, weighted by that
    flavour's CKM sum (``{|id|: sum |V|^2}``), i.e. Pythia's ``qg2Wq``.
    """

    def __init__(self, massless_partner_v2: dict[int, float] | None = None) -> None:
        pythia8mc.Sigma2Process.__init__(self)
        self._sin2w: float | None = None
        self._v2 = 1.0
        self._partner = dict(massless_partner_v2) if massless_partner_v2 is not None else None
        self._cache: dict[bool, float] = {}

    def configure(self, parm: Callable[[str], float]) -> None:
        """Couplings from Pythia's settings reader ``parm`` (``Pythia.settings.parm``)."""
        self._sin2w = float(parm("StandardModel:sin2thetaW"))
        self._v2 = float(parm("StandardModel:Vtb")) ** 2 if self._partner is None else 1.0

    def name(self) -> str:
        return "g b -> W t (susyscan)" if self._partner is None else "q g -> W q' (susyscan massless check)"

    def code(self) -> int:
        return TW_CODE

    def inFlux(self) -> str:  # noqa: N802 (Pythia's name)
        return "qg"

    def id3Mass(self) -> int:  # noqa: N802 (Pythia's name)
        return W_BOSON

    def id4Mass(self) -> int:  # noqa: N802 (Pythia's name)
        return TOP if self._partner is None else 0

    def initProc(self) -> None:  # noqa: N802 (Pythia's name)
        self._cache = {}

    def sigmaKin(self) -> None:  # noqa: N802 (Pythia's name)
        self._cache = {}

    def _dsigma(self, gluon_first: bool) -> float:
        if gluon_first not in self._cache:
            t_gw = self.tH if gluon_first else self.uH  # tH = (p1 - p3)^2, p3 the W
            m_t = self.m4 if self._partner is None else 0.0
            if self._sin2w is None:
                raise RuntimeError(f"{self.name()}: configure() was not called before Pythia.init()")
            self._cache[gluon_first] = dsigma_dt(self.sH, t_gw, self.m3, m_t, self.alpS, self.alpEM, self._sin2w,
                                                 self._v2)
        return self._cache[gluon_first]

    def sigmaHat(self) -> float:  # noqa: N802 (Pythia's name)
        gluon_first = self.id1 == GLUON
        quark = abs(self.id2 if gluon_first else self.id1)
        if self._partner is None:
            return self._dsigma(gluon_first) if quark == BOTTOM else 0.0
        return self._dsigma(gluon_first) * self._partner.get(quark, 0.0)

    def weightDecay(self, process: pythia8mc.Event, iResBeg: int, iResEnd: int) -> float:  # noqa: N802, N803
        """Decay-angle weight (0-1) of the decay products ``iResBeg``-``iResEnd`` (Pythia's names): the W helicity
        of t -> W b -> f f' b through Pythia's ``weightTopDecay`` when their mother is a top (as in Pythia's own
        top processes), 1 (isotropic) for every other decay, the prompt W's included."""
        if process[process[iResBeg].mother1()].idAbs() == TOP:
            return float(self.weightTopDecay(process, iResBeg, iResEnd))
        return 1.0

    def setIdColAcol(self) -> None:  # noqa: N802 (Pythia's name)
        gluon_first = self.id1 == GLUON
        quark = self.id2 if gluon_first else self.id1
        down_type = abs(quark) % 2 == 1
        sign = 1 if quark > 0 else -1
        w_id = (-W_BOSON if down_type else W_BOSON) * sign
        if self._partner is None:
            out = TOP * sign
        else:  # a light partner of the other isospin (the check only compares cross sections)
            out = _LIGHT_PARTNER[abs(quark)] * sign
        self.setId(self.id1, self.id2, w_id, out)
        # the gluon's colour ends on the outgoing quark, the incoming quark's on the gluon's anticolour
        if gluon_first:
            self.setColAcol(1, 2, 2, 0, 0, 0, 1, 0)
        else:
            self.setColAcol(2, 0, 1, 2, 0, 0, 1, 0)
        if quark < 0:
            self.swapColAcol()


#: External processes by name (``ProcessSpec.user_sigma``): their classes, constructed without arguments.
USER_SIGMAS: dict[str, type[TopWSigma]] = {"gb2tW": TopWSigma}
