"""The toy analysis' spec: two model inputs (MET and the derived MET / m_ll), one BDT in one mass region."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from susyscan.analyses import AnalysisSpec


def derive(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """MET / m_ll, -999 where m_ll is missing (fewer than two muons) or not positive."""
    met, mll = np.asarray(columns["met"]), np.asarray(columns["mll"])
    ok = mll > 0.0
    return {"met_over_mll": np.where(ok, met / np.where(ok, mll, 1.0), -999.0)}


SPEC = AnalysisSpec(
    name="toy",
    grid=("m_smuon", "m_neutralino", "smuon_R"),
    features=("met",),
    derived=("met_over_mll",),
    derive=derive,
    models=("bdt",),
    mass_regions={"all": [0.0, 100000.0]},
    axis_labels=("toy parent mass [GeV]", "toy LSP mass [GeV]"),
)
