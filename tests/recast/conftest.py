"""Shared fixtures of the recast tests: the repository's recast YAML and synthetic event arrays."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import pytest

from susyscan.recast.config import RecastConfig, load_recast_config

REPO = Path(__file__).resolve().parents[2]
RECAST_YAML = REPO / "config" / "recast" / "atlas_1908_08215.yaml"
PUBLISHED = REPO / "resources" / "atlas_1908_08215" / "signal_regions.csv"
S95 = REPO / "resources" / "atlas_1908_08215" / "s95_checkmate.csv"


@pytest.fixture(scope="session")
def recast_cfg() -> RecastConfig:
    cfg = load_recast_config(RECAST_YAML)
    # the YAML names its table relative to the repository root
    return cfg.__class__(**{**cfg.__dict__, "reference": str(REPO / cfg.reference)})


def make_events(rows: list[dict]) -> ak.Array:
    """Event array with the branches the recast reads; each row gives electrons/muons/jets as lists of tuples
    (pt, eta, phi, charge, iso) / (pt, eta, phi, charge, iso) / (pt, eta, phi, btag) and met, met_phi."""
    columns: dict[str, list] = {k: [] for k in (
        "weight", "met", "met_phi",
        "electron_pt", "electron_eta", "electron_phi", "electron_charge", "electron_iso",
        "muon_pt", "muon_eta", "muon_phi", "muon_charge", "muon_iso",
        "jet_pt", "jet_eta", "jet_phi", "jet_btag")}
    for row in rows:
        columns["weight"].append(row.get("weight", 1.0))
        columns["met"].append(row["met"])
        columns["met_phi"].append(row.get("met_phi", 0.0))
        for prefix, fields in (("electron", ("pt", "eta", "phi", "charge", "iso")),
                               ("muon", ("pt", "eta", "phi", "charge", "iso")),
                               ("jet", ("pt", "eta", "phi", "btag"))):
            objs = row.get(prefix, [])
            for i, field in enumerate(fields):
                columns[f"{prefix}_{field}"].append([o[i] for o in objs])
    return ak.Array(columns)
