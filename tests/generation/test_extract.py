"""Event-record conversion: the cached charge lookup and the directly built list layouts give exactly what the
per-batch ``np.unique`` lookup and ``ak.unflatten(ak.zip(...))`` gave, on a real Pythia batch."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from susyscan.generation.extract import TRUTH_STATUS_MAX, TRUTH_STATUS_MIN, ChargeTable, jagged_records, to_particle_level


class _CountingData:
    """Stands in for Pythia's ParticleData: charge = pid / 1000 (distinct per pid), and counts the questions."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def charge(self, pid: int) -> float:
        self.asked.append(pid)
        return pid / 1000.0


def _same(a: ak.Array, b: ak.Array) -> bool:
    form_a, len_a, buf_a = ak.to_buffers(a)
    form_b, len_b, buf_b = ak.to_buffers(b)
    return (str(a.type) == str(b.type) and form_a == form_b and len_a == len_b and buf_a.keys() == buf_b.keys()
            and all(np.asarray(buf_a[k]).tobytes() == np.asarray(buf_b[k]).tobytes() for k in buf_a))


def test_charge_table_matches_direct_lookup_and_asks_each_pid_once() -> None:
    rng = np.random.default_rng(3)
    data = _CountingData()
    table = ChargeTable(data)
    pool = np.array([22, 211, -211, 2212, -2212, 130, 11, -11, 13, -13, 1000022, -2000013, 321, -321], dtype=np.int32)
    for size, n_kinds in ((500, 4), (0, 0), (800, 9), (300, 14), (50, 2)):  # new pids keep arriving
        pid = rng.choice(pool[: max(n_kinds, 1)], size).astype(np.int32)
        got = table(pid)
        expected = np.array([np.float32(p / 1000.0) for p in pid.tolist()], dtype=np.float32)
        assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert sorted(data.asked) == sorted(pool.tolist())  # each pid asked once over all batches


def test_jagged_records_is_the_unflatten_of_the_zip() -> None:
    rng = np.random.default_rng(4)
    counts = rng.poisson(2.0, 30)
    counts[[0, -1]] = 0
    n = int(counts.sum())
    columns = {"pid": rng.integers(-300, 300, n).astype(np.int32), "px": rng.normal(size=n),
               "charge": rng.normal(size=n).astype(np.float32)}
    assert _same(jagged_records(columns, counts), ak.unflatten(ak.zip(columns), counts))


def _reference(batch: ak.Array, particle_data: object) -> ak.Array:
    """The conversion with ak.unflatten(ak.zip(...)) and a per-pid charge dictionary (the code it replaced)."""
    prt = ak.without_parameters(batch["prt"])
    n_events = len(prt)
    counts = ak.to_numpy(ak.num(prt, axis=1)).astype(np.int64)
    flat = ak.flatten(prt, axis=1)
    pid_all, status, daughter1 = (ak.to_numpy(flat[k]) for k in ("id", "status", "daughter1"))
    mom = {k: ak.to_numpy(flat["p"][k]) for k in ("px", "py", "pz", "e")}
    event = np.repeat(np.arange(n_events), counts)
    final = status > 0
    pid = pid_all[final]
    charge = np.array([float(particle_data.charge(int(p))) for p in pid.tolist()], dtype=np.float32)  # type: ignore[attr-defined]
    particles = ak.unflatten(ak.zip({"pid": pid, **{k: v[final] for k, v in mom.items()}, "charge": charge}),
                             np.bincount(event[final], minlength=n_events))
    abs_status, abs_id = np.abs(status), np.abs(pid_all)
    hard = (abs_status >= TRUTH_STATUS_MIN) & (abs_status <= TRUTH_STATUS_MAX)
    heavy = (abs_id == 6) | (abs_id == 23) | (abs_id == 24) | (abs_id == 25) | (abs_id > 1_000_000)
    daughter_id = pid_all[(np.cumsum(counts) - counts)[event] + daughter1]
    hard |= heavy & (status < 0) & (daughter1 > 0) & (daughter_id != pid_all) & ~hard
    truth = ak.unflatten(ak.zip({"pid": pid_all[hard], **{k: v[hard] for k, v in mom.items()},
                                 "mass": ak.to_numpy(flat["m"])[hard], "status": status[hard]}),
                         np.bincount(event[hard], minlength=n_events))
    weight = ak.to_numpy(ak.fill_none(ak.firsts(batch["info"]["weights"]), 1.0)).astype(np.float64)
    return ak.zip({"particles": particles, "truth": truth, "weight": weight}, depth_limit=1)


def test_to_particle_level_equals_reference_on_pythia_batches() -> None:
    pytest.importorskip("pythia8mc")
    from susyscan.generation.processes import get_process, pythia_settings
    from susyscan.generation.pythia_run import make_pythia

    pythia = make_pythia(pythia_settings(get_process("ttbar_mumu"), 17, 13000.0, None), "extract test")
    table = ChargeTable(pythia.particleData)
    for size in (7, 12):  # two batches: the second reuses the charge cache
        batch = pythia.nextBatch(size, "skip")
        got = to_particle_level(batch, table)
        assert len(got) == size and _same(got, _reference(batch, pythia.particleData))
