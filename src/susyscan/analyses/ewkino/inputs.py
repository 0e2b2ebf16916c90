"""Network inputs: high-level features and the padded particle-flow candidate block; .npz I/O.

Padding convention: the candidate block has a fixed size ``max_candidates`` (the budget M of the threshold, see
:mod:`.budget`; highest-pT kept, the multiplicity before the cut is stored as ``n_candidates``); every
feature of a padded slot equals ``PADDING_VALUE`` and the mask is ``pfcands[..., 0] != PADDING_VALUE``
(feature 0 is log pT, which is >= log(pfcand_pt_min) > PADDING_VALUE for real candidates).
Missing jets in the high-level block take ``SENTINEL``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.atomic import atomic_path
from susyscan.errors import EventFileError, FeatureError
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
INPUTS_FORMAT_VERSION = 2
"""2: per-event ``n_candidates`` (multiplicity above the threshold before the budget) is stored."""


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
        per_event = {name: getattr(self, name)[index] for name in
                     ("highlevel", "pfcands", "gen_weight", "baseline", "is_signal", "m_parent", "m_lsp",
                      "sample", "event", "chunk", "weight_pb", "n_candidates")}
        return InputSet(**per_event, feature_names=self.feature_names, pfcand_feature_names=self.pfcand_feature_names,
                        pfcand_pt_min=self.pfcand_pt_min, max_candidates=self.max_candidates,
                        padding_value=self.padding_value, metadata=self.metadata)


def build_inputs(events: ak.Array, metadata: dict[str, Any], cfg: EwkinoConfig, selected: np.ndarray,
                 baseline: np.ndarray, pt_min: float, max_candidates: int,
                 pileup: PileupOverlay | None = None) -> dict[str, np.ndarray]:
    """Arrays of the .npz file for the ``selected`` events of one chunk; with ``pileup`` its overlay is added to
    their PF candidates (only: high-level block, selection and weights unchanged) before the block and the
    multiplicity are built."""
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
    is_signal, m_parent, m_lsp = signal_masses(metadata, cfg)
    header = {key: metadata.get(key) for key in ("sample", "process", "chunk", "sum_weights", "sum_weights2",
                                                  "xsec_pb", "masses", "n_events")}
    return {
        "format_version": np.array(INPUTS_FORMAT_VERSION),
        "highlevel": highlevel,
        "pfcands": pfcands,
        "gen_weight": ak.to_numpy(chosen["weight"]).astype(np.float64),
        "baseline": baseline[selected].astype(np.int8),
        "event": np.flatnonzero(selected).astype(np.int64),
        "n_candidates": n_candidates.astype(np.int32),
        "is_signal": np.array(is_signal),
        "m_parent": np.array(m_parent),
        "m_lsp": np.array(m_lsp),
        "feature_names": np.array(highlevel_feature_names(cfg.inputs.max_jets)),
        "pfcand_feature_names": np.array(PFCAND_FEATURES),
        "pfcand_pt_min": np.array(float(pt_min)),
        "max_candidates": np.array(int(max_candidates)),
        "padding_value": np.array(PADDING_VALUE),
        "sentinel": np.array(SENTINEL),
        "phi_reference": np.array(cfg.inputs.phi_reference),
        "pileup_mu": np.array(float(pileup.mu) if pileup is not None else 0.0),
        "metadata": np.array(json.dumps(header)),
    }


def write_inputs(arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Write the arrays of ``build_inputs`` as a compressed .npz (atomically, through an open handle: numpy would
    append .npz to a bare temporary name)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]


def _read_one(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise EventFileError(f"inputs file {path}: cannot read .npz: {exc}") from exc
    required = ("highlevel", "pfcands", "gen_weight", "metadata", "feature_names", "pfcand_feature_names",
                "n_candidates")
    missing = [k for k in required if k not in arrays]
    if missing:
        version = int(arrays["format_version"]) if "format_version" in arrays else None
        raise EventFileError(f"inputs file {path}: missing arrays {missing} (format version {version}, "
                             f"expected {INPUTS_FORMAT_VERSION}: rerun rule ewkino_inputs)")
    return arrays, json.loads(str(arrays["metadata"]))


def read_inputs(paths: list[str | Path] | str | Path) -> InputSet:
    """Read and concatenate input files; ``weight_pb = gen_weight * xsec_pb / total_sum_weights``
    where the total sums the chunks of each sample given here."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not files:
        raise EventFileError("no inputs files given")
    loaded = [(p, *_read_one(p)) for p in files]
    first_path, first, _ = loaded[0]
    total_sumw: dict[str, float] = {}
    for path, arrays, meta in loaded:
        for key in ("feature_names", "pfcand_feature_names"):
            if list(arrays[key]) != list(first[key]):
                raise FeatureError(f"inputs file {path}: {key} differ from {first_path}")
        for key in ("pfcand_pt_min", "max_candidates", "padding_value"):
            if float(arrays[key]) != float(first[key]):
                raise FeatureError(f"inputs file {path}: {key}={arrays[key]} differs from {first_path} ({first[key]})")
        total_sumw[meta["sample"]] = total_sumw.get(meta["sample"], 0.0) + float(meta["sum_weights"])
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("highlevel", "pfcands", "gen_weight", "baseline", "is_signal",
                                                          "m_parent", "m_lsp", "sample", "event", "chunk",
                                                          "weight_pb", "n_candidates")}
    for path, arrays, meta in loaded:
        n = len(arrays["gen_weight"])
        if total_sumw[meta["sample"]] <= 0:
            raise FeatureError(f"inputs file {path}: sample {meta['sample']} has total sum of weights <= 0")
        columns["highlevel"].append(arrays["highlevel"])
        columns["pfcands"].append(arrays["pfcands"])
        columns["gen_weight"].append(arrays["gen_weight"])
        columns["baseline"].append(arrays["baseline"].astype(bool))
        columns["event"].append(arrays["event"])
        columns["n_candidates"].append(arrays["n_candidates"].astype(np.int64))
        columns["is_signal"].append(np.full(n, int(arrays["is_signal"]), dtype=np.int8))
        columns["m_parent"].append(np.full(n, float(arrays["m_parent"])))
        columns["m_lsp"].append(np.full(n, float(arrays["m_lsp"])))
        columns["sample"].append(np.full(n, meta["sample"], dtype=object))
        columns["chunk"].append(np.full(n, int(meta["chunk"]), dtype=np.int64))
        columns["weight_pb"].append(arrays["gen_weight"] * float(meta["xsec_pb"]) / total_sumw[meta["sample"]])
    return InputSet(
        **{k: np.concatenate(v) for k, v in columns.items()},
        feature_names=[str(x) for x in first["feature_names"]],
        pfcand_feature_names=[str(x) for x in first["pfcand_feature_names"]],
        pfcand_pt_min=float(first["pfcand_pt_min"]), max_candidates=int(first["max_candidates"]),
        padding_value=float(first["padding_value"]), metadata=[meta for _, _, meta in loaded],
    )
