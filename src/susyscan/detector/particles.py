"""Per-particle detector response: acceptance, tracking efficiency and smearing (flat numpy arrays)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import awkward as ak
import numpy as np

from susyscan.detector.card import DetectorCard
from susyscan.detector.kinematics import lognormal_factor, pt_eta_phi
from susyscan.errors import EventFileError

PID_ELECTRON, PID_MUON, PID_PHOTON, PID_CHARGED_HADRON, PID_NEUTRAL_HADRON = 11, 13, 22, 211, 130
REQUIRED_PARTICLE_FIELDS = ("pid", "px", "py", "pz", "e", "charge")


@dataclass
class FlatParticles:
    """Flattened final-state particles of a chunk with truth and smeared (particle-flow) kinematics."""

    n_events: int
    event: np.ndarray      # event index of each particle
    pid: np.ndarray
    charge: np.ndarray     # true charge (float)
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    visible: np.ndarray    # seen by the detector at all
    pf_class: np.ndarray   # 11, 13, 22, 211, 130, or 0 (unseen)
    scale: np.ndarray      # smearing factor applied to the four-momentum
    tracked: np.ndarray    # reconstructed as a track (passed tracking efficiency inside the tracker)

    @cached_property
    def pt_smeared(self) -> np.ndarray:
        """Smeared transverse momentum (computed once; the arrays are not modified after :func:`respond`)."""
        return self.pt * self.scale

    @cached_property
    def pf_charge(self) -> np.ndarray:
        """Charge as reconstructed (0 for calorimeter-only deposits)."""
        return np.where(self.tracked, np.rint(self.charge), 0).astype(np.int32)


def flatten_particles(particles: ak.Array, where: str = "particle-level events") -> tuple[ak.Array, np.ndarray]:
    """Check the particle fields and return ``(particles, counts)``."""
    missing = [f for f in REQUIRED_PARTICLE_FIELDS if f not in ak.fields(particles)]
    if missing:
        raise EventFileError(f"{where}: particles lack field(s) {missing} (need {list(REQUIRED_PARTICLE_FIELDS)})")
    return particles, ak.to_numpy(ak.num(particles, axis=1))


def respond(particles: ak.Array, card: DetectorCard, rng: np.random.Generator, where: str = "particle-level events") -> FlatParticles:
    """Apply acceptance, tracking efficiency and momentum/energy smearing to every final-state particle.

    Tracks (|eta| < tracker_eta_max, passing the card tracking efficiency) are smeared with the
    card momentum resolution; other electrons/photons go to the ECal resolution, other hadrons to
    the HCal resolution (as calorimeter-only deposits, charge 0). Muons without a track are unseen.
    """
    particles, counts = flatten_particles(particles, where)
    n_events = len(counts)
    flat = {f: ak.to_numpy(ak.flatten(particles[f], axis=1)) for f in REQUIRED_PARTICLE_FIELDS}
    pid = flat["pid"].astype(np.int64)
    apid = np.abs(pid)
    # no copy where the input is float64 already: FlatParticles' arrays are never modified in place
    px, py, pz, e = (np.asarray(flat[k], dtype=np.float64) for k in ("px", "py", "pz", "e"))
    charge = flat["charge"].astype(np.float64)
    pt, eta, phi = pt_eta_phi(px, py, pz)
    aeta = np.abs(eta)
    n = len(pid)
    u_track = rng.random(n)
    normal = rng.standard_normal(n)

    invisible = np.isin(apid, np.asarray(card.invisible_pids))
    visible = ~invisible & (aeta < card.calo_eta_max) & (pt > 0)
    in_tracker = aeta < card.tracker_eta_max
    is_e, is_mu = apid == 11, apid == 13
    is_chad = (charge != 0) & ~is_e & ~is_mu
    track_eff = np.zeros(n)
    for name, mask in (("electron", is_e), ("muon", is_mu), ("charged_hadron", is_chad)):
        if mask.any():
            track_eff[mask] = card.tracking_efficiency[name](pt[mask], eta[mask])
    tracked = visible & in_tracker & (charge != 0) & (u_track < track_eff)
    visible &= ~(is_mu & ~tracked)  # muons leave no calorimeter deposit

    pf_class = np.zeros(n, dtype=np.int32)
    pf_class[tracked & is_e] = PID_ELECTRON
    pf_class[tracked & is_mu] = PID_MUON
    pf_class[tracked & is_chad] = PID_CHARGED_HADRON
    em = visible & ~tracked & ((apid == 22) | is_e)
    pf_class[em] = PID_PHOTON
    had = visible & ~tracked & (pf_class == 0)
    pf_class[had] = PID_NEUTRAL_HADRON

    rel = np.zeros(n)
    for name, cls in (("electron", PID_ELECTRON), ("muon", PID_MUON), ("charged_hadron", PID_CHARGED_HADRON)):
        mask = pf_class == cls
        if mask.any():
            rel[mask] = card.momentum_resolution[name](pt[mask], eta[mask])
    for name, cls in (("ecal", PID_PHOTON), ("hcal", PID_NEUTRAL_HADRON)):
        mask = pf_class == cls
        if mask.any():
            rel[mask] = card.calorimeter_resolution[name](pt[mask], eta[mask], e[mask]) / np.maximum(e[mask], 1e-9)
    scale = lognormal_factor(rel, normal)
    scale[~visible] = 1.0
    return FlatParticles(
        n_events=n_events, event=np.repeat(np.arange(n_events), counts), pid=pid, charge=charge,
        px=px, py=py, pz=pz, e=e, pt=pt, eta=eta, phi=phi, visible=visible, pf_class=pf_class,
        scale=scale, tracked=tracked,
    )
