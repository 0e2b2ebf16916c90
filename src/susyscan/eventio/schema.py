"""Branch names and types of the reconstructed event file (docs/architecture.md)."""

from __future__ import annotations

import numpy as np

TREE_NAME = "events"
METADATA_KEY = "metadata"

#: per-event scalar branches
SCALARS: dict[str, type] = {"weight": np.float64, "met": np.float32, "met_phi": np.float32}

#: jagged collections: prefix -> field -> dtype (branch ``{prefix}_{field}``, counter ``n{prefix}``)
COLLECTIONS: dict[str, dict[str, type]] = {
    "electron": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "charge": np.int32, "iso": np.float32},
    "muon": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "charge": np.int32, "iso": np.float32},
    "photon": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "iso": np.float32},
    "tau": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "charge": np.int32},
    "jet": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "btag": np.int32},
    "largejet": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "btag": np.int32},
    "pfcand": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "charge": np.int32, "pid": np.int32},
    "truth": {"pid": np.int32, "pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "status": np.int32},
}

#: optional per-event scalar branches: written when the events carry them, read by default when the file has them
#: (files written before they existed stay valid). ``met_tst``, ``met_tst_phi``: the track soft term of the MET
#: (minus the vector sum of the soft tracks, ``susyscan.detector.simulate.track_soft_term``). ``process_component``:
#: index of the event's component in the metadata list ``components`` (composite processes,
#: ``susyscan.generation.processes.ProcessSpec.components``). ``tau_tag_weight``: the tau truth-tagging factor P1
#: (opt-in ``detector.tau_truth_tagging``, ``susyscan.detector.truthtag``; the analysis multiplies it into the
#: event weight from its ``n_taus == 1`` cut on, ``susyscan.analysis.tautruth``).
OPTIONAL_SCALARS: dict[str, type] = {"met_tst": np.float32, "met_tst_phi": np.float32, "process_component": np.int32,
                                     "tau_tag_weight": np.float64}
#: the tau truth-tagging factor branch and the metadata key of truth-tagged files (``susyscan.detector.truthtag``)
TAU_TAG_WEIGHT = "tau_tag_weight"
TAU_TRUTH_TAG_METADATA_KEY = "tau_truth_tagging"

#: every branch of the contract, in file order
BRANCHES: tuple[str, ...] = ("weight",) + tuple(
    f"{prefix}_{field}" for prefix, fields in COLLECTIONS.items() for field in fields
) + ("met", "met_phi")

#: prefix of the optional per-event alternative-weight branches (float64, one per LHEF 3 scale/PDF variation or
#: Pythia variation weight); each one is described in the metadata list ``alt_weight_columns``
#: (:func:`susyscan.ingest.weights.weight_columns`). Not part of ``BRANCHES``: readers ask for them explicitly.
ALT_WEIGHT_PREFIX = "altw_"
ALT_WEIGHT_METADATA_KEY = "alt_weight_columns"

#: metadata keys every file must carry
METADATA_KEYS: tuple[str, ...] = (
    "sample", "process", "chunk", "seed", "n_events", "sum_weights", "sum_weights2", "xsec_pb",
    "xsec_source", "xsec_lo_pb", "sqrt_s_gev", "generator", "detector_card", "config_hash", "susyscan_version",
)


def branch_dtype(branch: str) -> type:
    """numpy dtype of a contract branch (of its elements for jagged branches)."""
    if branch in SCALARS:
        return SCALARS[branch]
    prefix, _, field = branch.partition("_")
    return COLLECTIONS[prefix][field]


def counter_name(prefix: str) -> str:
    """Name of the counter branch uproot writes for a collection."""
    return f"n{prefix}"
