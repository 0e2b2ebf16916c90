"""Stage 'merge_features': concatenate a sample's chunk CSVs and add ``weight_pb``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from susyscan.analysis.cutflow import load_cutflow, merge_sample_chunks
from susyscan.analysis.io import write_csv_gz_atomic
from susyscan.errors import EventFileError

logger = logging.getLogger(__name__)


def merge_features(
    feature_paths: Iterable[str | Path], cutflow_paths: Iterable[str | Path], out_path: str | Path,
    features: Sequence[str] = (),
) -> pd.DataFrame:
    """Concatenate chunk feature CSVs (in the given order) and add
    ``weight_pb = gen_weight * xsec_pb / total_sum_weights`` (sum over the chunk cutflows).

    The event ids (``chunk``, ``event``) are kept; a chunk CSV without ``chunk`` gets the chunk number of its
    cutflow (same position in ``cutflow_paths``). Duplicate ids are an error. Every chunk must hold
    ``features`` (the analysis' feature columns) and the same columns as the first chunk.
    """
    feature_paths = [Path(p) for p in feature_paths]
    cutflows = [load_cutflow(p) for p in cutflow_paths]
    merged = merge_sample_chunks(cutflows)
    frames: list[pd.DataFrame] = []
    for path in feature_paths:
        try:
            frame = pd.read_csv(path, compression="gzip")
        except (OSError, ValueError) as exc:
            raise EventFileError(f"feature file {path}: cannot read: {exc}") from exc
        missing = [c for c in [*features, "gen_weight", "sample", "event"] if c not in frame.columns]
        if missing:
            raise EventFileError(f"feature file {path}: missing column(s) {missing}")
        if frames and set(frame.columns) - {"chunk"} != set(frames[0].columns) - {"chunk"}:
            raise EventFileError(f"feature file {path}: columns differ from {feature_paths[0]} "
                                 f"({sorted(set(frame.columns) ^ set(frames[0].columns))})")
        if "chunk" not in frame.columns:
            if len(cutflows) != len(feature_paths) or "chunk" not in cutflows[len(frames)]:
                raise EventFileError(f"feature file {path}: no 'chunk' column and no matching chunk cutflow")
            frame.insert(list(frame.columns).index("event"), "chunk", int(cutflows[len(frames)]["chunk"]))
        frames.append(frame)
    if not frames:
        raise EventFileError(f"sample {merged['sample']}: no feature files to merge")
    out = pd.concat(frames, ignore_index=True)
    samples = set(out["sample"].astype(str))
    if samples - {merged["sample"]}:
        raise EventFileError(f"feature files hold sample(s) {sorted(samples)} but cutflows are for {merged['sample']!r}")
    duplicated = out.duplicated(["chunk", "event"])
    if duplicated.any():
        first = out.loc[duplicated, ["chunk", "event"]].iloc[0]
        raise EventFileError(f"sample {merged['sample']}: event id chunk {first['chunk']} event {first['event']} "
                             "appears twice in the chunk feature files")
    if out.empty:
        logger.warning("sample %s: no events pass the preselection in any chunk", merged["sample"])
    out["weight_pb"] = out["gen_weight"] * merged["xsec_pb"] / merged["total_sum_weights"]
    write_csv_gz_atomic(out, out_path)
    logger.info("sample %s: merged %d chunks, %d events", merged["sample"], len(frames), len(out))
    return out
