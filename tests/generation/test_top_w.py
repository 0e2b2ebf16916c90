"""The external tW process (susyscan.generation.top_w): gauge invariance of its matrix element, its normalisation
conventions against Pythia's own q g -> W q' (massless limit), and a generated chunk of the stau background
``single_top_tw`` normalised to its reference cross section."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pythia8mc
import pytest
import yaml

from susyscan.eventio import read_events
from susyscan.generation import top_w
from susyscan.generation.chunk import generate_chunk
from susyscan.generation.filters import filter_from_config
from susyscan.generation.pythia_run import lo_cross_section
from susyscan.generation.xsec import load_background_table

REPO = Path(__file__).resolve().parents[2]

S, M_W, M_T = 600.0**2, 80.4, 172.5
HARD_ONLY = ["Beams:eCM = 13000", "Print:quiet = on", "Next:numberCount = 0", "PartonLevel:all = off",
             "HadronLevel:all = off", "ProcessLevel:resonanceDecays = off", "PhaseSpace:pTHatMin = 50",
             "Random:setSeed = on", "Random:seed = 7"]


@pytest.mark.parametrize("t_gw", [-2.0e4, -6.0e4, -1.2e5])
def test_amplitude_is_gauge_invariant(t_gw: float) -> None:
    """A gluon polarisation equal to its momentum gives zero: the two diagrams cancel (this fixes their relative
    sign); a physical polarisation does not."""
    mom = top_w.kinematics(S, t_gw, M_W, M_T)
    for e_w in top_w.w_polarisations(mom["w"], M_W):
        physical = top_w.spin_summed(mom, M_T, top_w.amplitude_matrix(mom, M_T, e_w, np.array([0.0, 1.0, 0, 0])))
        gauge = top_w.spin_summed(mom, M_T, top_w.amplitude_matrix(mom, M_T, e_w, mom["g"]))
        assert physical > 1e-3 and abs(gauge) < 1e-9 * physical * S
    single = [top_w.spin_summed(mom, M_T, top_w.amplitude_matrix(mom, M_T, e_w, e_g))
              for e_w in top_w.w_polarisations(mom["w"], M_W)
              for e_g in (np.array([0.0, 1.0, 0, 0]), np.array([0.0, 0, 1.0, 0]))]
    assert top_w.me2_summed(S, t_gw, M_W, M_T) == pytest.approx(sum(single), rel=1e-12)   # batched == one by one


def test_kinematics_and_polarisations() -> None:
    mom = top_w.kinematics(S, -6.0e4, M_W, M_T)
    dot = top_w._dot
    assert dot(mom["w"], mom["w"]) == pytest.approx(M_W**2) and dot(mom["t"], mom["t"]) == pytest.approx(M_T**2)
    assert dot(mom["g"] - mom["w"], mom["g"] - mom["w"]) == pytest.approx(-6.0e4)
    pols = top_w.w_polarisations(mom["w"], M_W)
    gram = np.array([[dot(a, b) for b in pols] for a in pols])
    np.testing.assert_allclose(gram, -np.eye(3), atol=1e-12)
    assert all(abs(dot(e, mom["w"])) < 1e-9 for e in pols)
    with pytest.raises(ValueError, match="outside the physical region"):
        top_w.kinematics(S, +1.0e3, M_W, M_T)


def _ckm_sums(parm) -> dict[int, float]:  # noqa: ANN001 - Pythia's settings reader
    """Pythia's CKM sums over the light partners of each incoming quark (qg2Wq has no top: down-type -> u, c)."""
    v = {(u, d): parm(f"StandardModel:V{u}{d}") ** 2 for u in "uc" for d in "dsb"}
    return {1: v["u", "d"] + v["c", "d"], 3: v["u", "s"] + v["c", "s"], 5: v["u", "b"] + v["c", "b"],
            2: v["u", "d"] + v["u", "s"] + v["u", "b"], 4: v["c", "d"] + v["c", "s"] + v["c", "b"]}


def _sigma_gen(settings: list[str], sigma: pythia8mc.Sigma2Process | None, n_events: int) -> tuple[float, float]:
    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        assert pythia.readString(line), line
    if sigma is not None:
        pythia.setSigmaPtr(sigma)
    assert pythia.init()
    for _ in range(n_events):
        pythia.next()
    return lo_cross_section(pythia)


def test_massless_limit_matches_pythia_qg2wq() -> None:
    """Same couplings, colour and spin averages and dsigma/dt convention as Pythia's own qg -> W q' (pT-hat > 50
    GeV, hard process only): with a massless partner and Pythia's CKM sums the cross sections agree within the
    MC errors (~1 % each)."""
    pythia = pythia8mc.Pythia("", False)
    sums = _ckm_sums(pythia.settings.parm)
    sigma = top_w.TopWSigma(massless_partner_v2=sums)
    sigma.configure(pythia.settings.parm)
    ours, ours_err = _sigma_gen(HARD_ONLY, sigma, 6000)
    theirs, theirs_err = _sigma_gen([*HARD_ONLY, "WeakBosonAndParton:qg2Wq = on"], None, 6000)
    pull = (ours - theirs) / math.hypot(ours_err, theirs_err)
    assert abs(pull) < 4.0, (ours, ours_err, theirs, theirs_err)


def test_tw_chunk_generates_and_is_normalised_to_the_reference(tmp_path: Path) -> None:
    """A generated single_top_tw chunk (stau lep_tau_15 filter, as in config/samples_stau.tsv): a top and a W of
    opposite sign in every event, and the normalisation the reference 71.7 pb times the chunk's filter efficiency
    (its binomial MC error recorded); the LO below the approx. NNLO reference by a K-factor of an NLO-like size
    (a factor-2 mistake in the matrix element would leave that range)."""
    config = yaml.safe_load((REPO / "config" / "stau.yaml").read_text())
    lep_tau_15 = filter_from_config("lep_tau_15", config["generation"]["filters"]["lep_tau_15"])
    reference = load_background_table()["single_top_tw"]
    spec = {"name": "stau_tw", "process": "single_top_tw"}
    meta = generate_chunk(spec, 0, 120, 18, tmp_path / "tw.root", None, filter_spec=lep_tau_15)
    events, read_meta = read_events(tmp_path / "tw.root")
    assert len(events) == 120 and read_meta == meta
    eff, eff_err = meta["filter_efficiency"], meta["filter_efficiency_err"]
    assert 0.2 < eff < 0.9 and 0 < eff_err < 0.1
    assert meta["xsec_unfiltered_pb"] == pytest.approx(reference.xsec_pb, rel=1e-12)
    assert meta["xsec_pb"] == pytest.approx(reference.xsec_pb * eff, rel=1e-12)
    assert f"{reference.xsec_pb:g}" in meta["xsec_source"] and "lep_tau_15" in meta["xsec_source"]
    lo_unfiltered = meta["xsec_lo_pb"] / eff  # Pythia's sigmaGen counts the accepted (filtered) events
    assert 1.05 < reference.xsec_pb / lo_unfiltered < 1.8, lo_unfiltered
    for pid, status in zip(events.truth_pid, events.truth_status):
        # resonances (status 22): one top, the hard W and the top's W of the other sign (ttbar: two tops;
        # t- or s-channel single top: one W)
        res = np.asarray(pid)[np.abs(np.asarray(status)) == 22]
        assert (np.abs(res) == 6).sum() == 1 and sorted(res[np.abs(res) == 24].tolist()) == [-24, 24], res


#: hard process and resonance decays only, leptonic W decays (the angles are all that is compared)
DECAYS_ONLY = ["Beams:eCM = 13000", "Print:quiet = on", "Next:numberCount = 0", "PartonLevel:all = off",
               "HadronLevel:all = off", "24:onMode = off", "24:onIfAny = 11 13", "Random:setSeed = on",
               "Random:seed = 3"]


def _lepton_cos_theta(settings: list[str], sigma: pythia8mc.Sigma2Process | None, n_events: int) -> np.ndarray:
    """cos theta* of the charged lepton of every t -> W b -> l nu b: its direction in the W rest frame against the
    W direction in the top rest frame (the W helicity angle)."""
    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        assert pythia.readString(line), line
    if sigma is not None:
        sigma.configure(pythia.settings.parm)
        pythia.setSigmaPtr(sigma)
    assert pythia.init()
    cos = []
    for _ in range(n_events):
        assert pythia.next()
        event = pythia.process
        for i in range(event.size()):
            top = event[i]
            if top.idAbs() != top_w.TOP or top.daughter1() <= 0:
                continue
            w_index = [j for j in (top.daughter1(), top.daughter2()) if event[j].idAbs() == top_w.W_BOSON]
            if not w_index:
                continue
            w = event[w_index[0]]
            lepton = next(event[j] for j in range(w.daughter1(), w.daughter2() + 1) if event[j].idAbs() in (11, 13))
            p_w, p_l = pythia8mc.Vec4(w.p()), pythia8mc.Vec4(lepton.p())
            p_w.bstback(top.p())
            p_l.bstback(top.p())
            p_l.bstback(p_w)
            cos.append((p_w.px() * p_l.px() + p_w.py() * p_l.py() + p_w.pz() * p_l.pz()) / (p_w.pAbs() * p_l.pAbs()))
    return np.asarray(cos)


def _helicity_fractions(cos: np.ndarray) -> tuple[float, float, float, float]:
    """(F0, FL, FR, error of F0) from the moments of dN/dcos = 3/8 FL (1 - c)^2 + 3/4 F0 (1 - c^2) + 3/8 FR (1 + c)^2:
    <c^2> = (2 - F0) / 5 and <c> = (FR - FL) / 2."""
    f0 = 2.0 - 5.0 * float(np.mean(cos**2))
    asym = -2.0 * float(np.mean(cos))  # FL - FR
    return f0, 0.5 * (1.0 - f0 + asym), 0.5 * (1.0 - f0 - asym), 5.0 * float(np.std(cos**2)) / math.sqrt(len(cos))


class _IsotropicTopWSigma(top_w.TopWSigma):
    """The process without its decay weight (Pythia's base class: every decay isotropic)."""

    def weightDecay(self, process: pythia8mc.Event, iResBeg: int, iResEnd: int) -> float:  # noqa: N802, N803
        return 1.0


def test_top_decay_keeps_the_w_helicity() -> None:
    """t -> W b -> l nu b in tW: F0 and FL as at LO, m_t^2 / (m_t^2 + 2 m_W^2) and 2 m_W^2 / (m_t^2 + 2 m_W^2)
    with Pythia's masses, FR = 0, within the MC error, as in Pythia's own g g -> t tbar; the same process without
    ``weightDecay`` decays the W isotropically (all three fractions 1/3)."""
    data = pythia8mc.Pythia("", False).particleData
    m_t2, m_w2 = data.m0(top_w.TOP) ** 2, data.m0(top_w.W_BOSON) ** 2
    f0_lo = m_t2 / (m_t2 + 2.0 * m_w2)
    fractions = {"tW": _helicity_fractions(_lepton_cos_theta(DECAYS_ONLY, top_w.TopWSigma(), 1200)),
                 "ttbar": _helicity_fractions(_lepton_cos_theta([*DECAYS_ONLY, "Top:gg2ttbar = on"], None, 600)),
                 "isotropic": _helicity_fractions(_lepton_cos_theta(DECAYS_ONLY, _IsotropicTopWSigma(), 1200))}
    for name in ("tW", "ttbar"):
        f0, fl, fr, err = fractions[name]
        assert abs(f0 - f0_lo) < 4 * err and abs(fl - (1.0 - f0_lo)) < 4 * err and abs(fr) < 4 * err, (name, fractions)
    f0, fl, fr, err = fractions["isotropic"]
    assert max(abs(f0 - 1 / 3), abs(fl - 1 / 3), abs(fr - 1 / 3)) < 4 * err, fractions
    assert fractions["tW"][0] - f0 > 6 * err
