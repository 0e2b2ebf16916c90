"""CPU time of the detector outside fastjet: cProfile and fresh-process timings of ``reconstruct`` on saved chunks.

Run: python benchmarks/profile_detector_rest.py save DIR [--events 2000]
         particle-level events of an unfiltered ttbar -> mu mu chunk and a smuon_R (300, 100) chunk (seed 4242, the
         production path ``generate``), pickled to DIR (to replay the same events in every process)
     python benchmarks/profile_detector_rest.py profile DIR [--top 30]
         cProfile of ``reconstruct`` per chunk: functions by own time, the share inside fastjet, and the time of
         ``to_particle_level`` (extraction) and ``write_events`` of the same chunk
     python benchmarks/profile_detector_rest.py stages DIR [--pairs 3]
         CPU ms of each function that ``simulate`` calls (timing wrappers around them, no cProfile overhead), min over
         the repeats; "rest" is simulate's own code (masks, random draws, ``ak.zip``)
     python benchmarks/profile_detector_rest.py time DIR [--pairs 3] [--old SRC]
         ``reconstruct`` of each whole chunk in a fresh process (one call, as a chunk job does, after one untimed
         warm-up call on 10 events so that imports and the fastjet banner are outside), user + system CPU ms from
         ``getrusage``; with ``--old SRC`` the same with ``PYTHONPATH=SRC`` (e.g. a ``git archive`` of the old code),
         old and new alternating, first side alternating per pair
     python benchmarks/profile_detector_rest.py pieces DIR --old SRC [--pairs 10]
         single changes on the ttbar chunk's arrays, old and new alternating in one process (min / median CPU ms):
         the card formulas of one chunk without ``energy`` (the old ``Formula.__call__``, which always derived
         ``pt cosh(eta)``, frozen below) and ``lognormal_factor`` over every particle (old: loaded from SRC)
     python benchmarks/profile_detector_rest.py digest DIR
         sha256 of every output branch of ``reconstruct`` per chunk (compare old and new code with PYTHONPATH)
     python benchmarks/profile_detector_rest.py extract DIR --old SRC [--pairs 8]
         ``to_particle_level`` of the saved raw ``nextBatch`` batches (``save`` keeps the ttbar chunk's first two),
         this code's and the one under SRC (loaded from its file) alternating in one process: the outputs' digests
         compared, CPU ms per 200-event batch
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pickle
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from chunk_digest import branch_digest

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
SEED = 4242
DETECTOR_OPTIONS = {"large_jet_radius": 1.0, "pfcand_pt_min": 1.0}
#: (file stem, process, masses): the two unfiltered chunks of issue 11's chunk / bare benchmark
#: the metadata that ``write_events`` requires (values of the benchmark, as ``bench_filters.write_seconds``)
WRITE_METADATA = {"chunk": 0, "seed": SEED, "xsec_pb": 1.0, "sum_weights": 1.0, "xsec_source": "benchmark",
                  "xsec_lo_pb": 1.0, "sqrt_s_gev": 13000.0, "generator": "benchmark", "detector_card": str(CARD),
                  "config_hash": "", "susyscan_version": "benchmark"}
CHUNKS = [("ttbar", "ttbar_mumu", None), ("smuon", "smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0})]


def load(directory: Path, stem: str) -> ak.Array:
    """The pickled particle-level events of one chunk."""
    events: ak.Array = pickle.loads((directory / f"{stem}.pkl").read_bytes())
    return events


def save(directory: Path, n_events: int) -> None:
    """Generate both chunks' particle-level events and pickle them."""
    from susyscan.generation.pythia_run import generate

    import susyscan.generation.pythia_run as pythia_run

    directory.mkdir(parents=True, exist_ok=True)
    batches: list[ak.Array] = []
    convert = pythia_run.to_particle_level

    def keep_batch(batch: ak.Array, charges: Any) -> ak.Array:
        if len(batches) < 2 and not (directory / "batches.pkl").exists():
            batches.append(batch)
        return convert(batch, charges)

    pythia_run.to_particle_level = keep_batch  # type: ignore[assignment]
    for stem, process, masses in CHUNKS:
        result = generate(process, n_events, SEED, masses=masses)
        if batches and not (directory / "batches.pkl").exists():
            (directory / "batches.pkl").write_bytes(pickle.dumps(batches))
        (directory / f"{stem}.pkl").write_bytes(pickle.dumps(result.events))
        print(f"{stem}: {len(result.events)} events, {int(ak.sum(ak.num(result.events['particles'])))} particles")  # noqa: T201


def profile(directory: Path, top: int) -> None:
    """cProfile of reconstruct per chunk (after a warm-up call), plus extraction-free write timing."""
    from susyscan.detector import load_card
    from susyscan.eventio import write_events
    from susyscan.generation.chunk import reconstruct

    card = load_card(CARD)
    for stem, _, _ in CHUNKS:
        events = load(directory, stem)
        reconstruct(events[:10], card, SEED, DETECTOR_OPTIONS)
        prof = cProfile.Profile(time.process_time)
        reco = prof.runcall(reconstruct, events, card, SEED, DETECTOR_OPTIONS)
        stats = pstats.Stats(prof)
        total = stats.total_tt  # type: ignore[attr-defined]
        # (file, line, name): fastjet's Python files and its C++ extension's built-ins (file "~")
        fastjet = sum(v[2] for k, v in stats.stats.items() if "fastjet" in k[0] + k[2])  # type: ignore[attr-defined]
        with tempfile.TemporaryDirectory() as tmp:
            start = time.process_time()
            write_events(Path(tmp) / "c.root", reco, WRITE_METADATA | {"sample": stem, "process": stem})
            write = time.process_time() - start
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
        print(f"\n## {stem}: reconstruct {1e3 * total:.0f} CPU ms under cProfile, of it own time in fastjet's "  # noqa: T201
              f"modules {1e3 * fastjet:.0f} ms; write_events {1e3 * write:.0f} ms\n{out.getvalue()}")
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats("susyscan", top)
        print(out.getvalue())  # noqa: T201


#: the functions of ``susyscan.detector.simulate``'s namespace timed by ``stages``
STAGE_FUNCTIONS = ("respond", "_flat_truth", "reconstruct", "cluster", "btag", "_hadronic_taus", "jet_flavour",
                   "tau_tag", "truth_tag_taus", "missing_et", "track_soft_term", "object_branches", "sorted_collection",
                   "_jet_branches")


def stages(directory: Path, repeats: int) -> None:
    """CPU ms per function called by simulate (nested calls counted in their caller only), min over repeats."""
    import importlib

    from susyscan.detector import load_card
    from susyscan.generation.chunk import reconstruct

    module = importlib.import_module("susyscan.detector.simulate")
    spent: dict[str, float] = {}
    faults: dict[str, int] = {}
    depth = [0]

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            start, start_faults = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[name] = spent.get(name, 0.0) + time.process_time() - start
                    faults[name] = (faults.get(name, 0) + resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                                    - start_faults)
        return wrapper

    for name in STAGE_FUNCTIONS:
        setattr(module, name, timed(name, getattr(module, name)))
    card = load_card(CARD)
    for stem, _, _ in CHUNKS:
        events = load(directory, stem)
        reconstruct(events[:10], card, SEED, DETECTOR_OPTIONS)
        runs: list[dict[str, float]] = []
        first_faults: dict[str, int] = {}
        for _ in range(repeats):
            spent.clear()
            faults.clear()
            start, start_faults = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            reconstruct(events, card, SEED, DETECTOR_OPTIONS)
            total = time.process_time() - start
            total_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start_faults
            runs.append({**spent, "rest": total - sum(spent.values()), "total": total})
            first_faults = first_faults or {**faults, "rest": total_faults - sum(faults.values()), "total": total_faults}
        print(f"\n{stem}: CPU ms, min / median of {repeats}; minor page faults of the first call\n"  # noqa: T201
              "| function | min | median | faults |\n|---|---:|---:|---:|")
        for name in runs[0]:
            values = [r.get(name, 0.0) for r in runs]
            print(f"| {name} | {1e3 * min(values):.0f} | {1e3 * float(np.median(values)):.0f} "  # noqa: T201
                  f"| {first_faults.get(name, 0)} |")


def child(directory: Path, stem: str) -> None:
    """(In a fresh process.) One reconstruct of the whole chunk; prints user + system CPU ms."""
    from susyscan.detector import load_card
    from susyscan.generation.chunk import reconstruct

    card = load_card(CARD)
    events = load(directory, stem)
    reconstruct(events[:10], card, SEED, DETECTOR_OPTIONS)
    before = resource.getrusage(resource.RUSAGE_SELF)
    reconstruct(events, card, SEED, DETECTOR_OPTIONS)
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(f"{1e3 * user:.0f} {1e3 * system:.0f} {after.ru_minflt - before.ru_minflt} {1e3 * (user + system):.0f}")  # noqa: T201


def timing(directory: Path, pairs: int, old: Path | None) -> None:
    """Fresh-process reconstruct CPU ms per chunk, old and new code alternating."""
    sides = [("new", None)] + ([("old", old)] if old else [])
    for stem, _, _ in CHUNKS:
        ms: dict[str, list[int]] = {name: [] for name, _ in sides}
        for i in range(pairs):
            for name, path in sides if i % 2 == 0 else sides[::-1]:
                env = dict(os.environ)
                if path is not None:
                    env["PYTHONPATH"] = str(path)
                run = subprocess.run([sys.executable, __file__, "child", str(directory), "--stem", stem], env=env,
                                     check=True, capture_output=True, text=True)
                user, system, faults, total = run.stdout.split()[-4:]
                ms[name].append(int(total))
                print(f"  {stem} {name}: user {user} ms, system {system} ms, {faults} minor faults", flush=True)  # noqa: T201
        load_avg = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"| {stem} | " + " | ".join(f"{', '.join(map(str, v))} (median {np.median(v):.0f})"  # noqa: T201
                                          for v in ms.values()) + f" | {load_avg} |")


def _old_module(old: Path, relative: str) -> Any:
    """The module ``old/susyscan/<relative>`` loaded from its file (the old code beside the new one)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"old_{Path(relative).stem}", old / "susyscan" / relative)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{old}: no susyscan/{relative}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _alternating(runs: dict[str, Any], repeats: int) -> dict[str, list[float]]:
    """CPU ms of each of the ``runs`` (callables), alternating, the first side alternating per repetition."""
    ms: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(repeats):
        for name in list(runs) if i % 2 == 0 else list(runs)[::-1]:
            start = time.process_time()
            runs[name]()
            ms[name].append(1e3 * (time.process_time() - start))
    return ms


def extract(directory: Path, old: Path, repeats: int) -> None:
    """to_particle_level of this code and of ``old`` alternating on the saved batches: same digests, CPU ms."""
    import pythia8mc

    from susyscan.generation import extract as new_module

    old_module = _old_module(old, "generation/extract.py")
    batches = pickle.loads((directory / "batches.pkl").read_bytes())
    particle_data = pythia8mc.Pythia("", False).particleData
    sides = {"new": (new_module, new_module.ChargeTable(particle_data)),
             "old": (old_module, old_module.ChargeTable(particle_data))}
    same = [branch_digest(sides["new"][0].to_particle_level(b, sides["new"][1]))
            == branch_digest(sides["old"][0].to_particle_level(b, sides["old"][1])) for b in batches]
    ms = _alternating({name: lambda m=module, c=charges: [m.to_particle_level(b, c) for b in batches]
                       for name, (module, charges) in sides.items()}, repeats)
    print(f"identical outputs: {same}; CPU ms per {len(batches[0])}-event batch, min / median of {repeats}: "  # noqa: T201
          + ", ".join(f"{name} {min(v) / len(batches):.2f} / {float(np.median(v)) / len(batches):.2f}"
                      for name, v in ms.items()))


def _old_formula_call(formula: Any, pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """``Formula.__call__`` before 6d5a328 (energy not given): ``pt cosh(eta)`` derived whether read or not."""
    energy = pt * np.cosh(eta)
    result = np.asarray(formula._expression({"pt": pt, "eta": eta, "energy": energy}))
    result = result.astype(np.float64) if result.dtype == bool else result
    return np.broadcast_to(result, np.broadcast_shapes(pt.shape, eta.shape, energy.shape)).astype(np.float64)


def pieces(directory: Path, old: Path, repeats: int) -> None:
    """Old against new of single functions on the ttbar chunk's particles (bit-identical results checked)."""
    from susyscan.detector import load_card
    from susyscan.detector.kinematics import lognormal_factor
    from susyscan.detector.particles import PID_CHARGED_HADRON, PID_MUON, PID_PHOTON, respond

    old_kinematics = _old_module(old, "detector/kinematics.py")
    card = load_card(CARD)
    p = respond(load(directory, "ttbar")["particles"], card, np.random.default_rng(1))
    apid = np.abs(p.pid)
    calls = [(card.tracking_efficiency["charged_hadron"], (p.charge != 0) & (apid != 11) & (apid != 13)),
             (card.momentum_resolution["charged_hadron"], p.pf_class == PID_CHARGED_HADRON),
             (card.identification_efficiency["photon"], (p.pf_class == PID_PHOTON) & (apid == 22)),
             (card.identification_efficiency["muon"], p.pf_class == PID_MUON)]
    arguments = [(formula, p.pt[mask], p.eta[mask]) for formula, mask in calls]
    rel = np.random.default_rng(2).exponential(0.1, len(p.pid))
    normal = np.random.default_rng(3).standard_normal(len(p.pid))
    tests = {
        f"card formulas without energy ({', '.join(str(len(a[1])) for a in arguments)} values)": (
            lambda: [_old_formula_call(*a) for a in arguments], lambda: [a[0](a[1], a[2]) for a in arguments]),
        f"lognormal_factor ({len(rel)} values)": (
            lambda: [old_kinematics.lognormal_factor(rel, normal)], lambda: [lognormal_factor(rel, normal)]),
    }
    for name, (run_old, run_new) in tests.items():
        same = all(a.tobytes() == b.tobytes() for a, b in zip(run_old(), run_new()))
        ms = _alternating({"old": run_old, "new": run_new}, repeats)
        print(f"{name}: identical {same}; CPU ms min / median of {repeats}: "  # noqa: T201
              + ", ".join(f"{side} {min(v):.1f} / {float(np.median(v)):.1f}" for side, v in ms.items()))


def digest(directory: Path) -> None:
    """sha256 over the type, form and buffers of every reconstructed branch, per chunk."""
    from susyscan.detector import load_card
    from susyscan.generation.chunk import reconstruct

    card = load_card(CARD)
    for stem, _, _ in CHUNKS:
        reco = reconstruct(load(directory, stem), card, SEED, DETECTOR_OPTIONS)
        print(f"{stem}: {branch_digest(reco)}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["save", "profile", "stages", "time", "pieces", "digest", "extract", "child"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--old", type=Path, default=None, help="PYTHONPATH of the old code for 'time'")
    parser.add_argument("--stem", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "save":
        save(args.directory, args.events)
    elif args.mode == "profile":
        profile(args.directory, args.top)
    elif args.mode == "stages":
        stages(args.directory, args.pairs)
    elif args.mode == "time":
        timing(args.directory, args.pairs, args.old)
    elif args.mode == "digest":
        digest(args.directory)
    elif args.mode in ("extract", "pieces"):
        if args.old is None:
            parser.error(f"{args.mode} needs --old SRC")
        (extract if args.mode == "extract" else pieces)(args.directory, args.old, args.pairs)
    else:
        child(args.directory, args.stem)


if __name__ == "__main__":
    main()
