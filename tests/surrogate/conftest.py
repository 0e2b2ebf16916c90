"""Fixtures of the surrogate tests: a synthetic label table (features from a simple truth model, labels from
known per-event probabilities) and a small trained surrogate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from susyscan.surrogate.contract import MISSING, truth_columns
from susyscan.surrogate.labels import PRESELECTION

REGIONS = ["SR a", "SR b", "SR rare"]


def synthetic_labels(points: list[tuple[float, float]], n: int, seed: int = 3) -> pd.DataFrame:
    """Label table with the contract columns: leptons whose pT scales with the mass splitting; the event enters
    SR a with probability sigmoid((mt2 - 100) / 20), SR b when lep2_pt > 40; SR rare almost never."""
    rng = np.random.default_rng(seed)
    frames = []
    for m_parent, m_lsp in points:
        scale = (m_parent**2 - m_lsp**2) / (2 * m_parent)
        df = pd.DataFrame(0.0, index=np.arange(n), columns=truth_columns(with_isr=True))
        df["n_leptons"] = 2.0
        df["lep1_pt"] = scale * rng.uniform(0.5, 1.5, n)
        df["lep2_pt"] = df["lep1_pt"] * rng.uniform(0.1, 1.0, n)
        df["lep1_eta"], df["lep2_eta"] = rng.normal(0, 1.2, n), rng.normal(0, 1.2, n)
        df["lep1_phi"], df["lep2_phi"] = rng.uniform(-np.pi, np.pi, n), rng.uniform(-np.pi, np.pi, n)
        df["lep1_flavour"] = df["lep2_flavour"] = 13.0
        df["lep1_charge"] = rng.choice([-1.0, 1.0], n)
        df["lep2_charge"] = -df["lep1_charge"]
        df["met"] = scale * rng.uniform(0.0, 1.5, n)
        df["m_ll"] = scale * rng.uniform(0.1, 2.0, n)
        df["dphi_ll"] = rng.uniform(0, np.pi, n)
        df["dphi_met_lep1"] = rng.uniform(0, np.pi, n)
        df["mt2"] = np.minimum(df["met"], scale * 0.9) * rng.uniform(0.5, 1.0, n)
        df["isr_pt"] = rng.exponential(30.0, n)
        one = rng.uniform(size=n) < 0.05  # a few events with one lepton
        for col in ("lep2_pt", "lep2_eta", "lep2_phi", "lep2_flavour", "lep2_charge", "m_ll", "dphi_ll", "mt2"):
            df.loc[one, col] = MISSING
        df.loc[one, "n_leptons"] = 1.0
        df["m_parent"], df["m_lsp"] = m_parent, m_lsp
        p_a = 1 / (1 + np.exp(-(df["mt2"] - 100) / 20))
        df[PRESELECTION] = (df["met"] > 0.3 * scale).astype(np.int8)
        df[REGIONS[0]] = ((rng.uniform(size=n) < p_a) & (df[PRESELECTION] == 1)).astype(np.int8)
        df[REGIONS[1]] = ((df["lep2_pt"] > 40) & (df[PRESELECTION] == 1)).astype(np.int8)
        df[REGIONS[2]] = (rng.uniform(size=n) < 0.001).astype(np.int8)
        ids = pd.DataFrame({"sample": f"pt_{m_parent:g}_{m_lsp:g}", "chunk": 0, "event": np.arange(n)})
        frames.append(pd.concat([ids, df], axis=1))
    return pd.concat(frames, ignore_index=True)


TRAIN_POINTS = [(200.0, 0.0), (300.0, 0.0), (400.0, 0.0), (300.0, 100.0), (400.0, 200.0)]
HELDOUT = [(350.0, 100.0)]
N_PER_POINT = 400


@pytest.fixture(scope="session")
def label_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("labels")
    df = synthetic_labels(TRAIN_POINTS + HELDOUT, N_PER_POINT)
    paths = []
    for sample, grp in df.groupby("sample"):
        path = base / f"{sample}.csv.gz"
        grp.to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory: pytest.TempPathFactory, label_files: list[Path]) -> Path:
    from susyscan.surrogate.train import TrainSettings, run_training

    out = tmp_path_factory.mktemp("model")
    run_training(label_files, out, [list(p) for p in HELDOUT], TrainSettings(n_estimators=20, seed=5))
    return out


@pytest.fixture(scope="session")
def recast_cfg():  # type: ignore[no-untyped-def]
    """The repository's ATLAS-SUSY-2018-32 recast config (as in tests/recast)."""
    from susyscan.recast.config import load_recast_config
    from tests.recast.conftest import RECAST_YAML, REPO

    cfg = load_recast_config(RECAST_YAML)
    return cfg.__class__(**{**cfg.__dict__, "reference": str(REPO / cfg.reference)})
