"""The 27 low- and high-level features written to the feature CSVs (order is a contract)."""

from __future__ import annotations

SENTINEL: float = -999.0
"""Value of a feature whose object is missing (e.g. the second electron of a dimuon event)."""

FEATURES: list[str] = [
    # final-state multiplicities
    "n_electrons", "n_muons", "n_jets",
    # two leading (overlap-removed) jets
    "jet1_pt", "jet1_eta", "jet1_phi", "jet2_pt", "jet2_eta", "jet2_phi",
    # two leading signal electrons
    "ele1_pt", "ele1_eta", "ele1_phi", "ele2_pt", "ele2_eta", "ele2_phi",
    # two leading signal muons
    "mu1_pt", "mu1_eta", "mu1_phi", "mu2_pt", "mu2_eta", "mu2_phi",
    # masses of the muon pair, MET, hadronic activity
    "mll", "mct", "mt2", "met", "ht", "met_phi",
]

BOOKKEEPING_COLUMNS: list[str] = ["gen_weight", "sample", "process", "is_signal", "m_parent", "m_lsp", "chunk",
                                   "event"]
"""Columns written after the features (docs/architecture.md); (``sample``, ``chunk``, ``event``) identify an event."""
