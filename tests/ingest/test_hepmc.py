"""HepMC3 reader: hand-made Z -> mu mu events written with pyhepmc, read back; broken files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import awkward as ak
import numpy as np
import pyhepmc
import pytest

from susyscan.errors import EventFileError
from susyscan.ingest.hepmc import read_hepmc

N_EVENTS = 20
XSEC_PB = 1950.0


def _z_to_mumu(rng: np.random.Generator, number: int) -> pyhepmc.GenEvent:
    """pp -> Z (status 22) -> mu+ mu- (status 23 copies, then final status 1), plus two pi+ (status 1)."""
    event = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
    event.event_number = number
    beams = [pyhepmc.GenParticle((0, 0, 6500, 6500), 2212, 4), pyhepmc.GenParticle((0, 0, -6500, 6500), 2212, 4)]
    pz_z = rng.normal(0, 50)
    z = pyhepmc.GenParticle((0, 0, pz_z, np.hypot(91.1876, pz_z)), 23, 22)
    z.generated_mass = 91.1876
    cos, phi = rng.uniform(-1, 1), rng.uniform(-np.pi, np.pi)
    p = 91.1876 / 2
    direction = np.array([np.sqrt(1 - cos**2) * np.cos(phi), np.sqrt(1 - cos**2) * np.sin(phi), cos])
    gamma_beta, gamma = pz_z / 91.1876, np.hypot(1, pz_z / 91.1876)
    muons = []
    for sign, pid in ((1, 13), (-1, -13)):
        px, py, pz = sign * p * direction
        muons.append(((px, py, gamma * pz + gamma_beta * p, gamma * p + gamma_beta * pz), pid))
    hard = pyhepmc.GenVertex()
    for b in beams:
        hard.add_particle_in(b)
    hard.add_particle_out(z)
    decay = pyhepmc.GenVertex()
    decay.add_particle_in(z)
    event.add_vertex(hard)
    event.add_vertex(decay)
    for momentum, pid in muons:
        copy = pyhepmc.GenParticle(momentum, pid, 23)
        decay.add_particle_out(copy)
        final_vertex = pyhepmc.GenVertex()
        final_vertex.add_particle_in(copy)
        final_vertex.add_particle_out(pyhepmc.GenParticle(momentum, pid, 1))
        event.add_vertex(final_vertex)
    for k in range(2):
        hard.add_particle_out(pyhepmc.GenParticle((1.0 + k, 0.5, 3.0, np.sqrt(1.25 + (1.0 + k) ** 2 + 9.0 + 0.0195)), 211, 1))
    event.weights = [0.5 + number % 2]
    cross_section = pyhepmc.GenCrossSection()
    event.cross_section = cross_section
    cross_section.set_cross_section(XSEC_PB, 10.0)
    return event


def write_z_hepmc(path: Path, n_events: int = N_EVENTS) -> Path:
    """Write the synthetic Z -> mu mu sample (gzip-compressed when the name ends in .gz)."""
    rng = np.random.default_rng(11)
    plain = path.with_suffix("") if path.suffix == ".gz" else path
    with pyhepmc.open(plain, "w") as handle:
        for i in range(n_events):
            handle.write(_z_to_mumu(rng, i))
    if path.suffix == ".gz":
        with plain.open("rb") as src, gzip.open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        plain.unlink()
    return path


@pytest.mark.parametrize("name", ["z.hepmc", "z.hepmc3.gz"])
def test_read_z_to_mumu(tmp_path: Path, name: str) -> None:
    events, info = read_hepmc(write_z_hepmc(tmp_path / name))
    assert len(events) == N_EVENTS and info["n_events"] == N_EVENTS
    assert info["xsec_pb"] == pytest.approx(XSEC_PB)
    np.testing.assert_allclose(ak.to_numpy(events.weight), [0.5 + i % 2 for i in range(N_EVENTS)])
    parts = events.particles
    assert ak.all(ak.num(parts) == 4)  # two muons + two pions
    muons = parts[np.abs(parts.pid) == 13]
    assert ak.all(ak.sum(muons.charge, axis=1) == 0) and ak.all(ak.num(muons) == 2)
    e = ak.sum(muons.e, axis=1)
    px, py, pz = (ak.sum(muons[c], axis=1) for c in ("px", "py", "pz"))
    np.testing.assert_allclose(ak.to_numpy(np.sqrt(e**2 - px**2 - py**2 - pz**2)), 91.1876, rtol=1e-6)
    truth = events.truth
    assert ak.all(ak.sum(truth.pid == 23, axis=1) == 1) and ak.all(ak.num(truth) == 3)
    np.testing.assert_allclose(ak.to_numpy(ak.flatten(truth.mass[truth.pid == 23])), 91.1876, rtol=1e-6)
    assert set(ak.to_numpy(ak.flatten(truth.status)).tolist()) == {22, 23}
    assert events.particles.pid.type.content.content.primitive == "int32"


def test_event_range(tmp_path: Path) -> None:
    path = write_z_hepmc(tmp_path / "z.hepmc")
    events, _ = read_hepmc(path, max_events=5)
    assert len(events) == 5
    events, _ = read_hepmc(path, first_event=3, max_events=4)
    np.testing.assert_allclose(ak.to_numpy(events.weight), [0.5 + i % 2 for i in range(3, 7)])


@pytest.mark.parametrize("name", ["z.hepmc", "z.hepmc.gz"])
def test_truncated_hepmc(tmp_path: Path, name: str) -> None:
    data = write_z_hepmc(tmp_path / name).read_bytes()
    bad = tmp_path / f"cut_{name}"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(EventFileError, match=bad.name):
        read_hepmc(bad)


def test_garbage_and_missing_hepmc(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.hepmc"
    bad.write_bytes(b"this is not HepMC\n" * 50 + b"END_EVENT_LISTING\n")
    with pytest.raises(EventFileError, match="garbage.hepmc"):
        read_hepmc(bad)
    with pytest.raises(EventFileError, match="not found"):
        read_hepmc(tmp_path / "none.hepmc")
