"""The smuon analysis (right-handed smuon pairs, smuon -> mu + neutralino; docs/analysis_smuon.md).

Selection and cut-and-count regions: ``config/analyses/smuon.yaml``. Model inputs: the 27 event features
(``susyscan.analysis.features.FEATURES``) and the 10 derived features of :mod:`.derived`, written to the
feature CSVs once; the paper's 37-50-50-1 MLP and a BDT per mass region.
"""

from __future__ import annotations

from susyscan.analyses.smuon.derived import DERIVED, derived_arrays
from susyscan.analyses.spec import AnalysisSpec
from susyscan.analysis.features import FEATURES

SPEC = AnalysisSpec(
    name="smuon",
    grid=("m_smuon", "m_neutralino", "smuon_R"),
    features=tuple(FEATURES),
    derived=tuple(DERIVED),
    derive=derived_arrays,
    models=("nn", "bdt"),
    axis_labels=(r"$m(\tilde{\mu})$ [GeV]", r"$m(\tilde{\chi}^0_1)$ [GeV]"),
    title=r"$\tilde{\mu}_R\tilde{\mu}_R,\ \tilde{\mu}_R \to \mu\,\tilde{\chi}^0_1$",
    kinematic_limit=r"$m(\tilde{\mu}) = m(\tilde{\chi}^0_1)$",
    # Plot curves of the YAML's cut-and-count regions (the NN and BDT regions are grouped per model).
    methods=(("Static jet veto", ("Static jet veto",)), ("Dynamic jet veto", ("Dynamic veto",))),
)
