"""K-fold training of the multiclass DNN, with or without SIGN graph features, on a feature table
(``docs/analysis_stau.md``: model inputs, ``weight_pb``, a class column, a category column, event ids).

Events. The class of an event is its ``class_column`` value's position in ``classes`` (class 0 = signal). The
reference bank of the SIGN features is a fixed subset of the **background** events: those whose
``susyscan.training.folds.id_uniform`` on stream ``"bank"`` (the shared keyed id hash, uniform in [0, 1)) is below
``bank_fraction`` (:func:`bank_mask`, a function of (seed, sample, id) like the folds, independent of them and of
the cut-choice halves ``susyscan.training.halves.cut_choice_halves``). Bank events are references
only: neither network trains on them or scores them, so the DNN and the DNN+SIGN see the same events; the other
background events of each sample carry the bank events' weight (``weight_pb`` scaled per sample by
sum(all w) / sum(non-bank w)), so yields keep their normalisation.

Folds. Every non-bank event gets ``fold = assign_folds(sample, id, seed, k)``. The model of fold f trains on the
training samples' events of the folds other than f and f+1 (mod k), stops early on fold f+1, and scores every
event of fold f (training samples and grid points alike): out-of-fold scores, one per event.

Seeds (:func:`fold_seeds`). Each fold model has its own seeds, SeedSequence streams of the stage ``seed``
(``susyscan.seeds``): initialisation, dropout and shuffling from ``("model", category, model_type, fold)``
(``seeds.model_seed``, the stream of the other analyses' fold models), the permutations of its permutation
importance from ``("importance", category, model_type, fold)``. Before, every fold trained with the network's
``MulticlassConfig.seed`` (its then code default 12345: the run config has no network seed) and permuted with
``seed + fold``, so fold f's permutations were fold f - 1's of seed + 1.

Export (:func:`export_fold`). Each fold model is written by the shared exporter
(``susyscan.training.export.export_nn`` with ``classes``: outputs ``score``, the signal-class probability, and
``probabilities`` (N, K)) with the shared metadata (``export.model_metadata``: feature list, the fold metadata
``kfold``/``fold``/``fold_seed``/``fold_scheme``/``heldout_ids``, plus ``classes``), and checked by the shared
parity check on the class probabilities (``check_parity(..., output="probabilities")``, 1e-5). Its
``training_data_hash`` is the hash of the fold's training events (``multiclass.multiclass_data_hash``: inputs, MC
weights, labels; the shared ``dataset.training_data_hash``), computed by :func:`train_folds` from the rows the fold
selects before anything is trained, and also in ``summary.json``. The export compares it with the model's own
record (``MulticlassResult.training_data_hash``, the hash of what ``train_multiclass`` trained on) and refuses a
model that trained on other rows (the shared provenance check, ``export.check_training_data``).

Held-out ids (:func:`fold_info`). ``heldout_ids`` of fold model f: per sample with training events, the
fingerprint (``folds.heldout_fingerprints``) of that sample's non-bank events of fold f, which the model neither
trained nor stopped on. The out-of-fold scores of ``scores.csv.gz`` are computed here, in the process that trained
the model, from the same ``fold`` column that chose its training events, so a held-out check at that point would
compare that set with itself; the check guards the exported models wherever they are read again: the shared
scan's k-fold regions (``susyscan.scan.inference.FoldEnsemble``, ``kind: onnx`` with ``models``) route each event
to the model of its fold (same ``assign_folds`` and seed) and refuse, through ``folds.check_heldout``, any set
that differs from the held-out one - among them a table that still holds the SIGN bank events (they are not in
the fingerprints: drop them with :func:`bank_mask` first) or one whose event ids or fold seed differ. Samples
without training events (grid points other than ``train_samples``) are absent from the fingerprints: no model
has seen any of their events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan import seeds
from susyscan.errors import FeatureError
from susyscan.eventio.schema import TAU_TAG_WEIGHT
from susyscan.training.export import (DEFAULT_PARITY_TOLERANCE, check_parity, check_training_data, export_nn,
                                      model_metadata)
from susyscan.training.folds import FOLD_SCHEME, assign_folds, event_ids, heldout_fingerprints, id_uniform
from susyscan.training.multiclass import (MulticlassConfig, MulticlassResult, multiclass_data_hash,
                                          permutation_importance, train_multiclass)
from susyscan.training.onnx_nn import PROBABILITIES_NAME

logger = logging.getLogger(__name__)

ID_COLUMNS: tuple[str, ...] = ("sample", "chunk", "event")
KEEP_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "process", "is_signal", "m_parent", "m_lsp")
def _carried(column: str) -> bool:
    """Optional feature-table columns kept through to the score tables: the cut-and-count flags (``sr_*``) and
    the tau truth-tag factor (the zero-MC background unit divides it out, ``multiclass_compare.yield_tables``)."""
    return column.startswith("sr_") or column == TAU_TAG_WEIGHT


#: Stream of the bank assignment in the keyed id hash (``folds.id_uniform``; the folds use ``"fold"``, the
#: cut-choice halves ``"cut_choice"``).
BANK_STREAM = "bank"


@dataclass(frozen=True)
class StageSettings:
    """What the multiclass stage reads from the table and how it splits it. No setting has a default here:
    ``class_column`` is the analysis definition's (its ML YAML), ``kfold``, ``seed`` and ``bank_fraction`` the run
    config's ``analyses.<name>.ml`` (schema ``$defs/multiclass_ml``, the one source of their defaults).
    ``weight_column``: the merged feature tables' event weight."""

    classes: tuple[str, ...]
    features: tuple[str, ...]
    train_samples: tuple[str, ...]
    kfold: int
    seed: int
    bank_fraction: float
    class_column: str
    weight_column: str = "weight_pb"

    def __post_init__(self) -> None:
        if self.kfold < 3:
            raise FeatureError(f"multiclass k-fold needs k >= 3 (train, validation and test folds), got {self.kfold}")
        if not 0.0 < self.bank_fraction < 1.0:
            raise FeatureError(f"bank_fraction must be in (0, 1), got {self.bank_fraction}")


def read_tables(paths: Sequence[str | Path], category_column: str, category: Sequence[float],
                settings: StageSettings) -> pd.DataFrame:
    """Concatenate merged feature tables, keep rows with ``category[0] <= category_column < category[1]``."""
    frames = []
    needed = [*settings.features, settings.weight_column, settings.class_column, category_column, *KEEP_COLUMNS]
    for path in map(Path, paths):
        df = pd.read_csv(path)
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise FeatureError(f"{path}: missing columns {missing}")
        if len(df):  # an empty table has no dtypes and would turn every column of the concatenation into objects
            frames.append(df[list(dict.fromkeys([*needed, *(c for c in df.columns if _carried(c))]))])
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=needed)
    value = table[category_column].to_numpy(dtype=float)
    table = table[(value >= category[0]) & (value < category[1])].reset_index(drop=True)
    unknown = sorted(set(table[settings.class_column].astype(str)) - set(settings.classes))
    if unknown:
        raise FeatureError(f"field '{settings.class_column}': unknown classes {unknown} (known: {list(settings.classes)})")
    return table


def bank_mask(table: pd.DataFrame, settings: StageSettings) -> np.ndarray:
    """Background events kept aside as the SIGN reference bank (see the module docstring)."""
    is_background = table[settings.class_column].astype(str).to_numpy() != settings.classes[0]
    uniform = id_uniform(table["sample"].to_numpy(), event_ids(table, "feature table"), settings.seed, BANK_STREAM)
    return is_background & (uniform < settings.bank_fraction)


def split(table: pd.DataFrame, settings: StageSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bank events, the other events with ``label``, ``fold``, ``train`` and the bank-scaled ``weight``)."""
    bank = bank_mask(table, settings)
    rest = table[~bank].copy()
    weight = table[settings.weight_column].to_numpy(dtype=float)
    scale = pd.Series(weight).groupby(table["sample"].to_numpy()).sum() / pd.Series(weight[~bank]).groupby(
        rest["sample"].to_numpy()).sum()
    rest["weight"] = rest[settings.weight_column].to_numpy(dtype=float) * rest["sample"].map(scale).to_numpy()
    rest["label"] = rest[settings.class_column].map({c: i for i, c in enumerate(settings.classes)}).astype(int)
    rest["fold"] = assign_folds(rest["sample"].to_numpy(), event_ids(rest), settings.seed, settings.kfold)
    rest["train"] = rest["sample"].isin(settings.train_samples) | (rest["label"] != 0)
    if not rest.loc[rest["train"], "label"].eq(0).any():
        raise FeatureError(f"no signal events of the training samples {list(settings.train_samples)} in the table")
    logger.info("%d bank events, %d others (%d in training samples)", int(bank.sum()), len(rest), int(rest["train"].sum()))
    return table[bank].reset_index(drop=True), rest.reset_index(drop=True)


def fold_seeds(seed: int, category: str, model_type: str, fold: int) -> tuple[int, int]:
    """(training seed, permutation-importance seed) of one fold model: the SeedSequence streams
    ``("model", category, model_type, fold)`` and ``("importance", category, model_type, fold)`` of the stage seed
    (see the module docstring)."""
    return (seeds.model_seed(seed, str(category), str(model_type), int(fold)),
            seeds.seed_int(seed, "importance", str(category), str(model_type), int(fold)))


def fold_info(events: pd.DataFrame, ids: np.ndarray, settings: StageSettings, fold: int) -> dict:
    """The k-fold metadata of fold model ``fold`` (``export.fold_metadata`` keys): k, fold, the fold seed and
    scheme, and the held-out id fingerprints of the samples with training events (see the module docstring).
    ``ids``: ``folds.event_ids`` of ``events`` (computed, with its duplicate check, once for all folds)."""
    samples = events["sample"].astype(str).to_numpy()
    trained = sorted(set(samples[events["train"].to_numpy(dtype=bool)]))
    held = (events["fold"].to_numpy() == fold) & np.isin(samples, trained)
    return {"kfold": settings.kfold, "fold": int(fold), "fold_seed": settings.seed, "fold_scheme": FOLD_SCHEME,
            "heldout_ids": heldout_fingerprints(samples[held], ids[held], trained)}


def export_fold(result: MulticlassResult, metadata: dict[str, str], path: str | Path, parity_features: np.ndarray,
                tolerance: float = DEFAULT_PARITY_TOLERANCE) -> float:
    """Write the fold model with the shared exporter (softmax, ``classes`` metadata) and return the shared parity
    check's max |onnxruntime - torch| class probability over ``parity_features`` (ExportParityError above
    ``tolerance``). ``metadata["training_data_hash"]`` is the caller's hash of the rows it gave the trainer (what
    the ONNX metadata records); a model whose own record of what it trained on differs is refused
    (ModelMetadataError, ``export.check_training_data``)."""
    check_training_data(path, result.training_data_hash, metadata["training_data_hash"], "the fold's training events")
    export_nn(result.model, result.standardisation, metadata, path, classes=result.classes)
    return check_parity(path, parity_features, result.predict_proba(parity_features), tolerance,
                        output=PROBABILITIES_NAME)


@dataclass
class FoldOutputs:
    """Out-of-fold probabilities of every event, per-fold training summaries and the mean importance."""

    scores: pd.DataFrame
    summary: dict
    importance: np.ndarray | None


def train_folds(events: pd.DataFrame, inputs: np.ndarray, input_names: Sequence[str], settings: StageSettings,
                config: MulticlassConfig, out_dir: str | Path, model_type: str, category: str,
                importance: bool = False) -> FoldOutputs:
    """Train, export (``fold{f}/model.onnx``, parity checked) and score the k fold models; see the module docstring.
    Fold f trains and permutes with :func:`fold_seeds` (``config.seed`` is not used).

    ``inputs`` are the rows of ``events`` as the network sees them (raw features, or ``[X, A X, ...]``)."""
    out_dir = Path(out_dir)
    k = settings.kfold
    folds = events["fold"].to_numpy()
    train_rows = events["train"].to_numpy()
    labels = events["label"].to_numpy()
    weights = events["weight"].to_numpy(dtype=float)
    probabilities = np.full((len(events), len(settings.classes)), np.nan)
    ids = event_ids(events, "multiclass events")  # raises on a duplicated event id
    # the network settings without their seed: each fold trains with its own (``fold_seeds``, in ``folds``)
    summary: dict = {"model_type": model_type, "category": category, "kfold": k, "inputs": len(input_names),
                     "config": {key: value for key, value in asdict(config).items() if key != "seed"}, "folds": []}
    importances = []
    for fold in range(k):
        val_fold = (fold + 1) % k
        tr = train_rows & (folds != fold) & (folds != val_fold)
        va = train_rows & (folds == val_fold)
        te = folds == fold
        train_seed, importance_seed = fold_seeds(settings.seed, category, model_type, fold)
        # the fold's record of its training rows, before training: export_fold checks the model's own record against it
        data_hash = multiclass_data_hash(inputs[tr], labels[tr], weights[tr], input_names)
        result = train_multiclass((inputs[tr], labels[tr], weights[tr]), (inputs[va], labels[va], weights[va]),
                                  input_names, settings.classes, replace(config, seed=train_seed))
        path = out_dir / f"fold{fold}" / "model.onnx"
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**model_metadata(input_names, category, 0.5, data_hash, model_type,
                                 fold_info=fold_info(events, ids, settings, fold)),
                "training_seed": str(train_seed)}
        if va.sum() < 10 * len(settings.classes):
            logger.warning("%s %s fold %d: only %d validation events for early stopping", model_type, category, fold,
                           int(va.sum()))
        deviation = export_fold(result, meta, path, (inputs[te] if te.any() else inputs[tr])[:5000])
        probabilities[te] = result.predict_proba(inputs[te])
        result.history.to_csv(out_dir / f"fold{fold}" / "history.csv", index=False)
        summary["folds"].append({"fold": fold, "n_train": int(tr.sum()), "n_val": int(va.sum()), "n_scored": int(te.sum()),
                                 "seed": train_seed, "best_epoch": result.best_epoch, "epochs_run": len(result.history),
                                 "val_loss": float(result.history["val_loss"].min()), "onnx_parity": deviation,
                                 "training_data_hash": data_hash,
                                 **({"importance_seed": importance_seed} if importance else {})})
        if importance:
            held = te & train_rows
            importances.append(permutation_importance(result, inputs[held], labels[held], weights[held],
                                                       seed=importance_seed, mode=config.negative_weights))
    scores = events[[*KEEP_COLUMNS, settings.class_column, "label", "fold", "train", "weight",
                     *(c for c in events.columns if _carried(c))]].copy()
    for index, name in enumerate(settings.classes):
        scores[f"p_{name}"] = probabilities[:, index]
    return FoldOutputs(scores, summary, np.mean(importances, axis=0) if importances else None)
