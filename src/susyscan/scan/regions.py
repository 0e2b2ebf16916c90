"""Signal-region definitions read from config: an ONNX score cut or a 0/1 baseline flag column."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

KINDS = ("onnx", "flag")


@dataclass(frozen=True)
class SignalRegion:
    """One signal region: ``onnx`` regions cut on a model score, ``flag`` regions on a 0/1 column.

    An ``onnx`` region has one ``model`` scoring every event, or k-fold ``models`` (index = fold): each event is
    then scored by the model of the fold that held it out (``susyscan.scan.inference.FoldEnsemble``; one model of
    k = 1: the events of its test split). A ``model`` without k-fold metadata is refused for a table holding a
    sample it trained on (``susyscan.scan.inference.check_trained_events``) unless ``allow_trained_events``
    (config key of the same name) opts in; it then scores every event, with a warning.
    """

    name: str
    kind: str
    model: str | None = None
    column: str | None = None
    threshold: float | None = None
    models: tuple[str, ...] = ()
    allow_trained_events: bool = False

    @property
    def model_key(self) -> str:
        """The key of the region's model(s): the path, or the fold paths joined by '|'."""
        return self.model if self.model else "|".join(self.models)


def parse_region(entry: Mapping[str, Any], index: int) -> SignalRegion:
    """Validate one config entry ``{name, kind, model | column, threshold, allow_trained_events}``."""
    name = entry.get("name")
    if not name:
        raise ConfigError(f"scan.regions[{index}]: missing 'name'")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"scan.regions[{index}] ({name}): kind {kind!r} not in {KINDS}")
    threshold = entry.get("threshold")
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise ConfigError(f"scan.regions[{index}] ({name}): threshold {threshold} not in [0, 1]")
    models = entry.get("models") or ()
    if isinstance(models, str):
        models = (models,)
    if kind == "onnx" and bool(entry.get("model")) == bool(models):
        raise ConfigError(f"scan.regions[{index}] ({name}): onnx region needs 'model' (one path) or 'models' "
                          "(one path per fold, k >= 1), not both")
    if kind == "flag" and not entry.get("column"):
        raise ConfigError(f"scan.regions[{index}] ({name}): flag region needs 'column'")
    allow = entry.get("allow_trained_events", False)
    if not isinstance(allow, bool):
        raise ConfigError(f"scan.regions[{index}] ({name}): allow_trained_events must be true or false, got {allow!r}")
    return SignalRegion(str(name), str(kind), entry.get("model"), entry.get("column"),
                        None if threshold is None else float(threshold), tuple(str(m) for m in models), allow)


def parse_regions(entries: Sequence[Mapping[str, Any] | SignalRegion]) -> list[SignalRegion]:
    """Validate the config list of regions; names must be unique."""
    regions = [e if isinstance(e, SignalRegion) else parse_region(e, i) for i, e in enumerate(entries)]
    if not regions:
        raise ConfigError("scan.regions: no signal regions configured")
    names = [r.name for r in regions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"scan.regions: duplicate region names {duplicates}")
    return regions


def with_default_threshold(entries: Sequence[Mapping[str, Any]], threshold: float | None) -> list[dict[str, Any]]:
    """Copy of the config entries with ``threshold`` filled in for ``onnx`` regions that have none.

    Precedence: region threshold > this default (config ``scan.score_threshold``) > model metadata.
    """
    out = [dict(entry) for entry in entries]
    if threshold is not None:
        for entry in out:
            if entry.get("kind") == "onnx" and entry.get("threshold") is None:
                entry["threshold"] = float(threshold)
    return out
