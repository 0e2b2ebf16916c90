"""Network inputs: high-level features and the padded particle-flow candidate block, stored as the shared
``susyscan.training.eventtable`` container (.npz: per-event columns, the two blocks, metadata).

Padding convention: the candidate block has a fixed size ``max_candidates`` (the budget M of the threshold, see
:mod:`.budget`; highest-pT kept, the multiplicity before the cut is stored as ``n_candidates``); every
feature of a padded slot equals ``PADDING_VALUE`` and the mask is ``pfcands[..., 0] != PADDING_VALUE``
(feature 0 is log pT, which is >= log(pfcand_pt_min) > PADDING_VALUE for real candidates).
Missing jets in the high-level block take ``SENTINEL``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.errors import EventFileError, FeatureError
from susyscan.training.dataset import chunk_weights_pb
from susyscan.training.eventtable import EventTable, concat_tables, read_table, write_table
from susyscan.training.folds import event_ids
from susyscan.analyses.ewkino.budget import candidate_multiplicity
from susyscan.analyses.ewkino.config import EwkinoConfig
from susyscan.analyses.ewkino.selection import check_branches, delta_phi, event_variables, selected_jets, signal_masses

if TYPE_CHECKING:
    from susyscan.analyses.ewkino.pileup import PileupOverlay

logger = logging.getLogger(__name__)

SENTINEL = -999.0
PADDING_VALUE = -999.0
PFCAND_BRANCHES = ("pfcand_pt", "pfcand_eta", "pfcand_phi", "pfcand_charge", "pfcand_pid")
PID_CLASSES: dict[str, int] = {"electron": 11, "muon": 13, "photon": 22, "charged_hadron": 211, "neutral_hadron": 130}
PFCAND_FEATURES = ["log_pt", "eta", "dphi_ref", "charge"] + [f"is_{name}" for name in PID_CLASSES]
HL_EVENT_FEATURES = ["met", "met_phi", "ht", "meff", "n_jets", "min_dphi_jet_met", "met_over_sqrt_ht"]
INPUTS_FORMAT_VERSION = 3
"""2: per-event ``n_candidates`` (multiplicity above the threshold before the budget) is stored; 3: the file is a
``susyscan.training.eventtable`` .npz (same arrays, plus per-event ``sample, chunk, process, is_signal, m_parent,
m_lsp`` columns)."""
INPUTS_HEADER_KEYS = ("sample", "process", "chunk", "sum_weights", "sum_weights2", "xsec_pb", "masses", "n_events")
INPUTS_COLUMNS = ("sample", "chunk", "event", "process", "is_signal", "m_parent", "m_lsp", "gen_weight", "baseline",
                  "n_candidates")
#: metadata that every file read together must share: a signal with pileup overlay is never mixed silently with a
#: background without it, nor files of another threshold, budget, padding, sentinel or phi reference
INPUTS_SAME_METADATA = ("inputs_format_version", "pfcand_pt_min", "max_candidates", "padding_value", "sentinel",
                        "phi_reference", "pileup_mu")
INPUTS_METADATA = (*INPUTS_SAME_METADATA, "chunk_header")


def highlevel_feature_names(max_jets: int) -> list[str]:
    """Event features then pT, eta and phi-relative-to-MET of jets 1..max_jets."""
    jet_names = [f"jet{i}_{what}" for i in range(1, max_jets + 1) for what in ("pt", "eta", "dphi_met")]
    return HL_EVENT_FEATURES + jet_names


def highlevel_features(events: ak.Array, cfg: EwkinoConfig) -> np.ndarray:
    """[N, F] float32 high-level block (order of ``highlevel_feature_names``)."""
    variables = event_variables(events, cfg)
    jets = selected_jets(events, cfg)
    n_jets_max = cfg.inputs.max_jets
    ht = variables["ht"]
    columns = [
        variables["met"], variables["met_phi"], ht, variables["meff"], variables["n_jets"].astype(np.float64),
        variables["min_dphi_jet_met"], variables["met"] / np.sqrt(np.maximum(ht, 1.0)),
    ]
    padded = ak.pad_none(jets[:, :n_jets_max], n_jets_max, axis=1, clip=True)

    def dense(values: ak.Array) -> np.ndarray:
        return ak.to_numpy(ak.fill_none(values, np.nan)).astype(np.float64).reshape(len(events), n_jets_max)

    pt, eta, phi = dense(padded.pt), dense(padded.eta), dense(padded.phi)
    dphi = delta_phi(phi, variables["met_phi"][:, np.newaxis])
    for i in range(n_jets_max):
        for values in (pt, eta, dphi):
            columns.append(np.where(np.isnan(values[:, i]), SENTINEL, values[:, i]))
    return np.stack(columns, axis=1).astype(np.float32) if columns else np.zeros((len(events), 0), np.float32)


def _reference_phi(events: ak.Array, cfg: EwkinoConfig) -> np.ndarray:
    met_phi = ak.to_numpy(events["met_phi"]).astype(np.float64)
    if cfg.inputs.phi_reference == "met":
        return met_phi
    jets = selected_jets(events, cfg)
    jet1_phi = ak.fill_none(ak.pad_none(jets.phi, 1, axis=1)[:, 0], np.nan)
    jet1_phi = ak.to_numpy(jet1_phi).astype(np.float64)
    return np.where(np.isfinite(jet1_phi), jet1_phi, met_phi)  # no jet: fall back to MET


def pfcand_block(events: ak.Array, cfg: EwkinoConfig, pt_min: float, max_candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """([N, M, C] float32 candidate features, [N, M] bool mask) with candidates above ``pt_min``.

    The ``max_candidates`` highest-pT candidates are kept; padded slots hold PADDING_VALUE.
    """
    check_branches(events, "pfcand block", PFCAND_BRANCHES)
    cands = ak.zip({name.removeprefix("pfcand_"): events[name] for name in PFCAND_BRANCHES})
    cands = cands[cands.pt > pt_min]
    cands = cands[ak.argsort(cands.pt, axis=1, ascending=False)][:, :max_candidates]
    ref_phi = _reference_phi(events, cfg)
    abs_pid = abs(cands.pid)
    per_feature = [np.log(cands.pt), cands.eta, delta_phi(cands.phi, ref_phi), cands.charge * 1.0]
    for pid in PID_CLASSES.values():
        per_feature.append((abs_pid == pid) * 1.0)
    known = ak.to_numpy(ak.flatten(sum(((abs_pid == pid) * 1 for pid in PID_CLASSES.values())), axis=None))
    n_unknown = int((known == 0).sum())
    if n_unknown:
        logger.warning("%d PF candidates with a pid outside %s: all one-hot flags are 0", n_unknown, list(PID_CLASSES.values()))
    block = np.full((len(events), max_candidates, len(per_feature)), PADDING_VALUE, dtype=np.float32)
    for j, values in enumerate(per_feature):
        padded = ak.fill_none(ak.pad_none(values, max_candidates, axis=1, clip=True), PADDING_VALUE)
        block[:, :, j] = ak.to_numpy(padded).astype(np.float32)
    mask = block[:, :, 0] != PADDING_VALUE
    return block, mask


#: The per-event fields of :class:`InputSet` (one row per event; the others are per-set).
PER_EVENT_FIELDS = ("highlevel", "pfcands", "gen_weight", "baseline", "is_signal", "m_parent", "m_lsp", "sample",
                    "event", "chunk", "weight_pb", "n_candidates")


@dataclass
class InputSet:
    """Network inputs of one or more chunks (weights normalised in pb when merged)."""

    highlevel: np.ndarray
    pfcands: np.ndarray
    gen_weight: np.ndarray
    baseline: np.ndarray
    is_signal: np.ndarray
    m_parent: np.ndarray
    m_lsp: np.ndarray
    sample: np.ndarray
    event: np.ndarray
    chunk: np.ndarray
    feature_names: list[str]
    pfcand_feature_names: list[str]
    pfcand_pt_min: float
    max_candidates: int
    padding_value: float = PADDING_VALUE
    weight_pb: np.ndarray = field(default_factory=lambda: np.zeros(0))
    metadata: list[dict[str, Any]] = field(default_factory=list)
    n_candidates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def mask(self) -> np.ndarray:
        """[N, M] True for real candidates."""
        return self.pfcands[:, :, 0] != self.padding_value

    def __len__(self) -> int:
        return len(self.gen_weight)

    def ids(self) -> np.ndarray:
        """The events' stable ids ``chunk * 2**32 + event`` (``susyscan.training.folds.event_ids``; a duplicate
        (sample, chunk, event) is an error), the key of the shared id-based split and halves."""
        return event_ids(pd.DataFrame({"sample": self.sample.astype(str), "chunk": self.chunk, "event": self.event}),
                         "ewkino inputs")

    def subset(self, index: np.ndarray) -> InputSet:
        """Events ``index`` (bool mask or integer indices)."""
        per_event = {name: getattr(self, name)[index] for name in PER_EVENT_FIELDS}
        return InputSet(**per_event, feature_names=self.feature_names, pfcand_feature_names=self.pfcand_feature_names,
                        pfcand_pt_min=self.pfcand_pt_min, max_candidates=self.max_candidates,
                        padding_value=self.padding_value, metadata=self.metadata)


def build_inputs(events: ak.Array, metadata: dict[str, Any], cfg: EwkinoConfig, selected: np.ndarray,
                 baseline: np.ndarray, pt_min: float, max_candidates: int,
                 pileup: PileupOverlay | None = None) -> EventTable:
    """The inputs table (``susyscan.training.eventtable``) of the ``selected`` events of one chunk; with ``pileup``
    its overlay is added to their PF candidates (only: high-level block, selection and weights unchanged) before
    the block and the multiplicity are built.

    Columns: the event ids ``sample, chunk, event``, ``process, is_signal, m_parent, m_lsp`` (as in the shared
    feature tables), ``gen_weight``, ``baseline`` and ``n_candidates``; blocks ``highlevel`` [N, F] and ``pfcands``
    [N, M, C] with their feature names; metadata the threshold, budget, padding, sentinel, phi reference, pileup mu
    and the chunk header (``INPUTS_HEADER_KEYS``).
    """
    chosen = events[selected]
    if pileup is not None:
        chosen = pileup.apply(chosen, metadata)
    highlevel = highlevel_features(chosen, cfg)
    pfcands, _ = pfcand_block(chosen, cfg, pt_min, max_candidates)
    n_candidates = candidate_multiplicity(chosen, pt_min)
    where = f"sample {metadata.get('sample')} chunk {metadata.get('chunk')}"
    for name, block in (("highlevel", highlevel), ("pfcands", pfcands)):
        if not np.isfinite(block).all():
            raise FeatureError(f"{where}: non-finite values in the {name} block")
    missing = [key for key in ("sample", "chunk") if key not in metadata]
    if missing:
        raise EventFileError(f"{where}: event-file metadata lacks {missing} (the event ids of the inputs)")
    is_signal, m_parent, m_lsp = signal_masses(metadata, cfg)
    n = len(highlevel)
    header = {key: metadata.get(key) for key in INPUTS_HEADER_KEYS}
    columns = {
        "sample": np.full(n, str(metadata["sample"])),
        "chunk": np.full(n, int(metadata["chunk"]), dtype=np.int64),
        "event": np.flatnonzero(selected).astype(np.int64),
        "process": np.full(n, str(metadata.get("process"))),
        "is_signal": np.full(n, int(is_signal), dtype=np.int8),
        "m_parent": np.full(n, float(m_parent)),
        "m_lsp": np.full(n, float(m_lsp)),
        "gen_weight": ak.to_numpy(chosen["weight"]).astype(np.float64),
        "baseline": baseline[selected].astype(np.int8),
        "n_candidates": n_candidates.astype(np.int32),
    }
    info = {
        "inputs_format_version": INPUTS_FORMAT_VERSION,
        "pfcand_pt_min": float(pt_min),
        "max_candidates": int(max_candidates),
        "padding_value": PADDING_VALUE,
        "sentinel": SENTINEL,
        "phi_reference": cfg.inputs.phi_reference,
        "pileup_mu": float(pileup.mu) if pileup is not None else 0.0,
        "chunk_header": header,
    }
    return EventTable(columns, {"highlevel": highlevel, "pfcands": pfcands},
                      {"highlevel": highlevel_feature_names(cfg.inputs.max_jets), "pfcands": list(PFCAND_FEATURES)},
                      info, where)


def write_inputs(table: EventTable, path: str | Path) -> None:
    """Write the table of ``build_inputs`` (``susyscan.training.eventtable.write_table``: a compressed .npz)."""
    write_table(table, path)


def _read_one(path: Path) -> EventTable:
    table = read_table(path)
    version = table.metadata.get("inputs_format_version")
    if version != INPUTS_FORMAT_VERSION:
        raise EventFileError(f"inputs file {path}: inputs format version {version}, expected {INPUTS_FORMAT_VERSION} "
                             "(rerun rule model_inputs)")
    missing = [k for k in INPUTS_COLUMNS if k not in table.columns] + [
        k for k in ("highlevel", "pfcands") if k not in table.blocks or k not in table.fields]
    missing += [k for k in INPUTS_METADATA if k not in table.metadata]
    if missing:
        raise EventFileError(f"inputs file {path}: missing fields {missing} (rerun rule model_inputs)")
    return table


def read_inputs(paths: list[str | Path] | str | Path) -> InputSet:
    """Read and concatenate input files; ``weight_pb = gen_weight * xsec_pb / total_sum_weights``
    where the total sums the chunks of each sample given here."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not files:
        raise EventFileError("no inputs files given")
    tables = [_read_one(p) for p in files]
    merged = concat_tables(tables, same_metadata=INPUTS_SAME_METADATA)
    headers = [table.metadata["chunk_header"] for table in tables]
    weight_pb = chunk_weights_pb(tables)  # the dataset stage's normalisation of chunk tables
    cols = merged.columns
    info = merged.metadata
    return InputSet(
        highlevel=merged.blocks["highlevel"], pfcands=merged.blocks["pfcands"], gen_weight=cols["gen_weight"],
        baseline=cols["baseline"].astype(bool), is_signal=cols["is_signal"], m_parent=cols["m_parent"],
        m_lsp=cols["m_lsp"], sample=cols["sample"].astype(object), event=cols["event"], chunk=cols["chunk"],
        feature_names=merged.fields["highlevel"], pfcand_feature_names=merged.fields["pfcands"],
        pfcand_pt_min=float(info["pfcand_pt_min"]), max_candidates=int(info["max_candidates"]),
        padding_value=float(info["padding_value"]), weight_pb=np.concatenate(weight_pb), metadata=headers,
        n_candidates=cols["n_candidates"].astype(np.int64),
    )


def inputs_from_split(frame: pd.DataFrame, blocks: Mapping[str, np.ndarray], info: Mapping[str, Any],
                      source: str) -> InputSet:
    """The InputSet of one split of a dataset written by the shared dataset stage from inputs tables
    (``susyscan.training.dataset``: ``frame`` and ``blocks`` of the split, ``info`` its meta JSON, whose
    ``input_metadata`` holds the metadata shared by all input tables). Keys of ``INPUTS_SAME_METADATA`` that differed
    between the input tables (so are absent there) are an error naming ``source``."""
    shared = info.get("input_metadata") or {}
    missing = [k for k in INPUTS_SAME_METADATA if k not in shared]
    missing += [k for k in ("highlevel", "pfcands") if k not in blocks]
    missing += [k for k in INPUTS_COLUMNS if k not in frame.columns] + (["weight_pb"] * ("weight_pb" not in frame))
    if missing:
        raise EventFileError(f"{source}: not a dataset of ewkino inputs tables, or its input tables differ in "
                             f"{missing} (rerun rule prepare_dataset)")
    if shared["inputs_format_version"] != INPUTS_FORMAT_VERSION:
        raise EventFileError(f"{source}: inputs format version {shared['inputs_format_version']}, expected "
                             f"{INPUTS_FORMAT_VERSION} (rerun rules model_inputs and prepare_dataset)")
    fields = {name: list(spec["fields"]) for name, spec in info["blocks"].items()}
    return InputSet(
        highlevel=blocks["highlevel"], pfcands=blocks["pfcands"], gen_weight=frame["gen_weight"].to_numpy(),
        baseline=frame["baseline"].to_numpy().astype(bool), is_signal=frame["is_signal"].to_numpy(),
        m_parent=frame["m_parent"].to_numpy(), m_lsp=frame["m_lsp"].to_numpy(),
        sample=frame["sample"].to_numpy().astype(object), event=frame["event"].to_numpy(),
        chunk=frame["chunk"].to_numpy(), feature_names=fields["highlevel"], pfcand_feature_names=fields["pfcands"],
        pfcand_pt_min=float(shared["pfcand_pt_min"]), max_candidates=int(shared["max_candidates"]),
        padding_value=float(shared["padding_value"]), weight_pb=frame["weight_pb"].to_numpy(dtype=np.float64),
        n_candidates=frame["n_candidates"].to_numpy().astype(np.int64),
    )
