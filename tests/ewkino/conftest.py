"""Synthetic reconstructed events (contract field names) for the ewkino tests."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import torch

from susyscan.analyses.ewkino.config import EwkinoConfig, load_ewkino_config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "analyses" / "ewkino.yaml"
PIDS = np.array([11, 13, 22, 211, 130])

torch.set_num_threads(1)


@pytest.fixture
def cfg() -> EwkinoConfig:
    """The shipped analysis configuration."""
    return load_ewkino_config(CONFIG)


def events_from_lists(records: list[dict]) -> ak.Array:
    """Build an event array from per-event dicts; missing collections are empty."""
    jagged = {f"{c}_{v}": (np.float32 if v != "charge" and v != "pid" else np.int32)
              for c, vs in (("electron", ("pt", "eta", "phi", "charge")), ("muon", ("pt", "eta", "phi", "charge")),
                            ("jet", ("pt", "eta", "phi")),
                            ("pfcand", ("pt", "eta", "phi", "charge", "pid"))) for v in vs}
    columns: dict[str, object] = {}
    for name, dtype in jagged.items():
        columns[name] = ak.values_astype(ak.Array([list(r.get(name, [])) for r in records]), dtype)
    for name in ("met", "met_phi"):
        columns[name] = np.array([r[name] for r in records], dtype=np.float32)
    columns["weight"] = np.array([r.get("weight", 1.0) for r in records], dtype=np.float64)
    return ak.Array(columns)


def synthetic_events(n: int, signal: bool, seed: int) -> ak.Array:
    """Monojet-like events; signal has harder MET and more soft PF candidates."""
    rng = np.random.default_rng(seed)
    met = 200.0 + rng.exponential(400.0 if signal else 150.0, n)
    met_phi = rng.uniform(-np.pi, np.pi, n)
    n_jets = rng.integers(1, 4, n)
    jet_pt = [np.sort(np.r_[m * rng.uniform(0.8, 1.1), rng.uniform(30, 120, k - 1)])[::-1] for m, k in zip(met, n_jets)]
    jet_phi = [np.r_[p + np.pi, rng.uniform(-np.pi, np.pi, len(j) - 1)] for p, j in zip(met_phi, jet_pt)]
    n_pf = rng.poisson(60 if signal else 35, n)
    pf_pt = [np.sort(1.0 + rng.exponential(3.0, k))[::-1] for k in n_pf]
    pids = [rng.choice(PIDS, len(p)) for p in pf_pt]
    records = []
    for i in range(n):
        records.append({
            "jet_pt": jet_pt[i], "jet_eta": rng.normal(0, 1, n_jets[i]), "jet_phi": np.mod(jet_phi[i] + np.pi, 2 * np.pi) - np.pi,
            "pfcand_pt": pf_pt[i], "pfcand_eta": rng.normal(0, 1.5, n_pf[i]), "pfcand_phi": rng.uniform(-np.pi, np.pi, n_pf[i]),
            "pfcand_pid": pids[i], "pfcand_charge": np.where(np.isin(pids[i], (11, 13, 211)), rng.choice([-1, 1], n_pf[i]), 0),
            "met": met[i], "met_phi": met_phi[i],
        })
    return events_from_lists(records)


def metadata(sample: str, chunk: int = 0, n: int = 100, masses: dict | None = None, xsec_pb: float = 1.0) -> dict:
    """Event-file metadata for a synthetic chunk."""
    return {"sample": sample, "process": sample.split("_")[0], "chunk": chunk, "sum_weights": float(n),
            "sum_weights2": float(n), "xsec_pb": xsec_pb, "n_events": n, "masses": masses or {}}


def make_input_files(directory: Path, cfg: EwkinoConfig, n_events: int = 120, pt_min: float = 1.0,
                     max_candidates: int = 16) -> list[Path]:
    """A signal point and a background chunk written as input .npz files."""
    from susyscan.analyses.ewkino.inputs import build_inputs, write_inputs
    from susyscan.analyses.ewkino.selection import select_events

    paths = []
    for sample, signal, seed in (("sig_1500_100", True, 11), ("znunu", False, 12)):
        events = synthetic_events(n_events, signal, seed)
        masses = {"m_squark": 1500, "m_electroweakino": 100} if signal else {}
        meta = metadata(sample, n=n_events, masses=masses, xsec_pb=0.01 if signal else 5.0)
        presel, baseline, _ = select_events(events, meta, cfg)
        path = directory / f"{sample}_{pt_min:g}.npz"
        write_inputs(build_inputs(events, meta, cfg, presel, baseline, pt_min, max_candidates), path)
        paths.append(path)
    return paths


@pytest.fixture
def input_set(tmp_path, cfg):
    """InputSet of a small synthetic signal + background sample."""
    from susyscan.analyses.ewkino.inputs import read_inputs

    return read_inputs(make_input_files(tmp_path, cfg))


TINY = {"n_members": 2, "epochs": 2, "batch_size": 64, "learning_rate": 3e-3, "seed": 5,
        "net": {"phi_sizes": [16, 16], "rho_sizes": [16], "highlevel_sizes": [16], "head_sizes": [16]}}


def train_tiny(directory: Path, paths: list[Path], training: dict | None = None, fold: int = 0):
    """The ensemble of ``paths`` through the CLI's path (``stages.inputs_dataset`` + ``train_shared``, the shared
    run_nn) into ``directory``: (dataset, metrics, ModelOutputs)."""
    from susyscan.analyses.ewkino.stages import inputs_dataset, train_shared
    from susyscan.analyses.ewkino.train import TrainConfig
    from susyscan.training.outputs import ModelOutputs

    cfg = TrainConfig.from_dict(dict(training or TINY))
    dataset = inputs_dataset(paths, cfg, fold)
    outputs = ModelOutputs.in_directory(directory, "model.pt")
    return dataset, train_shared(dataset, cfg, str(paths[0]), outputs), outputs
