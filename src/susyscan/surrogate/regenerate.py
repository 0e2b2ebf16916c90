"""Process-level truth features of the events of a full-chain event file, by re-running its generation.

The event file keeps the hard-process entries of the *showered* event record, whose decay products carry the
ISR recoil; the surrogate's features are defined before the shower (``susyscan.surrogate.truth``).  So the
chunk's generation is run again from its metadata (same process, masses, seed, energy, filter) with the
process-level recorder attached.  The recorder draws no random numbers, so Pythia produces the same events:
this is checked against the file (the truth branches must be identical), and each event is matched to its
hard process by the pT of the two outgoing hard-process particles (a hard process whose shower failed is
skipped by Pythia and has no event).  Cost: one more Pythia run of the chunk (no detector, no analysis);
recording the features during the original generation would avoid it (docs/surrogate.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.errors import EventFileError
from susyscan.generation.chunk import truth_branches
from susyscan.generation.filters import filter_from_metadata
from susyscan.generation.processes import get_process
from susyscan.generation.pythia_run import generate
from susyscan.surrogate.contract import truth_columns
from susyscan.surrogate.truth import OUTGOING, ProcessRecorder, features_from_particles, isr_pt

logger = logging.getLogger(__name__)

#: Branches compared with the regenerated events (eta and phi of the file may come from the detector's own
#: conversion; pid, pT, mass and status identify the events).
TRUTH_CHECK = ("truth_pid", "truth_pt", "truth_mass", "truth_status")
TRUTH_BRANCHES = (*TRUTH_CHECK, "truth_phi")
#: Relative pT tolerance of the process <-> event match (the event record copies the process record).
MATCH_RTOL = 1e-9


def match_processes(keys: list[tuple[int, float, int, float]], truth: ak.Array, source: str) -> np.ndarray:
    """Index of the recorded hard process of each event (keys in generation order; every event must match).

    An event's key is its first two outgoing hard-process entries (event-record positions 5 and 6: the
    truth entries right after the two incoming partons)."""
    n_first = len(OUTGOING)
    first = truth[:, 2:2 + n_first]
    if ak.any(ak.num(first) < n_first):
        raise EventFileError(f"{source}: an event has fewer than {2 + n_first} hard-process entries")
    pid = ak.to_numpy(first["pid"])
    pt = ak.to_numpy(np.hypot(first["px"], first["py"]))
    rows = np.empty(len(pid), dtype=np.int64)
    j = 0
    for i in range(len(pid)):
        while j < len(keys):
            id_a, pt_a, id_b, pt_b = keys[j]
            if (id_a, id_b) == (pid[i, 0], pid[i, 1]) and np.isclose(pt_a, pt[i, 0], rtol=MATCH_RTOL, atol=1e-9) \
                    and np.isclose(pt_b, pt[i, 1], rtol=MATCH_RTOL, atol=1e-9):
                break
            j += 1
        if j == len(keys):
            raise EventFileError(f"{source}: event {i} matches no recorded hard process (regeneration differs)")
        rows[i] = j
        j += 1
    skipped = len(keys) - len(pid)
    if skipped:
        logger.info("%s: %d hard process(es) without an event (shower/hadronisation failures)", source, skipped)
    return rows


def check_same_events(regenerated: ak.Array, stored: ak.Array, source: str) -> None:
    """EventFileError unless the regenerated truth branches equal the stored ones (same events).

    The file's collections are sorted by pT, so each event's values are compared as sorted lists."""
    fresh = truth_branches(regenerated["truth"])
    if len(regenerated) != len(stored):
        raise EventFileError(f"{source}: regeneration gave {len(regenerated)} events, the file has {len(stored)}")
    for name in TRUTH_CHECK:
        a, b = ak.sort(fresh[name], axis=1), ak.sort(stored[name], axis=1)
        if not (ak.all(ak.num(a) == ak.num(b)) and np.array_equal(ak.to_numpy(ak.flatten(a)),
                                                                    ak.to_numpy(ak.flatten(b)))):
            raise EventFileError(f"{source}: regenerated branch {name} differs from the file (different generator "
                                 "version, settings or seed?): its truth features cannot be recomputed")


def chunk_truth_features(event_file: str | Path, sample: str | None = None) -> pd.DataFrame:
    """Process-level truth features (+ ``isr_pt``) of every event of a full-chain signal event file.

    Columns: ``sample, chunk, event`` (the stable id of the feature tables) then the contract columns.
    """
    from susyscan.eventio import read_events

    source = str(event_file)
    stored, meta = read_events(event_file, list(TRUTH_BRANCHES))
    masses = meta.get("masses") or {}
    keys = get_process(meta["process"]).mass_keys  # (parent, LSP)
    if len(keys) != 2 or any(k not in masses for k in keys):
        raise EventFileError(f"{source}: metadata 'masses' {masses} lacks the masses {list(keys)} of a signal point")
    m_parent, m_lsp = (float(masses[k]) for k in keys)
    recorder = ProcessRecorder()
    result = generate(meta["process"], int(meta["n_events"]), int(meta["seed"]), masses=masses,
                      sqrt_s_gev=float(meta["sqrt_s_gev"]), pthat_min_gev=float(meta.get("pthat_min_gev") or 100.0),
                      filter_spec=filter_from_metadata(meta.get("generator_filter")), recorder=recorder)
    check_same_events(result.events, stored, source)
    rows = match_processes(recorder.keys, result.events["truth"], source)
    table = features_from_particles(recorder.particles(), recorder.n_processes, m_parent, m_lsp, rows)
    table["isr_pt"] = isr_pt(stored["truth_status"], stored["truth_pt"], stored["truth_phi"])
    ids = pd.DataFrame({"sample": sample or meta["sample"], "chunk": int(meta["chunk"]),
                        "event": np.arange(len(table), dtype=np.int64)})
    logger.info("%s: truth features of %d events (%.1f s of Pythia)", source, len(table), result.seconds)
    return pd.concat([ids, table[truth_columns(with_isr=True)]], axis=1)
