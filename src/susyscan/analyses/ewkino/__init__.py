"""Squark + electroweakino analysis with particle-flow networks (arXiv:2411.00093, docs/analysis_ewkino.md).

Its selection is code (:mod:`.selection`, thresholds from ``config/analyses/ewkino.yaml``) run by the shared
``select_features`` rule through :data:`SPEC`'s ``select``; its network inputs (a high-level and a padded PF block
per PF-candidate threshold) are written by the shared ``model_inputs`` rule through ``write_inputs`` /
``input_variants`` (:mod:`.prepare`); its networks (particle-flow ensembles per soft-particle
threshold, built by :data:`SPEC`'s ``model_factory`` and trained, saved and exported by ``susyscan.training``),
significance, importance and threshold-gain tables have their own rules (``workflow/rules/ewkino.smk``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from susyscan.analyses.spec import AnalysisSpec, ScanRegion

#: High-level variables written to the ewkino feature CSVs (cutflow bookkeeping; the networks read the inputs tables).
FEATURES: tuple[str, ...] = ("met", "jet1_pt", "ht", "meff", "min_dphi_jet_met", "n_jets")
BASELINE_FLAG = "sr_baseline"
#: Options of the shared dataset stage (``susyscan.training.dataset.build_dataset``) for ewkino's datasets (rule
#: ``prepare_block_dataset``, ``SPEC.extra["dataset_options"]``): one model per PF threshold and fold (``kfold``:
#: the default 1, fold 0, whose held-out table is the test split; ``analyses.ewkino.training.kfold`` replaces it),
#: the id-based train/val/test split (the evaluation stages recompute the test events, or each event's fold, from the
#: ids), every event kept (the trainer's loss balances the classes). The split fractions and seed are
#: ``analyses.ewkino.training.split`` / ``seed``.
DATASET_OPTIONS: dict[str, Any] = {"kfold": 1, "split_scheme": "id", "balance": False}


def select(events: Any, metadata: dict[str, Any], config_path: str) -> tuple[Any, dict[str, Any]]:
    """The ewkino selection of one chunk: (feature table of the preselected events, cutflow record)."""
    import awkward as ak
    import numpy as np
    import pandas as pd

    from susyscan.analyses.ewkino.config import load_ewkino_config
    from susyscan.analyses.ewkino.selection import event_variables, select_events, signal_masses

    cfg = load_ewkino_config(config_path)
    presel, baseline, record = select_events(events, metadata, cfg)
    variables = event_variables(events, cfg)
    frame = pd.DataFrame({name: np.asarray(variables[name], dtype=np.float64)[presel] for name in FEATURES})
    is_signal, m_parent, m_lsp = signal_masses(metadata, cfg)
    frame["gen_weight"] = ak.to_numpy(events["weight"]).astype(np.float64)[presel]
    frame["sample"] = str(metadata["sample"])
    frame["process"] = str(metadata["process"])
    frame["is_signal"] = is_signal
    frame["m_parent"] = m_parent
    frame["m_lsp"] = m_lsp
    frame["chunk"] = int(metadata["chunk"])
    frame["event"] = np.flatnonzero(presel)
    frame[BASELINE_FLAG] = baseline[presel].astype(np.int8)
    return frame, record


def input_variants(config_path: str, run_config: Any) -> list[str]:
    """The PF-threshold variants ``pt<GeV>`` of the inputs (:func:`.prepare.input_variants`)."""
    from susyscan.analyses.ewkino.prepare import input_variants as variants

    return variants(config_path, run_config)


def scan_variant(variants: Sequence[str], config_path: str, run_config: Any) -> str:
    """The PF-threshold variant of the scan, one of ``variants`` (:func:`.prepare.scan_variant`)."""
    from susyscan.analyses.ewkino.prepare import scan_variant as variant

    return variant(variants, config_path, run_config)


def write_inputs(events_path: str, config_path: str, variant: str, inputs_out: str, cutflow_out: str) -> None:
    """Network inputs of one chunk and PF-threshold variant (:func:`.prepare.write_variant_inputs`)."""
    from susyscan.analyses.ewkino.prepare import write_variant_inputs

    write_variant_inputs(events_path, config_path, variant, inputs_out, cutflow_out)


def model_factory(network: Any, seed: int) -> Any:
    """One ensemble member for the shared torch trainer (:func:`.model.build_member`; torch imported on use)."""
    from susyscan.analyses.ewkino.model import build_member

    return build_member(network, seed)


def train_nn(dataset_paths: Mapping[str, str], outputs: Any, training: dict[str, Any]) -> dict[str, Any]:
    """The ensemble on the shared rule ``train_nn``: :func:`.stages.train_shared` on the dataset's files (training-data
    hash checked on load), ``training`` the analyses.ewkino.training settings (torch imported on use)."""
    from susyscan.analyses.ewkino.stages import train_shared
    from susyscan.analyses.ewkino.train import TrainConfig
    from susyscan.training.dataset import load_dataset

    dataset = load_dataset(dataset_paths, dataset_paths["meta"])
    return train_shared(dataset, TrainConfig.from_dict(training), str(dataset_paths["meta"]), outputs)


def export_nn(model_path: str, dataset_paths: Mapping[str, str], onnx_out: str, parity_out: str,
              score_threshold: float, scores_plot: str) -> float:
    """The ensemble's ONNX export on the shared rule ``export_onnx``: the shared ``export_from_files`` (parity on the
    test split, 1e-5) with ewkino's model factory and ONNX metadata (:func:`.stages.export_options`)."""
    from susyscan.analyses.ewkino.stages import export_options
    from susyscan.training.stages import export_from_files

    return export_from_files(model_path, "nn", dataset_paths, onnx_out, parity_out, score_threshold=score_threshold,
                             scores_plot=scores_plot, **export_options(score_threshold))


SPEC = AnalysisSpec(
    name="ewkino",
    grid=("m_squark", "m_electroweakino", "sq_ewkino"),
    features=FEATURES,
    models=("nn",),
    select=select,
    model_factory=model_factory,
    shared_ml=False,
    write_inputs=write_inputs,
    input_variants=input_variants,
    extra={"dataset_options": DATASET_OPTIONS},
    train_nn=train_nn,
    export_nn=export_nn,
    # the shared scan: the network of one PF threshold, and the kinematic baseline (its select's flag column)
    scan_variant=scan_variant,
    scan_regions=(ScanRegion("baseline", column=BASELINE_FLAG), ScanRegion("nn", model="nn")),
    axis_labels=(r"$m(\tilde{q})$ [GeV]", r"$m(\tilde{\chi}^0_1, \tilde{\chi}^\pm_1)$ [GeV]"),
    # issue 17: the signal as generated, sq_ewkino_isr = sq_ewkino (squark + electroweakino, squark pairs) + wino_pair
    # (wino pairs + ISR jets, parton-level recoil filter), wino-like LSP, simulated without pileup
    title=(r"$\tilde{q}\tilde{\chi}$ + $\tilde{q}\tilde{q}^{(*)}$ + $\tilde{\chi}\tilde{\chi}$+ISR, "
           r"wino-like $\tilde{\chi}^0_1, \tilde{\chi}^\pm_1$ (no pileup)"),
)
