"""Evaluate a surrogate ONNX model: per-event probabilities, efficiencies and the domain guard.

The feature contract is read from the model's own metadata (``feature_contract``), so the model file alone is
enough; a table missing a contract column is an error naming the column.

Domain guard: the seed's code silently returns a tiny efficiency outside its training domain; here every event
outside the training ranges (a continuous input outside [min, max] of the training events, or a categorical value
never seen) is counted, and a point with more than ``max_outside_fraction`` such events, or whose masses lie
outside the box of the training mass points, gets a warning naming the features and the fraction.  The
efficiencies are still returned (flagged), never replaced by a floor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.errors import ModelMetadataError
from susyscan.surrogate.contract import MISSING, Contract, check_columns
from susyscan.surrogate.onnx_merge import INPUT_NAME, OUTPUT_NAME

logger = logging.getLogger(__name__)

MAX_OUTSIDE_FRACTION = 0.01


@dataclass
class DomainReport:
    """Events outside the training domain, per feature, and whether the mass point is inside the training box."""

    n_events: int
    n_outside: int
    by_feature: dict[str, int] = field(default_factory=dict)
    mass_inside: bool | None = None

    @property
    def fraction(self) -> float:
        return self.n_outside / self.n_events if self.n_events else 0.0

    def warnings(self, what: str, max_fraction: float = MAX_OUTSIDE_FRACTION) -> list[str]:
        out = []
        if self.fraction > max_fraction:
            worst = sorted(self.by_feature.items(), key=lambda kv: -kv[1])[:4]
            out.append(f"{what}: {100 * self.fraction:.1f} % of {self.n_events} events lie outside the surrogate's "
                       f"training ranges ({', '.join(f'{k}: {v}' for k, v in worst)}): its efficiency there is an "
                       "extrapolation, not validated")
        if self.mass_inside is False:
            out.append(f"{what}: mass point outside the training mass range: extrapolation, not validated")
        return out


def outside_mask(frame: pd.DataFrame, contract: Contract) -> tuple[np.ndarray, dict[str, int]]:
    """Per event: outside the training domain in any input; and the count per input."""
    outside = np.zeros(len(frame), dtype=bool)
    counts: dict[str, int] = {}
    for name in contract.inputs:
        values = frame[name].to_numpy(dtype=float)
        present = values != MISSING
        if name in contract.categories:
            bad = present & ~np.isin(values, contract.categories[name])
        elif name in contract.ranges:
            lo, hi = contract.ranges[name]
            bad = present & ((values < lo) | (values > hi))
        else:  # never present in training: any value is outside
            bad = present
        if bad.any():
            counts[name] = int(bad.sum())
            outside |= bad
    return outside, counts


def mass_inside(contract: Contract, m_parent: float, m_lsp: float) -> bool | None:
    """Whether (m_parent, m_lsp) is inside the bounding box of the training mass points (None if unknown)."""
    if not contract.mass_points:
        return None
    pts = np.asarray(contract.mass_points, dtype=float)
    return bool(pts[:, 0].min() <= m_parent <= pts[:, 0].max() and pts[:, 1].min() <= m_lsp <= pts[:, 1].max())


class SurrogateModel:
    """An onnxruntime session of a surrogate model plus its contract."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        import onnx
        import onnxruntime as ort

        self.path = Path(path)
        model = onnx.load(str(path))
        meta = {p.key: p.value for p in model.metadata_props}
        if "feature_contract" not in meta:
            raise ModelMetadataError(f"{path}: no 'feature_contract' metadata (not a surrogate model)")
        self.contract = Contract.from_json(json.loads(meta["feature_contract"]), f"{path} metadata")
        if "relative_uncertainty" in meta:
            self.contract.uncertainty = float(meta["relative_uncertainty"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])

    @property
    def regions(self) -> list[str]:
        return list(self.contract.regions)

    def probabilities(self, frame: pd.DataFrame, source: str = "truth table") -> np.ndarray:
        """[n, n_regions] probabilities of the events of ``frame`` (contract columns by name)."""
        check_columns(frame.columns, self.contract.inputs, source)
        x = frame[self.contract.inputs].to_numpy(dtype=np.float32)
        if not np.isfinite(x).all():
            bad = [c for c in self.contract.inputs if not np.isfinite(frame[c].to_numpy(dtype=float)).all()]
            raise ModelMetadataError(f"{source}: non-finite values in {bad} (missing objects use {MISSING:g})")
        if len(x) == 0:
            return np.zeros((0, len(self.regions)), dtype=np.float32)
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]

    def domain(self, frame: pd.DataFrame, m_parent: float | None = None, m_lsp: float | None = None) -> DomainReport:
        outside, counts = outside_mask(frame, self.contract)
        inside = None if m_parent is None or m_lsp is None else mass_inside(self.contract, m_parent, m_lsp)
        return DomainReport(len(frame), int(outside.sum()), counts, inside)

    def efficiencies(self, frame: pd.DataFrame, what: str = "sample", weights: Sequence[float] | None = None,
                     m_parent: float | None = None, m_lsp: float | None = None,
                     max_outside_fraction: float = MAX_OUTSIDE_FRACTION) -> tuple[pd.DataFrame, DomainReport]:
        """Per region: efficiency (weighted mean probability), its MC statistical error and, when the model
        carries one, the surrogate uncertainty; plus the domain report (warnings logged)."""
        p = self.probabilities(frame, what).astype(np.float64)
        w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=float)
        total = w.sum()
        if not total > 0:
            raise ModelMetadataError(f"{what}: no events (or non-positive total weight) to average over")
        eff = (w[:, None] * p).sum(axis=0) / total
        # MC statistics of the sample: standard error of the weighted mean of the per-event probabilities
        stat = np.sqrt((w[:, None] ** 2 * (p - eff) ** 2).sum(axis=0)) / total
        table = pd.DataFrame({"region": self.regions, "efficiency": eff, "stat_err": stat})
        if self.contract.uncertainty is not None:
            table["surrogate_err"] = eff * float(self.contract.uncertainty)
        report = self.domain(frame, m_parent, m_lsp)
        for message in report.warnings(what, max_outside_fraction):
            logger.warning(message)
        table["outside_domain_fraction"] = report.fraction
        return table, report
