"""Dataset preparation: region selection, k-fold hold-out, luminosity weights, 8:1:1 split, balancing, standardisation.

With k-fold (``kfold``, ``fold``), the events of fold ``fold`` (``susyscan.training.folds``) are held out: they form
the ``heldout`` table, scored later by this fold's model only. The other events are split 8:1:1 into train/val/test
exactly as without folds (model selection inside the fold).

Input and split tables are ``susyscan.training.eventtable`` tables: CSV (``.csv.gz``, scalar columns: the smuon
feature and dataset tables) or, for model inputs with array blocks (e.g. a padded particle-flow block), ``.npz``;
the blocks follow their rows through region selection, k-fold hold-out, split and balancing, their field names are
recorded in the meta JSON (``blocks``) and they enter the training-data hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.atomic import atomic_path
from susyscan.errors import ConfigError, EmptySelectionError, FeatureError
from susyscan.seeds import seed_int
from susyscan.training.columns import META_COLUMNS
from susyscan.training.eventtable import EventTable, concat_tables, read_csv_frame, read_table, write_table
from susyscan.training.folds import FOLD_SCHEME, assign_folds, event_ids, heldout_fingerprints
from susyscan.training.io_utils import read_json, write_json
from susyscan.training.splitting import SPLIT_NAMES, balance_classes, check_fractions, split_by_id, split_by_sample
from susyscan.training.standardise import Standardisation

logger = logging.getLogger(__name__)

#: Columns added to every split table besides the input table's own columns.
EXPECTED_EVENTS = "expected_events"
SPLIT_SCALE = "split_weight_scale"
#: Rows per chunk of the training-data hash (the digest is that of the whole array's bytes).
HASH_CHUNK_ROWS = 65536
#: Table of the events held out of a fold's training (k-fold datasets only).
HELDOUT = "heldout"
#: Train/val/test assignments of :func:`build_dataset` (``split_scheme``).
SPLIT_SCHEMES = ("sample", "id")
#: ``fold_scheme`` of a ``kfold=1`` dataset.
SINGLE_FOLD_SCHEME = "kfold 1: no folds; the held-out table is the test split"
#: Temporary column carrying each row's index into the input blocks (never written).
BLOCK_ROW = "__block_row__"


@dataclass
class Split:
    """One split: raw features X, labels y, expected events ``weight`` (already scaled to the full sample).

    ``frame`` holds the split's rows with all columns of the feature tables (plus derived features,
    ``expected_events`` and ``split_weight_scale``): it is what is written to ``<region>.<split>.csv.gz``.
    """

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    sample: np.ndarray
    m_parent: np.ndarray
    m_lsp: np.ndarray
    frame: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    blocks: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


@dataclass
class PreparedDataset:
    """The prepared training data of one mass region."""

    train: Split
    val: Split
    test: Split
    info: dict
    heldout: Split | None = None

    @property
    def fold(self) -> int | None:
        """The held-out fold, None for a dataset without k-fold."""
        return None if self.info.get("kfold") is None else int(self.info["fold"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.info["feature_names"])

    @property
    def standardisation(self) -> Standardisation:
        return Standardisation.from_dict(self.info["standardisation"])

    @property
    def sample_names(self) -> list[str]:
        return [s["sample"] for s in self.info["samples"]]


def chunk_weights_pb(tables: Sequence[EventTable]) -> list[np.ndarray]:
    """Per-event ``weight_pb`` of chunk tables: ``gen_weight * xsec_pb / total_sum_weights`` of the event's sample,
    with each table's ``metadata["chunk_header"]`` (``sample``, ``sum_weights``, ``xsec_pb`` of its chunk): the
    sample's cross section and total are those of all its tables given here
    (``susyscan.analysis.cutflow.sample_cross_section``: the sum-of-weights mean of the chunks' cross sections, as
    the merged feature CSVs of ``merge_features``), so all chunks of a sample must be given together. The
    model-input tables of ``AnalysisSpec.write_inputs`` (one per chunk) carry these; a table whose ``sample`` column
    differs from its header, or a sample whose summed weights are not positive, is an error naming the table."""
    from susyscan.analysis.cutflow import sample_cross_section

    headers: list[dict] = []
    for table in tables:
        header = table.metadata.get("chunk_header")
        if not isinstance(header, dict):
            header = {}
        missing = [k for k in ("sample", "sum_weights", "xsec_pb") if k not in header]
        if missing or "gen_weight" not in table.columns:
            raise FeatureError(f"{table.source}: no weight_pb column, and no gen_weight column with a chunk_header "
                               f"(sample, sum_weights, xsec_pb) to compute it (missing {missing or ['gen_weight']})")
        headers.append(header)
    by_sample: dict[str, list[dict]] = {}
    for header in headers:
        by_sample.setdefault(header["sample"], []).append(header)
    norms: dict[str, tuple[float, float] | None] = {}  # (cross section, total sum of weights), once per sample
    for sample, chunks in by_sample.items():
        try:
            norms[sample] = sample_cross_section(chunks, f"sample {sample}")
        except EmptySelectionError:
            norms[sample] = None  # refused below, naming the first of its tables
    weights = []
    for table, header in zip(tables, headers):
        norm = norms[header["sample"]]
        if norm is None:
            raise FeatureError(f"{table.source}: sample {header['sample']} has total sum of weights <= 0")
        if len(table) and set(np.asarray(table.columns.get("sample", [])).tolist()) != {header["sample"]}:
            raise FeatureError(f"{table.source}: sample column differs from the chunk header ({header['sample']})")
        xsec_pb, total_sumw = norm
        weights.append(table.columns["gen_weight"] * xsec_pb / total_sumw)
    return weights


def shared_metadata(tables: Sequence[EventTable]) -> dict:
    """The metadata keys (and values) that every table has equal (per-chunk keys, e.g. the chunk header, drop out)."""
    first = tables[0].metadata if tables else {}
    return {k: v for k, v in first.items() if all(k in t.metadata and t.metadata[k] == v for t in tables[1:])}


def read_tables(paths: Sequence[str | Path]) -> pd.DataFrame | EventTable:
    """Concatenate the dataset stage's input tables (``susyscan.training.eventtable``, format by file name): merged
    feature CSVs (``results/analysis/<analysis>/features/<sample>.csv.gz``) as one DataFrame, or model-input
    ``.npz`` tables with array blocks as one EventTable (same columns, blocks and field names in every file; chunk
    tables without ``weight_pb`` get it from :func:`chunk_weights_pb`; metadata: :func:`shared_metadata`). Every
    table holds the ``META_COLUMNS``; mixing the two formats is an error."""
    files = [Path(p) for p in paths]
    if not files:
        raise EmptySelectionError("no feature files given to the dataset preparation")
    if len({p.suffix == ".npz" for p in files}) > 1:
        raise FeatureError(f"dataset inputs mix .npz event tables and CSV tables: {[str(p) for p in files]}")
    if files[0].suffix != ".npz":  # CSV: the frames pandas reads, concatenated once
        frames = [read_csv_frame(path) for path in files]
        for path, frame in zip(files, frames):
            _check_meta_columns(frame.columns, path)
        return pd.concat(frames, ignore_index=True)
    tables = [read_table(path) for path in files]
    if any("weight_pb" not in table.columns for table in tables):
        for table, weight in zip(tables, chunk_weights_pb(tables)):
            table.columns["weight_pb"] = weight
    for table in tables:
        _check_meta_columns(table.columns, table.source)
    merged = concat_tables(tables)
    merged.metadata = shared_metadata(tables)
    return merged


def _check_meta_columns(columns: Iterable[str], source: str | Path) -> None:
    missing = [c for c in META_COLUMNS if c not in set(columns)]
    if missing:
        raise FeatureError(f"{source}: missing columns {missing}")


def check_features(df: pd.DataFrame, feature_names: Sequence[str]) -> None:
    """Raise FeatureError for a missing feature column or a NaN/inf value (naming column and sample)."""
    missing = [c for c in feature_names if c not in df.columns]
    if missing:
        raise FeatureError(f"feature columns missing from the feature tables: {missing}")
    for column in feature_names:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            samples = sorted(df.loc[bad, "sample"].astype(str).unique())
            id_columns = [c for c in ("sample", "chunk", "event") if c in df.columns]
            first = df.loc[bad, id_columns].head(3).astype(str).agg("/".join, axis=1).tolist()
            raise FeatureError(
                f"column {column!r} has {int(bad.sum())} NaN/inf/non-numeric values in sample(s) {samples}; "
                f"first events ({'/'.join(id_columns)}): {first}"
            )


def select_region(df: pd.DataFrame, region: str, bounds: Sequence[float]) -> pd.DataFrame:
    """Keep all backgrounds and the signal events with ``bounds[0] <= m_parent < bounds[1]``."""
    if len(bounds) != 2 or not bounds[0] < bounds[1]:
        raise ConfigError(f"mass region {region!r}: bounds must be [min, max) with min < max, got {bounds}")
    is_signal = df["is_signal"].astype(int) == 1
    in_region = is_signal & (df["m_parent"] >= bounds[0]) & (df["m_parent"] < bounds[1])
    if not in_region.any():
        raise EmptySelectionError(f"mass region {region!r} [{bounds[0]}, {bounds[1]}) GeV contains no signal event")
    if not (~is_signal).any():
        raise EmptySelectionError(f"mass region {region!r}: no background event in the feature tables")
    return df.loc[in_region | ~is_signal].reset_index(drop=True)


def expected_events(weight_pb: pd.Series | np.ndarray, lumi_fb: float) -> np.ndarray:
    """Per-event expected yield at ``lumi_fb``: ``weight_pb * 1000 * lumi_fb`` (sums to sigma x L x eff).

    Equivalent to the paper's rescaling (mean weight = sigma x L, then divided by the dataset size).
    """
    return np.asarray(weight_pb, dtype=float) * 1000.0 * float(lumi_fb)


def training_data_hash(X: np.ndarray | Sequence[np.ndarray], y: np.ndarray, feature_names: Sequence[str]) -> str:
    """SHA-256 of the feature names and the training arrays (float64 / int8 bytes); ``X``: one feature array or
    the input blocks in order (hashed one after the other, in row chunks to bound the float64 copy)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(feature_names)).encode())
    for block in ((X,) if isinstance(X, np.ndarray) else X):
        for first in range(0, len(block), HASH_CHUNK_ROWS):
            digest.update(np.ascontiguousarray(block[first : first + HASH_CHUNK_ROWS], dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int8).tobytes())
    return digest.hexdigest()


def _sample_table(df: pd.DataFrame, labels: np.ndarray, split_names: Sequence[str] = SPLIT_NAMES) -> list[dict]:
    """Per-sample summary (sorted by name): process, signal flag, masses and event counts per split."""
    table = []
    names = df["sample"].astype(str).to_numpy()
    for name, rows in df.groupby(names, sort=True):
        in_sample = names == name
        first = rows.iloc[0]
        table.append(
            {
                "sample": str(name),
                "process": str(first["process"]),
                "is_signal": int(first["is_signal"]),
                "m_parent": float(first["m_parent"]),
                "m_lsp": float(first["m_lsp"]),
                "n_total": int(in_sample.sum()),
                **{f"n_{s}": int((in_sample & (labels == i)).sum()) for i, s in enumerate(split_names)},
            }
        )
    return table


def split_scale(samples: pd.Series, table: Sequence[Mapping], heldout: bool = False) -> np.ndarray:
    """``split_weight_scale`` of the rows of a split (``samples``: each row's sample name): n(sample) / n(sample,
    rows of the split) with n(sample) the ``n_total`` of ``table`` (:func:`_sample_table`), so that each sample's
    weights in the split sum to its expected events. The counts are the split's rows as written: for a downsampled
    (balanced) train split the events kept, not the events drawn. 1 for every row of a k-fold ``heldout`` table
    (the k held-out tables together hold every event once)."""
    if heldout:
        return np.ones(len(samples))
    kept = samples.value_counts()
    scale = {s["sample"]: s["n_total"] / int(kept[s["sample"]]) for s in table if s["sample"] in kept.index}
    return samples.map(scale).to_numpy(dtype=float)


def split_from_frame(frame: pd.DataFrame, feature_names: Sequence[str], sample_names: Sequence[str],
                     blocks: Mapping[str, np.ndarray] | None = None) -> Split:
    """Arrays of a split table (rows of the feature tables plus ``expected_events``). With ``blocks`` (the input
    tables' blocks, indexed by the frame's ``BLOCK_ROW`` column, which is dropped) the split's block rows."""
    split_blocks: dict[str, np.ndarray] = {}
    if blocks:
        rows = frame[BLOCK_ROW].to_numpy(dtype=np.int64)
        split_blocks = {name: values[rows] for name, values in blocks.items()}
        frame = frame.drop(columns=BLOCK_ROW)
    codes = pd.Categorical(frame["sample"].astype(str), categories=list(sample_names)).codes.astype(np.int32)
    return Split(
        X=frame[list(feature_names)].to_numpy(dtype=np.float64),
        y=frame["is_signal"].to_numpy(dtype=np.int8),
        weight=frame[EXPECTED_EVENTS].to_numpy(dtype=np.float64),
        sample=codes,
        m_parent=frame["m_parent"].to_numpy(dtype=np.float64),
        m_lsp=frame["m_lsp"].to_numpy(dtype=np.float64),
        frame=frame.reset_index(drop=True),
        blocks=split_blocks,
    )


def check_blocks(table: EventTable) -> None:
    """Raise FeatureError for a NaN/inf block entry, naming the block and the samples (padding is a finite value)."""
    samples = np.asarray(table.columns["sample"]).astype(str)
    for name, values in table.blocks.items():
        bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
        if bad.any():
            raise FeatureError(f"{table.source}: block {name!r} has NaN/inf values in {int(bad.sum())} events of "
                               f"sample(s) {sorted(set(samples[bad].tolist()))}")


def _hashed(split: Split) -> np.ndarray | tuple[np.ndarray, ...]:
    """What the training-data hash covers: the features, then the blocks in order (when there are any)."""
    return (split.X, *split.blocks.values()) if split.blocks else split.X


def build_dataset(
    df: pd.DataFrame | EventTable,
    region: str,
    bounds: Sequence[float],
    lumi_fb: float,
    seed: int,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    feature_names: Sequence[str] | None = None,
    kfold: int | None = None,
    fold: int | None = None,
    split_scheme: str = "sample",
    balance: bool = True,
) -> PreparedDataset:
    """Turn a feature table (the analysis' model inputs ``feature_names``, derived ones included, as written by
    the selection) into the prepared dataset of one region.

    With ``kfold``/``fold`` the rows of fold ``fold`` form the ``heldout`` split (unscaled weights: the held-out
    tables of the k folds together hold every event once) and only the other rows are split train/val/test.
    The rows are sorted by (sample, event id) first, so nothing depends on the row order of the input.
    ``kfold=1`` (fold 0) is the single split without folds, in input order, whose ``heldout`` table is its test
    split (weights x n(sample)/n(sample, test)): the one model scores the events it neither trained nor selected on.
    ``split_scheme``: ``sample`` (exact per-sample counts, ``splitting.split_by_sample``) or ``id``
    (``splitting.split_by_id``: a function of (seed, sample, event id), recomputable by a later stage);
    ``balance``: downsample the train split to equal class counts (False: keep every event, the trainer's loss
    balances the classes). ``df`` may be an ``EventTable`` with array blocks: each split then carries the blocks of
    its rows, and the meta JSON records the tables' shared metadata (``input_metadata``: keys equal in every input
    table). Without blocks ``feature_names`` must name at least one model input.
    """
    fractions = check_fractions(list(split_fractions))
    if split_scheme not in SPLIT_SCHEMES:
        raise ConfigError(f"mass region {region!r}: split scheme {split_scheme!r} is not one of {list(SPLIT_SCHEMES)}")
    blocks: dict[str, np.ndarray] = {}
    block_info: dict = {}
    if isinstance(df, EventTable):
        check_blocks(df)
        blocks = df.blocks
        block_info = {"blocks": {k: {"shape": list(v.shape[1:]), "fields": df.fields.get(k)} for k, v in blocks.items()}}
        if df.metadata:
            block_info["input_metadata"] = df.metadata
        df = df.frame()
        if blocks:
            df[BLOCK_ROW] = np.arange(len(df))
    if not feature_names and not blocks:
        raise ConfigError(f"mass region {region!r}: no model input features given (AnalysisSpec.model_inputs)")
    feature_names = list(feature_names or [])
    df = select_region(df, region, bounds)
    check_features(df, feature_names)
    split_names: tuple[str, ...] = SPLIT_NAMES
    heldout = np.zeros(len(df), dtype=bool)
    fold_info: dict = {}
    single = kfold is not None and int(kfold) == 1
    if kfold is not None and (fold is None or not 0 <= int(fold) < int(kfold)):
        raise ConfigError(f"k-fold needs kfold >= 1 and 0 <= fold < kfold, got kfold={kfold}, fold={fold}")
    ids = event_ids(df, f"mass region {region!r}") if kfold is not None or split_scheme == "id" else None
    if kfold is not None and not single:
        assert ids is not None and fold is not None
        order = np.lexsort((ids, df["sample"].astype(str).to_numpy()))
        df, ids = df.iloc[order].reset_index(drop=True), ids[order]
        heldout = np.asarray(assign_folds(df["sample"].to_numpy(), ids, seed, int(kfold)) == int(fold))
        split_names = (*SPLIT_NAMES, HELDOUT)
        all_samples = sorted(df["sample"].astype(str).unique())
        fold_info = {"kfold": int(kfold), "fold": int(fold), "fold_seed": int(seed), "fold_scheme": FOLD_SCHEME,
                     "heldout_ids": heldout_fingerprints(df["sample"].to_numpy()[heldout], ids[heldout], all_samples)}
        if heldout.all():
            raise EmptySelectionError(f"mass region {region!r} fold {fold}: every event is held out")
    labels = np.full(len(df), len(SPLIT_NAMES), dtype=np.int8)  # = index of HELDOUT in split_names
    if split_scheme == "id":
        assert ids is not None
        labels[~heldout] = split_by_id(df["sample"].to_numpy()[~heldout], ids[~heldout], fractions, seed)
    else:
        labels[~heldout] = split_by_sample(df["sample"].to_numpy()[~heldout], fractions, seed)
    samples = _sample_table(df, labels, split_names)
    names = [s["sample"] for s in samples]
    df = df.assign(**{EXPECTED_EVENTS: expected_events(df["weight_pb"], lumi_fb)})
    splits: dict[str, Split] = {}
    for index, split in enumerate(split_names):
        frame = df.loc[labels == index]
        if split == "train" and balance:
            codes = pd.Categorical(frame["sample"].astype(str), categories=names).codes
            balance_seed = seed_int(seed, "balance", str(region), "all" if fold is None else int(fold))
            frame = frame.iloc[balance_classes(frame["is_signal"].to_numpy(dtype=int), codes, balance_seed)]
        frame = frame.assign(**{SPLIT_SCALE: split_scale(frame["sample"].astype(str), samples, split == HELDOUT)})
        frame[EXPECTED_EVENTS] = frame[EXPECTED_EVENTS] * frame[SPLIT_SCALE]
        splits[split] = split_from_frame(frame, feature_names, names, blocks)
    if single:
        assert ids is not None
        test = labels == SPLIT_NAMES.index("test")
        splits[HELDOUT] = splits["test"]
        fold_info = {"kfold": 1, "fold": 0, "fold_seed": int(seed), "fold_scheme": SINGLE_FOLD_SCHEME,
                     "heldout_ids": heldout_fingerprints(df["sample"].to_numpy()[test], ids[test],
                                                         sorted(df["sample"].astype(str).unique()))}
    train = splits["train"]
    for code, entry in enumerate(samples):
        entry["n_train_balanced"] = int((train.sample == code).sum())
    standardisation = Standardisation.fit(train.X, feature_names)
    weight_definition = f"{EXPECTED_EVENTS} = weight_pb * 1000 * lumi_fb * {SPLIT_SCALE} (n_sample/n_in_split)"
    if single:
        weight_definition += f"; the {HELDOUT} table is the test split (kfold 1)"
    elif kfold is not None:
        weight_definition += f"; {SPLIT_SCALE} = 1 in the {HELDOUT} table (the k held-out tables hold every event once)"
    info = {
        "region": region,
        "region_bounds_gev": [float(bounds[0]), float(bounds[1])],
        "lumi_fb": float(lumi_fb),
        "seed": int(seed),
        "split_fractions": list(fractions),
        "feature_names": feature_names,
        "standardisation": standardisation.to_dict(),
        "training_data_hash": training_data_hash(_hashed(train), train.y, feature_names),
        "balancing": ("class counts equalised: larger class downsampled without replacement, equal share per sample"
                      if balance else "none: every event kept (the trainer's loss balances the classes)"),
        **({"split_scheme": split_scheme} if split_scheme != "sample" else {}),  # smuon's meta JSON unchanged
        **({"balance": False} if not balance else {}),
        "weight_definition": weight_definition,
        "n_events": {s: int(len(splits[s].y)) for s in split_names},
        "n_signal": {s: int(splits[s].y.sum()) for s in split_names},
        "samples": samples,
        **fold_info,
        **block_info,
    }
    where = f"region {region}" + (f" fold {fold}/{kfold}" if kfold is not None else "")
    logger.info("%s: %s events per split (train balanced)", where, info["n_events"])
    return PreparedDataset(train=splits["train"], val=splits["val"], test=splits["test"], info=info,
                           heldout=splits.get(HELDOUT))


def _write_split(split: Split, path: str | Path, info: Mapping) -> None:
    """A split table through ``eventtable.write_table`` (format by the path's name: csv.gz for a dataset without
    blocks, ``.npz`` with them; blocks for a CSV path are refused there)."""
    fields = {k: v["fields"] for k, v in info.get("blocks", {}).items() if v.get("fields") is not None}
    columns = {name: split.frame[name].to_numpy() for name in split.frame.columns}
    write_table(EventTable(columns, split.blocks, fields, source=str(path)), path)


def _read_split(path: str | Path, info: Mapping) -> Split:
    """A split table (``eventtable.read_table``, format by name) as a Split of the dataset ``info``; the blocks its
    meta JSON records must be in the table with the recorded per-event shape."""
    table = read_table(path, blocks=list(info.get("blocks") or {}))
    for name, spec in (info.get("blocks") or {}).items():
        if list(table.blocks[name].shape[1:]) != list(spec["shape"]):
            raise FeatureError(f"{path}: block {name!r} has per-event shape {list(table.blocks[name].shape[1:])}, "
                               f"the dataset's meta JSON says {spec['shape']}")
    frame = table.frame()
    check_features(frame, info["feature_names"])
    split = split_from_frame(frame, info["feature_names"], [s["sample"] for s in info["samples"]])
    split.blocks = table.blocks
    return split


def save_dataset(dataset: PreparedDataset, split_paths: Mapping[str, str | Path], meta_path: str | Path) -> None:
    """Write ``train``/``val``/``test`` (and ``heldout``) tables (csv.gz; ``.npz`` event tables for a dataset with
    array blocks) and the meta JSON, each atomically. With ``kfold=1`` the held-out table is the test split: its
    file is a hard link to (or a copy of) the test table's."""
    for split in SPLIT_NAMES:
        _write_split(getattr(dataset, split), split_paths[split], dataset.info)
    if dataset.heldout is not None:
        if HELDOUT not in split_paths:
            raise ConfigError(f"k-fold dataset {meta_path}: no path given for the '{HELDOUT}' table")
        if dataset.heldout is dataset.test:  # kfold 1: the same table, written once
            _link_table(split_paths["test"], split_paths[HELDOUT])
        else:
            _write_split(dataset.heldout, split_paths[HELDOUT], dataset.info)
    write_json(meta_path, dataset.info)


def _link_table(source: str | Path, path: str | Path) -> None:
    """``path`` as a hard link to the written table ``source`` (the same bytes, not compressed a second time), a
    copy where the file system has no hard links; atomically."""
    with atomic_path(path) as tmp:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def load_dataset(split_paths: Mapping[str, str | Path], meta_path: str | Path) -> PreparedDataset:
    """Read a dataset written by :func:`save_dataset`, checking the training-data hash."""
    info = read_json(meta_path)
    splits = {split: _read_split(split_paths[split], info) for split in SPLIT_NAMES}
    digest = training_data_hash(_hashed(splits["train"]), splits["train"].y, info["feature_names"])
    if digest != info["training_data_hash"]:
        raise FeatureError(f"{split_paths['train']}: training data hash {digest[:12]} does not match "
                           f"{meta_path} ({info['training_data_hash'][:12]})")
    heldout = None
    if info.get("kfold") is not None and split_paths.get(HELDOUT) is not None:
        heldout = load_heldout(split_paths[HELDOUT], info)
    return PreparedDataset(train=splits["train"], val=splits["val"], test=splits["test"], info=info, heldout=heldout)


def load_heldout(path: str | Path, info: Mapping) -> Split:
    """The held-out table of a k-fold dataset, checked against the held-out ids recorded in its meta JSON."""
    from susyscan.training.folds import check_heldout

    split = _read_split(path, info)
    ids = event_ids(split.frame, str(path))
    check_heldout(split.frame["sample"].astype(str).to_numpy(), ids, info["heldout_ids"], f"fold {info['fold']}",
                  str(path))
    return split


def split_paths_in(directory: str | Path, region: str, fold: int | None = None, suffix: str = ".csv.gz") -> dict[str, Path]:
    """Standard paths ``<directory>/<region>.<split>.csv.gz`` and ``meta`` -> ``<region>.json``; for a k-fold
    dataset ``<directory>/<region>/fold<fold>.<split>.csv.gz`` (splits plus ``heldout``) and ``fold<fold>.json``
    (the workflow's layout). ``suffix=".npz"`` for a dataset with array blocks."""
    names: tuple[str, ...]
    if fold is None:
        base, stem, names = Path(directory), region, SPLIT_NAMES
    else:
        base, stem, names = Path(directory) / region, f"fold{int(fold)}", (*SPLIT_NAMES, HELDOUT)
    paths = {split: base / f"{stem}.{split}{suffix}" for split in names}
    paths["meta"] = base / f"{stem}.json"
    return paths


def prepare_dataset(
    feature_csvs: Sequence[str | Path],
    split_paths: Mapping[str, str | Path],
    meta_path: str | Path,
    region: str,
    bounds: Sequence[float],
    lumi_fb: float,
    seed: int,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    feature_names: Sequence[str] | None = None,
    kfold: int | None = None,
    fold: int | None = None,
    split_scheme: str = "sample",
    balance: bool = True,
) -> PreparedDataset:
    """Stage entry point: read the merged feature CSVs (holding the model inputs ``feature_names``, derived
    features included; or ``.npz`` event tables with array blocks, :func:`read_tables`), prepare region ``region``
    (:func:`build_dataset`) and save it."""
    dataset = build_dataset(read_tables(feature_csvs), region, bounds, lumi_fb, seed, split_fractions, feature_names,
                            kfold, fold, split_scheme, balance)
    save_dataset(dataset, split_paths, meta_path)
    return dataset
