"""The stau lep-had analysis (direct stau pairs, stau -> tau + neutralino; seed 002, docs/analysis_stau.md).

Selection and cut-and-count regions: ``config/analyses/stau.yaml`` (shared YAML cuts over the lepton + tau event
variables of :mod:`susyscan.analysis.leptau`). Features: the seed's input table as far as our detector provides
them (:mod:`.features`), computed once when the feature table is written. The feature table also carries
``process_class`` (the seed's seven network classes) and ``jets`` (the network category: a jet with pT > 40 GeV);
the multiclass DNN and the graph features are built on it by the multiclass rules (``multiclass=True``;
``workflow/rules/multiclass.smk``, settings in ``config/analyses/stau_ml.yaml``). Through the shared rules the
analysis has its cut-and-count regions (and no shared binary model: ``models=()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from susyscan.analyses.spec import AnalysisSpec
from susyscan.analyses.stau.features import (
    DERIVED,
    EVENT_FEATURES,
    FEATURES_0J,
    FEATURES_1J,
    JET_FEATURES,
    MT2_MASSES,
    derive,
)
from susyscan.errors import ConfigError

__all__ = ["CLASSES", "DERIVED", "EVENT_FEATURES", "FEATURES_0J", "FEATURES_1J", "JET_FEATURES", "MT2_MASSES",
           "PROCESS_CLASSES", "SPEC", "extra_columns", "process_class"]

#: The seven classes of the seed's multiclass network, in output order.
CLASSES: tuple[str, ...] = ("signal", "wjets", "zll", "ztautau", "top", "diboson", "higgs")
#: Generator process (``susyscan.generation.processes``) -> network class.
PROCESS_CLASSES: dict[str, str] = {
    "stau_LR": "signal",
    "w_lnu": "wjets", "wlnu_jets": "wjets",
    "z_ll": "zll",
    "z_tautau": "ztautau",
    "ttbar_incl": "top", "single_top": "top", "single_top_tw": "top", "ttbar_lep": "top", "ttbar_mumu": "top",
    "diboson_incl": "diboson", "ww_mumu": "diboson", "zz_mumununu": "diboson", "wz_mumumu": "diboson",
    "ggh_tautau": "higgs", "vbfh_tautau": "higgs",
}


def process_class(process: str, sample: str = "?") -> str:
    """The network class of a generator process; an unknown process is an error naming the sample."""
    if process not in PROCESS_CLASSES:
        raise ConfigError(f"stau analysis: sample {sample!r} has process {process!r}, which has no network class "
                          f"(known: {sorted(PROCESS_CLASSES)}; add it to susyscan.analyses.stau.PROCESS_CLASSES)")
    return PROCESS_CLASSES[process]


def extra_columns(variables: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Bookkeeping columns of the feature table: ``process_class`` and the jet category ``jets`` (0/1)."""
    cls = process_class(str(metadata.get("process")), str(metadata.get("sample")))
    jets = (np.asarray(variables["n_jets40"]) >= 1).astype(np.int8)
    return {"process_class": cls, "jets": jets}


SPEC = AnalysisSpec(
    name="stau",
    grid=("m_stau", "m_neutralino", "stau_LR"),
    features=EVENT_FEATURES,
    derived=DERIVED,
    derive=derive,
    models=(),
    multiclass=True,
    axis_labels=(r"$m(\tilde{\tau})$ [GeV]", r"$m(\tilde{\chi}^0_1)$ [GeV]"),
    title=r"$\tilde{\tau}_{L,R}\tilde{\tau}_{L,R} \to \tau\tilde{\chi}^0_1\, \tau\tilde{\chi}^0_1$, $\ell\tau_{had}$",
    extra={"leptau": True, "columns": extra_columns, "classes": CLASSES},
)
