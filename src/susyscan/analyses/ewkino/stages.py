"""File-to-file stage functions behind the scripts and the CLI."""

from __future__ import annotations

import logging
from dataclasses import asdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from susyscan import atomic
from susyscan.analyses.ewkino import DATASET_OPTIONS, SPEC
from susyscan.analyses.ewkino.export import budget, ewkino_metadata, open_model, pfcand_pt_min
from susyscan.analyses.ewkino.importance import permutation_importance, write_importance
from susyscan.analyses.ewkino.inputs import InputSet, read_inputs
from susyscan.analyses.ewkino.model import NetConfig
from susyscan.analyses.ewkino.paired import join_scores, paired_ratio_bootstrap, score_table
from susyscan.analyses.ewkino.pileup import pileup_note
from susyscan.analyses.ewkino.significance import half_weights, significance_table, threshold_comparison
from susyscan.analyses.ewkino.train import (HIGHLEVEL, MASS_REGION, PFCANDS, WHOLE_GRID, TrainConfig, blocks,
                                            dataset_parts, ensemble_provenance, network_settings, test_split_metrics,
                                            training_weights)
from susyscan.atomic import write_text_atomic
from susyscan.training.dataset import PreparedDataset, Split, build_dataset, read_tables
from susyscan.training.halves import cut_choice_halves
from susyscan.training.onnx_model import OnnxModel
from susyscan.training.outputs import ModelOutputs
from susyscan.training.train_nn import NNTrainingResult

if TYPE_CHECKING:
    from susyscan.scan.inference import FoldEnsemble

logger = logging.getLogger(__name__)
Paths = list[str | Path]


def write_csv_atomic(table: pd.DataFrame, path: str | Path) -> None:
    """The shared atomic CSV writer, floats to 9 significant digits (the ewkino tables' format)."""
    atomic.write_csv_atomic(table, path, float_format="%.9g")


#: ``input_metadata`` keys of the missing-value markers of ewkino's two blocks (``dataset_standardisations``).
PADDING_KEYS = {HIGHLEVEL: "sentinel", PFCANDS: "padding_value"}


def inputs_dataset(input_paths: Paths, cfg: TrainConfig, fold: int = 0) -> PreparedDataset:
    """The dataset of the shared dataset stage built in memory from inputs files (the CLI; the workflow writes it,
    rule ``prepare_block_dataset``): ``read_tables`` + ``build_dataset`` with ``DATASET_OPTIONS``, the whole grid,
    ``cfg``'s number of folds, split and seed, fold ``fold``; ``expected_events`` per fb^-1 (unused by the
    training)."""
    options = {**DATASET_OPTIONS, "kfold": cfg.kfold}
    return build_dataset(read_tables(input_paths), MASS_REGION, WHOLE_GRID, 1.0, cfg.seed, cfg.split, [],
                         fold=fold, **options)


def train_shared(dataset: PreparedDataset, cfg: TrainConfig, source: str, outputs: ModelOutputs) -> dict[str, Any]:
    """The ensemble through the shared ``run_nn``: the dataset checked (``train.dataset_parts``), ``cfg.shared()``
    as the ``training.nn`` settings, :data:`SPEC`'s model factory on ``train.network_settings``, the blocks
    standardised without the recorded sentinel and padding (:data:`PADDING_KEYS`), ``train.training_weights`` of
    each split as the loss weights, ewkino's provenance in model.pt (``train.ensemble_provenance``) and its
    test-split AUCs, candidate budget and samples in metrics.json. The training-data hash is the dataset's (the
    shared provenance check of ``export_model``)."""
    from susyscan.training.stages import run_nn

    parts = dataset_parts(dataset, cfg, source)
    per_point = cfg.signal_weighting == "per_point"
    provenance = ensemble_provenance(parts, cfg)

    def weights(name: str, split: Split) -> np.ndarray:
        return training_weights(parts[name], per_point)

    def extra(result: NNTrainingResult) -> dict[str, Any]:
        return {**test_split_metrics(result, parts["test"]), "signal_weighting": cfg.signal_weighting,
                "n_members": cfg.n_members, "pfcand_pt_min": provenance["pfcand_pt_min"],
                "samples": sorted(set().union(*(part.sample.tolist() for part in parts.values()))),
                "candidate_budget": provenance["candidate_budget"]}

    return run_nn(dataset, outputs, asdict(cfg.shared()), progress=False, model_factory=SPEC.model_factory,
                  network=network_settings(cfg, parts["train"]), padding_keys=PADDING_KEYS, event_weights=weights,
                  provenance=provenance, extra_metrics=extra)


def export_options(score_threshold: float) -> dict[str, Any]:
    """ewkino's arguments of the shared ``export_model`` / ``export_from_files``: :data:`SPEC`'s model factory,
    its network settings class and its ONNX metadata (``export.ewkino_metadata`` of the model.pt provenance, with
    the scan's cut ``score_threshold``)."""
    return {"model_factory": SPEC.model_factory, "network_type": NetConfig,
            "metadata": lambda payload: ewkino_metadata(payload, score_threshold)}


def run_multiplicity(input_paths: Paths, table_out: str | Path) -> pd.DataFrame:
    """Candidate multiplicity above the threshold per sample (quantiles) and the fraction of events truncated by the
    files' budget (CSV; ``budget.multiplicity_table``)."""
    from susyscan.analyses.ewkino.budget import multiplicity_table, read_multiplicities

    counts, max_candidates, pt_min = read_multiplicities([str(p) for p in input_paths])
    table = multiplicity_table(counts, max_candidates, pt_min)
    overall = table.iloc[-1]
    logger.info("pT > %g GeV: median %.0f, 99 %% quantile %.0f candidates; budget M = %d truncates %.2f %% of %d events",
                pt_min, overall["q50"], overall["q99"], max_candidates, 100 * overall["fraction_truncated"],
                overall["n_events"])
    write_csv_atomic(table, table_out)
    return table


#: Events per onnxruntime call when the fold models score an evaluation set.
FOLD_BATCH = 65536


def _check_inputs(onnx: OnnxModel, inputs: InputSet) -> None:
    """The inputs must be those the model was trained on: feature names, PF threshold and budget M."""
    if inputs.feature_names != onnx.feature_names or inputs.max_candidates != budget(onnx) \
            or inputs.pfcand_pt_min != pfcand_pt_min(onnx):
        from susyscan.errors import ModelMetadataError

        raise ModelMetadataError(f"{onnx.path}: inputs (pT_min={inputs.pfcand_pt_min}, M={inputs.max_candidates}) "
                                 f"do not match the model (pT_min={pfcand_pt_min(onnx)}, M={budget(onnx)})")


def id_frame(inputs: InputSet) -> pd.DataFrame:
    """The events' stable ids (sample, chunk, event): what the shared fold assignment reads."""
    return pd.DataFrame({"sample": inputs.sample.astype(str), "chunk": inputs.chunk, "event": inputs.event})


def fold_ensemble(onnx_paths: Sequence[str | Path]) -> FoldEnsemble:
    """The fold models of a region (fold f listed at index f; one model at k = 1) as the shared
    ``susyscan.scan.inference.FoldEnsemble``: each event is scored by the model whose training held it out, its ids
    checked against that model's held-out fingerprints (``LeakageError`` otherwise); at k = 1 the model holds out
    the test split of the samples it trained on (weighted by n / n(test) per sample) and every event of the others."""
    from susyscan.scan.inference import FoldEnsemble

    return FoldEnsemble([open_model(path) for path in onnx_paths], list(onnx_paths))


def onnx_members(ensemble: FoldEnsemble) -> list[OnnxModel]:
    """The models of a :func:`fold_ensemble` (OnnxModels: it opens them with ``export.open_model``)."""
    return cast(list[OnnxModel], ensemble.models)


def held_out_events(onnx_paths: str | Path | Sequence[str | Path],
                    input_paths: Paths) -> tuple[FoldEnsemble, InputSet, np.ndarray]:
    """(the region's :func:`fold_ensemble`, the events its models held out, the index of the model that scores
    each): the inputs read and checked against every model (feature names, PF threshold, budget M), the fold
    assignment checked on all of them (``FoldEnsemble.checked_assignment``); each event's ``weight_pb`` times its
    factor (k >= 2: 1; k = 1: n(sample) / n(sample, test) for a sample the model trained on)."""
    paths = [onnx_paths] if isinstance(onnx_paths, (str, Path)) else list(onnx_paths)
    ensemble = fold_ensemble(paths)
    inputs = read_inputs(input_paths)
    for model in onnx_members(ensemble):
        _check_inputs(model, inputs)
    index, factor = ensemble.checked_assignment(id_frame(inputs), f"ewkino inputs {input_paths[0]} ...")
    held = index >= 0
    inputs.weight_pb = inputs.weight_pb * factor
    return ensemble, inputs.subset(held), index[held]


def scored_inputs(onnx_paths: str | Path | Sequence[str | Path],
                  input_paths: Paths) -> tuple[InputSet, np.ndarray, OnnxModel]:
    """(evaluation events, their network scores, the first model): the events of :func:`held_out_events`, each
    scored by the model that held it out (``onnx_paths``: the model of a kfold-1 training, or the k fold models in
    fold order)."""
    ensemble, inputs, index = held_out_events(onnx_paths, input_paths)
    scores = ensemble.assigned_scores(index, blocks(inputs), FOLD_BATCH)
    logger.info("%d events scored by the %d fold model(s) that held them out", len(inputs), len(ensemble.models))
    return inputs, scores, onnx_members(ensemble)[0]


def run_significance(onnx_path: str | Path | Sequence[str | Path], input_paths: Paths, table_out: str | Path,
                     lumis_ifb: list[float], score_cut: float | None = None,
                     min_background: float = 0.0, scores_out: str | Path | None = None) -> pd.DataFrame:
    """Baseline vs network S/sqrt(S+B) per mass point and luminosity (CSV), on the events of
    :func:`scored_inputs` (``onnx_path``: the model of a kfold-1 training, or the k fold models).

    Without a fixed ``score_cut`` the cut is chosen on one half of the evaluation events and every number is quoted
    on the other half (``susyscan.training.halves.cut_choice_halves``, seeded with the training seed; each half's weights
    normalised to the full sample); ``n_optimise`` / ``n_quote`` count the MC events of the two halves.
    ``scores_out``: the per-event scores, ids, halves and weights (``paired.score_table``) for the paired bootstrap
    of the threshold comparison.
    """
    inputs, scores, onnx = scored_inputs(onnx_path, input_paths)
    weights, optimise = inputs.weight_pb, None
    if score_cut is None:
        optimise = cut_choice_halves(inputs.sample, inputs.ids(), int(onnx.metadata.get("training_seed") or 0))
        weights = half_weights(inputs.weight_pb, inputs.sample, optimise)
        logger.info("score cut chosen on %d events, S/sqrt(S+B) quoted on the other %d", int(optimise.sum()),
                    int((~optimise).sum()))
    table = significance_table(scores, weights, inputs.baseline, inputs.is_signal, inputs.m_parent,
                               inputs.m_lsp, lumis_ifb, score_cut, min_background, optimise)
    table["pfcand_pt_min"] = pfcand_pt_min(onnx)
    table["max_candidates"] = budget(onnx)
    table["n_optimise"] = int(optimise.sum()) if optimise is not None else 0
    table["n_quote"] = int((~optimise).sum()) if optimise is not None else len(inputs)
    write_csv_atomic(table, table_out)
    if scores_out is not None:
        halves = optimise if optimise is not None else np.zeros(len(inputs), dtype=bool)
        write_csv_atomic(score_table(inputs.sample, inputs.chunk, inputs.event, inputs.is_signal, inputs.m_parent,
                                     inputs.m_lsp, inputs.baseline, halves, weights, scores), scores_out)
    return table


def run_threshold_table(table_low: str | Path, table_high: str | Path, csv_out: str | Path, md_out: str | Path,
                        scores_low: str | Path | None = None, scores_high: str | Path | None = None,
                        n_boot: int = 400, seed: int = 1) -> pd.DataFrame:
    """Compare two significance tables (soft-particle thresholds read from their pfcand_pt_min column). With the
    two networks' score tables, add the paired-bootstrap error of the ratio (``ratio_boot_std``) and the fraction of
    replicas in which the low threshold is better (``p_low_better``; ``paired.paired_ratio_bootstrap``)."""
    low, high = pd.read_csv(table_low), pd.read_csv(table_high)
    joined = threshold_comparison(low, high, float(low["pfcand_pt_min"].iloc[0]), float(high["pfcand_pt_min"].iloc[0]))
    if scores_low is not None and scores_high is not None:
        keys = ["m_parent", "m_lsp", "lumi_ifb"]
        cuts = low[[*keys, "score_cut"]].rename(columns={"score_cut": "cut_low"}).merge(
            high[[*keys, "score_cut"]].rename(columns={"score_cut": "cut_high"}), on=keys, validate="one_to_one")
        quote = join_scores(pd.read_csv(scores_low), pd.read_csv(scores_high))
        boot = paired_ratio_bootstrap(quote, cuts, n_boot, seed)
        joined = joined.merge(boot, on=keys, how="left", validate="one_to_one")
    write_csv_atomic(joined, csv_out)
    table = joined.to_markdown(index=False, floatfmt=".3g") if _has_tabulate() else joined.to_string(index=False)
    write_text_atomic(f"{pileup_note()}\n\n{table}\n", md_out)  # issue 17: no pileup in the samples
    return joined


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def run_importance(onnx_path: str | Path | Sequence[str | Path], input_paths: Paths, csv_out: str | Path,
                   plot_out: str | Path, seed: int = 0, n_repeats: int = 3, max_events: int = 20000) -> pd.DataFrame:
    """Permutation importance of the high-level features and of the PF block on the events of
    :func:`held_out_events` (``onnx_path``: the model of a kfold-1 training, or the k fold models in fold order),
    each permuted event scored by the model that held it out, weighted as there. At most ``max_events`` events
    (drawn with ``seed`` after the fold assignment was checked on all of them: the check needs every held-out
    event of a sample)."""
    ensemble, inputs, index = held_out_events(onnx_path, input_paths)
    k = len(ensemble.models)
    label = f"pT(PF) > {inputs.pfcand_pt_min:g} GeV, " + ("test split" if k == 1 else f"out of fold ({k} folds)")
    if len(inputs) > max_events:
        drawn = np.sort(np.random.default_rng(seed).choice(len(inputs), max_events, replace=False))
        inputs, index = inputs.subset(drawn), index[drawn]

    def score_fn(highlevel: np.ndarray, pfcands: np.ndarray) -> np.ndarray:
        return ensemble.assigned_scores(index, (highlevel, pfcands), FOLD_BATCH)

    table = permutation_importance(score_fn, inputs.highlevel, inputs.pfcands, inputs.is_signal,
                                   np.abs(inputs.weight_pb), inputs.feature_names, seed, n_repeats)
    write_importance(table, csv_out, plot_out, label)
    return table
