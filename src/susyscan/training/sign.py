"""SIGN graph features (Frasca et al. arXiv:2004.11198) on a dataset graph whose nodes are events
("Does SUSY have friends?", arXiv:1912.10625), made inductive with a fixed reference bank.

Graph. Events are embedded as unit vectors: features standardised (mean/std of the bank), multiplied by per-feature
importance weights (e.g. permutation importance of the plain DNN), L2-normalised; the inner product of two
embeddings is the cosine similarity, so the k nearest neighbours by inner product are the k nearest by cosine
distance. Neighbour search uses faiss (exact ``IndexFlatIP``, or ``IndexHNSWFlat`` with the inner-product metric
for large banks); nothing here re-implements nearest-neighbour search.

Aggregation. Row i of the operator A holds the MC weights of i's k neighbours, normalised by their sum of
**absolute** weights:

    (A V)_i = sum_{j in N(i)} w_j V_j / sum_{j in N(i)} |w_j|

so a negative weight pulls the aggregate the other way but can never make the denominator vanish or flip sign
(a row whose neighbours all have weight 0 aggregates to 0). A is never held dense: neighbours are found and
A V computed a block of rows at a time; only the (n, k) neighbour lists of the bank and the aggregated features
are stored.

Bank. New events (training, test, grid points, data) take their neighbours from the bank only (background MC
events kept aside for that purpose, never trained on or scored), so an event's graph features do not depend on
which other new events are present: scoring is inductive and deterministic, and the network on top stays a plain
MLP on ``[X, A X, A^2 X, ...]`` that runs in ONNX. Multi-hop features of a new event use the bank's own
propagated features: ``(A^h X)_q = sum_j a_qj (A^{h-1} X)_j``, j in the bank, where the bank-to-bank operator
excludes each bank event from its own neighbours.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from susyscan.errors import ConfigError, FeatureError
from susyscan.training.standardise import Standardisation

logger = logging.getLogger(__name__)

INDEX_KINDS: tuple[str, ...] = ("flat", "hnsw")
#: Norm below which an embedding counts as zero (it is left as the zero vector: similarity 0 to every event).
MIN_NORM = 1e-12


@dataclass(frozen=True)
class SignConfig:
    """Graph settings: ``k`` neighbours, ``hops`` aggregated powers of A (1-3), the faiss index kind, HNSW
    parameters, and the number of rows per block of the neighbour search and aggregation."""

    k: int = 16
    hops: int = 2
    index: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64
    block_rows: int = 65536

    def __post_init__(self) -> None:
        if self.index not in INDEX_KINDS:
            raise ConfigError(f"sign.index {self.index!r} not in {list(INDEX_KINDS)}")
        if self.k < 1 or not 1 <= self.hops <= 3 or self.block_rows < 1:
            raise ConfigError(f"sign: need k >= 1, 1 <= hops <= 3, block_rows >= 1: {asdict(self)}")


def hop_names(feature_names: Sequence[str], hops: int) -> list[str]:
    """Column names of ``[X, A X, ..., A^hops X]``: ``x``, ``A1:x``, ``A2:x``, ..."""
    return [*feature_names, *(f"A{h}:{name}" for h in range(1, hops + 1) for name in feature_names)]


def embed(features: np.ndarray, standardisation: Standardisation, importance: np.ndarray) -> np.ndarray:
    """Unit vectors (float32) of standardised, importance-weighted features; a zero vector stays zero."""
    z = standardisation.apply(np.asarray(features, dtype=np.float64)) * np.asarray(importance, dtype=np.float64)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    return np.ascontiguousarray(np.where(norm > MIN_NORM, z / np.maximum(norm, MIN_NORM), 0.0), dtype=np.float32)


def build_index(vectors: np.ndarray, config: SignConfig) -> faiss.Index:
    """A faiss inner-product index over ``vectors`` (exact, or HNSW)."""
    dim = vectors.shape[1]
    index: faiss.Index
    if config.index == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        hnsw = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = config.hnsw_ef_construction
        hnsw.hnsw.efSearch = config.hnsw_ef_search
        index = hnsw
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search(index: faiss.Index, queries: np.ndarray, k: int, block_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, indices) of the ``k`` nearest bank vectors of each query, a block of rows at a time."""
    sims, idx = [], []
    for first in range(0, len(queries), block_rows):
        s, i = index.search(np.ascontiguousarray(queries[first : first + block_rows], dtype=np.float32), k)
        sims.append(s)
        idx.append(i)
    if not idx:
        return np.empty((0, k), np.float32), np.empty((0, k), np.int64)
    indices = np.concatenate(idx)
    if (indices < 0).any():
        raise FeatureError(f"neighbour search returned fewer than k={k} neighbours (bank of {index.ntotal} events)")
    return np.concatenate(sims), indices


def aggregate(neighbours: np.ndarray, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(A V)_i = sum_j w_j V_j / sum_j |w_j|`` over the neighbours ``j`` of row i (0 where all |w_j| are 0)."""
    w = np.asarray(weights, dtype=np.float64)[neighbours]  # (n, k)
    numerator = np.einsum("nk,nkm->nm", w, np.asarray(values, dtype=np.float64)[neighbours])
    denominator = np.abs(w).sum(axis=1, keepdims=True)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def drop_self(indices: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """From (n, k+1) neighbour lists of bank events ``rows``, remove each event itself (or, when ties pushed it
    out of the list, the farthest neighbour), keeping the order."""
    is_self = indices == rows[:, None]
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    first = is_self.argmax(axis=1)
    keep = np.ones_like(indices, dtype=bool)
    keep[np.arange(len(indices)), first] = False
    return indices[keep].reshape(len(indices), indices.shape[1] - 1)


@dataclass
class ReferenceBank:
    """The fixed bank of reference events: their embedding, weights, propagated features and faiss index.

    ``hop_values[h]`` holds ``A^h X`` of the bank (h = 0 .. hops-1; ``hop_values[0]`` is the raw X), so the
    features of a new event at hop h + 1 need only its own neighbour list."""

    feature_names: tuple[str, ...]
    standardisation: Standardisation
    importance: np.ndarray
    weights: np.ndarray
    hop_values: list[np.ndarray]
    index: faiss.Index
    config: SignConfig

    @classmethod
    def build(cls, features: np.ndarray, weights: np.ndarray, feature_names: Sequence[str],
              importance: np.ndarray | None, config: SignConfig) -> ReferenceBank:
        """Build the bank from its events' raw ``features`` and MC ``weights``."""
        features = np.asarray(features, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        names = tuple(feature_names)
        if features.ndim != 2 or features.shape[1] != len(names) or len(weights) != len(features):
            raise FeatureError(f"reference bank: features {features.shape}, {len(names)} names, {len(weights)} weights")
        if len(features) <= config.k:
            raise FeatureError(f"reference bank: {len(features)} events, need more than k={config.k}")
        if not np.isfinite(features).all() or not np.isfinite(weights).all():
            raise FeatureError("reference bank: non-finite features or weights")
        importance = np.ones(len(names)) if importance is None else np.asarray(importance, dtype=np.float64)
        if importance.shape != (len(names),) or (importance < 0).any():
            raise FeatureError(f"reference bank: importance must be {len(names)} non-negative numbers")
        standardisation = Standardisation.fit(features, names)
        vectors = embed(features, standardisation, importance)
        index = build_index(vectors, config)
        hop_values = [features]
        if config.hops > 1:
            _, idx = search(index, vectors, config.k + 1, config.block_rows)
            neighbours = drop_self(idx, np.arange(len(features)))
            for _ in range(1, config.hops):
                previous = hop_values[-1]
                hop_values.append(np.concatenate([
                    aggregate(neighbours[first : first + config.block_rows], weights, previous)
                    for first in range(0, len(features), config.block_rows)]))
        logger.info("reference bank: %d events, %d features, k=%d, hops=%d, %s index", len(features), len(names),
                    config.k, config.hops, config.index)
        return cls(names, standardisation, importance, weights, hop_values, index, config)

    def __len__(self) -> int:
        return len(self.weights)

    def neighbours(self, features: np.ndarray) -> np.ndarray:
        """(n, k) bank indices of the neighbours of new events."""
        queries = embed(np.asarray(features, dtype=np.float64), self.standardisation, self.importance)
        return search(self.index, queries, self.config.k, self.config.block_rows)[1]

    def graph_features(self, features: np.ndarray) -> np.ndarray:
        """``[A X, ..., A^hops X]`` (n, hops * n_features) of new events, computed a block of rows at a time."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != len(self.feature_names):
            raise FeatureError(f"reference bank: expected (n, {len(self.feature_names)}) features, got {features.shape}")
        if not np.isfinite(features).all():
            raise FeatureError("reference bank: non-finite features in the events to aggregate")
        out = np.empty((len(features), len(self.feature_names) * self.config.hops))
        for first in range(0, len(features), self.config.block_rows):
            block = slice(first, first + self.config.block_rows)
            neighbours = self.neighbours(features[block])
            out[block] = np.concatenate([aggregate(neighbours, self.weights, values) for values in self.hop_values],
                                        axis=1)
        return out

    def with_graph_features(self, features: np.ndarray) -> np.ndarray:
        """``[X, A X, ..., A^hops X]``: the SIGN network's input, columns named by :func:`hop_names`."""
        return np.concatenate([np.asarray(features, dtype=np.float64), self.graph_features(features)], axis=1)

    def save(self, directory: str | Path) -> None:
        """Write ``bank.npz``, ``bank.faiss`` and ``bank.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {"weights": self.weights, "importance": self.importance,
                  **{f"hop{h}": values for h, values in enumerate(self.hop_values)}}
        np.savez(directory / "bank.npz", **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds badly
        faiss.write_index(self.index, str(directory / "bank.faiss"))
        meta = {"feature_names": list(self.feature_names), "standardisation": self.standardisation.to_dict(),
                "config": asdict(self.config), "n_events": len(self)}
        (directory / "bank.json").write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, directory: str | Path) -> ReferenceBank:
        """Inverse of :meth:`save`."""
        directory = Path(directory)
        meta = json.loads((directory / "bank.json").read_text())
        config = SignConfig(**meta["config"])
        with np.load(directory / "bank.npz") as arrays:
            hop_values = [arrays[f"hop{h}"] for h in range(config.hops)]
            weights, importance = arrays["weights"], arrays["importance"]
        index = faiss.read_index(str(directory / "bank.faiss"))
        if config.index == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = config.hnsw_ef_search  # type: ignore[attr-defined]
        return cls(tuple(meta["feature_names"]), Standardisation.from_dict(meta["standardisation"]), importance,
                   weights, hop_values, index, config)
