"""Convert Pythia's `nextBatch` awkward event records to the particle-level contract.

Contract (docs/architecture.md): `particles` (final state: pid, px, py, pz, e, charge),
`truth` (|status| in 21..29: hard process, resonances and their decay products, plus the last
copy of each decayed t/Z/W/h/SUSY resonance, whose momentum includes the shower recoil and matches
its decay products; pid, px, py, pz, e, mass, status) and `weight`. Everything is columnar; charges come from a per-pid lookup table.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

TRUTH_STATUS_MIN, TRUTH_STATUS_MAX = 21, 29


class ChargeTable:
    """Cached pid -> electric charge map built from Pythia's ParticleData."""

    def __init__(self, particle_data: object) -> None:
        self._pd = particle_data
        self._cache: dict[int, float] = {}

    def __call__(self, pid: np.ndarray) -> np.ndarray:
        """Charges (float32) of a flat pid array."""
        if pid.size == 0:
            return np.zeros(0, dtype=np.float32)
        unique, inverse = np.unique(pid, return_inverse=True)
        for value in unique.tolist():
            if value not in self._cache:
                self._cache[value] = float(self._pd.charge(int(value)))
        return np.array([self._cache[v] for v in unique.tolist()], dtype=np.float32)[inverse]


def to_particle_level(batch: ak.Array, charges: ChargeTable) -> ak.Array:
    """Particle-level events (contract record) from a `Pythia.nextBatch` array."""
    prt = ak.without_parameters(batch["prt"])
    status = prt["status"]
    mom = prt["p"]

    final = status > 0
    pid = ak.values_astype(prt["id"][final], np.int32)
    counts = ak.num(pid)
    flat_pid = ak.to_numpy(ak.flatten(pid))
    charge = ak.unflatten(charges(flat_pid), counts)
    particles = ak.zip(
        {
            "pid": pid,
            "px": mom["px"][final],
            "py": mom["py"][final],
            "pz": mom["pz"][final],
            "e": mom["e"][final],
            "charge": charge,
        }
    )

    abs_status = abs(status)
    hard = (abs_status >= TRUTH_STATUS_MIN) & (abs_status <= TRUTH_STATUS_MAX)
    # last copies of decayed heavy resonances (after shower recoil): their decay products are in `hard`
    abs_id = abs(prt["id"])
    heavy = (abs_id == 6) | (abs_id == 23) | (abs_id == 24) | (abs_id == 25) | (abs_id > 1_000_000)
    daughter_id = prt["id"][prt["daughter1"]]
    last_copy = heavy & (status < 0) & (prt["daughter1"] > 0) & (daughter_id != prt["id"]) & ~hard
    hard = hard | last_copy
    truth = ak.zip(
        {
            "pid": ak.values_astype(prt["id"][hard], np.int32),
            "px": mom["px"][hard],
            "py": mom["py"][hard],
            "pz": mom["pz"][hard],
            "e": mom["e"][hard],
            "mass": prt["m"][hard],
            "status": ak.values_astype(status[hard], np.int32),
        }
    )
    weights = batch["info"]["weights"]
    weight = ak.to_numpy(ak.fill_none(ak.firsts(weights), 1.0)).astype(np.float64)
    return ak.zip({"particles": particles, "truth": truth, "weight": weight}, depth_limit=1)
