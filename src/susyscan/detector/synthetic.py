"""Synthetic particle-level events (particle guns, random QCD-like chunks) for tests and benchmarks."""

from __future__ import annotations

from typing import Sequence

import awkward as ak
import numpy as np

from susyscan.detector.pdg import charge_of

_MASSES = {11: 0.000511, 13: 0.10566, 15: 1.777, 211: 0.13957, 321: 0.49368, 130: 0.49761, 2112: 0.93957,
           2212: 0.93827, 22: 0.0, 5: 4.18, 4: 1.27, 23: 91.19, 24: 80.38, 12: 0.0, 14: 0.0, 16: 0.0}


def four_vectors(pid: np.ndarray, pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> dict[str, np.ndarray]:
    """px, py, pz, e, mass from (pid, pt, eta, phi) with PDG masses (0 for unknown codes)."""
    m = np.array([_MASSES.get(abs(int(x)), 0.0) for x in np.unique(pid)])
    lookup = dict(zip(np.unique(pid).tolist(), m.tolist()))
    mass = np.array([lookup[int(x)] for x in pid]) if len(pid) else np.zeros(0)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return {"px": px, "py": py, "pz": pz, "e": np.sqrt(px**2 + py**2 + pz**2 + mass**2), "mass": mass}


def make_events(
    particles: Sequence[Sequence[tuple[int, float, float, float]]],
    truth: Sequence[Sequence[tuple[int, float, float, float, int]]] | None = None,
) -> ak.Array:
    """Particle-level events from per-event lists of ``(pid, pt, eta, phi)`` (truth: ``+ status``)."""
    def collection(rows: Sequence[Sequence[tuple]], with_status: bool) -> ak.Array:
        counts = np.array([len(r) for r in rows], dtype=np.int64)
        flat = [x for r in rows for x in r]
        arr = np.array(flat, dtype=np.float64).reshape(len(flat), 5 if with_status else 4)
        pid = arr[:, 0].astype(np.int32)
        vec = four_vectors(pid, arr[:, 1], arr[:, 2], arr[:, 3])
        fields = {"pid": pid, "px": vec["px"], "py": vec["py"], "pz": vec["pz"], "e": vec["e"]}
        if with_status:
            fields |= {"mass": vec["mass"], "status": arr[:, 4].astype(np.int32)}
        else:
            fields["charge"] = charge_of(pid)
        return ak.unflatten(ak.zip(fields), counts)

    truth = truth if truth is not None else [[] for _ in particles]
    return ak.zip({"particles": collection(particles, False), "truth": collection(truth, True),
                   "weight": np.ones(len(particles))}, depth_limit=1)


def random_events(n_events: int, n_particles: int, rng: np.random.Generator) -> ak.Array:
    """QCD-like chunks: ``n_particles`` per event (pions, photons, K0L, neutrons, a few leptons/neutrinos),
    pT exponential (mean 3 GeV) plus two hard sprays of collimated particles, and truth b quarks."""
    pids = np.array([211, -211, 22, 22, 130, 2112, 321, -321, 11, -13, 12])
    probs = np.array([0.25, 0.25, 0.2, 0.1, 0.05, 0.05, 0.04, 0.04, 0.005, 0.005, 0.01])
    n = n_events * n_particles
    pid = rng.choice(pids, size=n, p=probs / probs.sum())
    pt = rng.exponential(3.0, n) + 0.2
    eta = rng.uniform(-4.5, 4.5, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    # two hard sprays: the first 20 particles of each event follow one of two back-to-back axes
    axis_phi = rng.uniform(-np.pi, np.pi, n_events)
    axis_eta = rng.uniform(-2.0, 2.0, n_events)
    in_spray = (np.arange(n) % n_particles) < 20
    side = (np.arange(n) % 2) * np.pi
    ev = np.repeat(np.arange(n_events), n_particles)
    phi = np.where(in_spray, axis_phi[ev] + side + rng.normal(0, 0.08, n), phi)
    eta = np.where(in_spray, np.where(side > 0, -1, 1) * axis_eta[ev] + rng.normal(0, 0.08, n), eta)
    pt = np.where(in_spray, rng.exponential(8.0, n) + 1.0, pt)
    vec = four_vectors(pid, pt, eta, phi)
    particles = ak.unflatten(ak.zip({"pid": pid.astype(np.int32), "px": vec["px"], "py": vec["py"], "pz": vec["pz"],
                                     "e": vec["e"], "charge": charge_of(pid)}), np.full(n_events, n_particles))
    tpid = np.tile([5, -5], n_events)
    tev = np.repeat(np.arange(n_events), 2)
    tvec = four_vectors(tpid, np.full(2 * n_events, 80.0), np.stack([axis_eta, -axis_eta], 1).ravel(),
                        np.stack([axis_phi, axis_phi + np.pi], 1).ravel())
    truth = ak.unflatten(ak.zip({"pid": tpid.astype(np.int32), "px": tvec["px"], "py": tvec["py"], "pz": tvec["pz"],
                                 "e": tvec["e"], "mass": tvec["mass"], "status": np.full(2 * n_events, 23, np.int32)}),
                         np.bincount(tev, minlength=n_events))
    return ak.zip({"particles": particles, "truth": truth, "weight": np.ones(n_events)}, depth_limit=1)
