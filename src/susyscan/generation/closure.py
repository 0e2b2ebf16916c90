"""Closure test of a generator filter: filtered vs unfiltered reco-level yields after a preselection.

The cut compared is the last applied one or a named cut (e.g. ewkino's last baseline cut, ``cut=``), or every cut
stage of the cutflow (:func:`filter_closure_stages`).
Both samples go through the production chain (``generate_chunk`` -> detector -> ``select_features`` ->
``cutflow_yields``), so the test covers the hook, the efficiency bookkeeping in the metadata and the
normalisation.  A filter that is looser than the cuts gives the same yield after the last applied cut
within MC statistics; a filter that is too tight gives a filtered yield that is low.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from susyscan.analysis.cutflow import cutflow_yields
from susyscan.analysis.select import select_features
from susyscan.generation.chunk import generate_chunk
from susyscan.generation.filters import FilterSpec

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CARD = ROOT / "resources" / "detector" / "atlas.yaml"
SMUON_ANALYSIS = ROOT / "config" / "analyses" / "smuon.yaml"


@dataclass(frozen=True)
class ClosureResult:
    """Yield (events at ``lumi_ifb``) after the last applied cut, with MC stat errors and raw counts."""

    process: str
    filter_name: str
    cut: str
    lumi_ifb: float
    filtered: float
    filtered_stat: float
    filtered_raw: int
    unfiltered: float
    unfiltered_stat: float
    unfiltered_raw: int
    filtered_seconds: float
    unfiltered_seconds: float

    @property
    def pull(self) -> float:
        """(filtered - unfiltered) / combined stat error."""
        sigma = math.hypot(self.filtered_stat, self.unfiltered_stat)
        return (self.filtered - self.unfiltered) / sigma if sigma > 0 else math.nan

    @property
    def ratio(self) -> float:
        return self.filtered / self.unfiltered if self.unfiltered > 0 else math.nan

    @property
    def ratio_stat(self) -> float:
        """MC stat error of :attr:`ratio` (independent samples: relative errors in quadrature)."""
        if not (self.filtered > 0 and self.unfiltered > 0):
            return math.nan
        return self.ratio * math.hypot(self.filtered_stat / self.filtered, self.unfiltered_stat / self.unfiltered)

    def as_row(self) -> dict[str, Any]:
        return {"process": self.process, "filter": self.filter_name, "cut": self.cut,
                "filtered": self.filtered, "filtered_stat": self.filtered_stat, "filtered_raw": self.filtered_raw,
                "unfiltered": self.unfiltered, "unfiltered_stat": self.unfiltered_stat,
                "unfiltered_raw": self.unfiltered_raw, "ratio": self.ratio, "ratio_stat": self.ratio_stat, "pull": self.pull,
                "filtered_seconds": self.filtered_seconds, "unfiltered_seconds": self.unfiltered_seconds}


def sample_cutflows(process: str, name: str, n_events: int, n_chunks: int, seed: int, workdir: Path,
                    filter_spec: FilterSpec | None, analysis_config: Path,
                    cut_overrides: dict[str, str] | None,
                    masses: dict[str, float] | None = None,
                    detector_options: dict[str, Any] | None = None) -> tuple[list[Path], float]:
    """Generate ``n_events`` of ``process`` in ``n_chunks`` chunks under ``workdir/name`` and select them with
    ``analysis_config``; the chunks' cutflow files and the seconds taken."""
    paths = []
    start = time.perf_counter()
    per_chunk = [n_events // n_chunks + (1 if c < n_events % n_chunks else 0) for c in range(n_chunks)]
    for chunk, n in enumerate(per_chunk):
        events = workdir / name / f"chunk{chunk}.root"
        generate_chunk({"name": name, "process": process, "masses": dict(masses or {})}, chunk, n, seed, events,
                       DEFAULT_CARD, detector_options=detector_options, filter_spec=filter_spec)
        cutflow = workdir / name / f"chunk{chunk}.cutflow.json"
        select_features(events, analysis_config, workdir / name / f"chunk{chunk}.csv.gz", cutflow, cut_overrides)
        paths.append(cutflow)
    return paths, time.perf_counter() - start


def _closure_tables(process: str, filter_spec: FilterSpec, n_unfiltered: int, n_filtered: int, workdir: Path,
                    seed: int, lumi_ifb: float, analysis_config: Path, cut_overrides: dict[str, str] | None,
                    events_per_chunk: int, masses: dict[str, float] | None,
                    detector_options: dict[str, Any] | None) -> dict[str, tuple[pd.DataFrame, float]]:
    """Cutflow tables (and seconds) of the unfiltered and the filtered sample; their sample names differ, so the
    two are independent samples (chunk seeds from the names)."""
    tables: dict[str, tuple[pd.DataFrame, float]] = {}
    for label, spec, n in (("unfiltered", None, n_unfiltered), ("filtered", filter_spec, n_filtered)):
        chunks = max(1, math.ceil(n / events_per_chunk))
        paths, seconds = sample_cutflows(process, f"{process}_{label}", n, chunks, seed, workdir, spec,
                                         analysis_config, cut_overrides, masses, detector_options)
        tables[label] = (cutflow_yields(paths, lumi_ifb), seconds)
    return tables


def _result(process: str, filter_spec: FilterSpec, lumi_ifb: float, filt: pd.Series, t_f: float, unf: pd.Series,
            t_u: float) -> ClosureResult:
    """The :class:`ClosureResult` of one cut stage: the filtered (``filt``) and unfiltered (``unf``) cutflow rows'
    ``cut``, ``yield`` (events at ``lumi_ifb``), ``stat`` and ``n_raw`` side by side, with the generation CPU times
    ``t_f`` / ``t_u`` (seconds) of the two samples and the names of ``process`` and the filter; its ``pull`` and
    ``ratio`` compare the two yields."""
    return ClosureResult(process, filter_spec.name, str(filt["cut"]), lumi_ifb,
                         float(filt["yield"]), float(filt["stat"]), int(filt["n_raw"]),
                         float(unf["yield"]), float(unf["stat"]), int(unf["n_raw"]), t_f, t_u)


def filter_closure(process: str, filter_spec: FilterSpec, n_unfiltered: int, n_filtered: int, workdir: str | Path,
                   seed: int = 1, lumi_ifb: float = 139.0, analysis_config: str | Path = SMUON_ANALYSIS,
                   cut_overrides: dict[str, str] | None = None, events_per_chunk: int = 5000,
                   masses: dict[str, float] | None = None, cut: str | None = None,
                   detector_options: dict[str, Any] | None = None) -> ClosureResult:
    """Generate ``process`` (signal: at ``masses``) with and without ``filter_spec`` and compare the yields after
    the last applied cut, or after the named ``cut`` of the cutflow (e.g. the last for-comparison baseline cut)."""
    tables = _closure_tables(process, filter_spec, n_unfiltered, n_filtered, Path(workdir), seed, lumi_ifb,
                             Path(analysis_config), cut_overrides, events_per_chunk, masses, detector_options)
    rows: dict[str, pd.Series] = {}
    for label, (table, seconds) in tables.items():
        if cut is None:
            applied = table[~table["for_comparison_only"]]
            rows[label] = applied[applied["order"] == applied["order"].max()].iloc[0]
        elif cut in set(table["cut"]):
            rows[label] = table[table["cut"] == cut].iloc[0]
        else:
            raise ValueError(f"closure of {process}: cut {cut!r} not in the cutflow {list(table['cut'])}")
        last = rows[label]
        logger.info("%s %s: %s yield %.4g +- %.2g events at %g/fb (%d MC events) in %.0f s", process, label,
                    last["cut"], last["yield"], last["stat"], lumi_ifb, last["n_raw"], seconds)
    return _result(process, filter_spec, lumi_ifb, rows["filtered"], tables["filtered"][1], rows["unfiltered"],
                   tables["unfiltered"][1])


def filter_closure_stages(process: str, filter_spec: FilterSpec, n_unfiltered: int, n_filtered: int,
                          workdir: str | Path, seed: int = 1, lumi_ifb: float = 139.0,
                          analysis_config: str | Path = SMUON_ANALYSIS, cut_overrides: dict[str, str] | None = None,
                          events_per_chunk: int = 5000, masses: dict[str, float] | None = None,
                          detector_options: dict[str, Any] | None = None) -> list[ClosureResult]:
    """As :func:`filter_closure`, one result per cut stage of the cutflow (in its order, the initial count and
    for-comparison cuts included: each row is the yield after all cuts up to it), from one pair of samples."""
    tables = _closure_tables(process, filter_spec, n_unfiltered, n_filtered, Path(workdir), seed, lumi_ifb,
                             Path(analysis_config), cut_overrides, events_per_chunk, masses, detector_options)
    (filt, t_f), (unf, t_u) = tables["filtered"], tables["unfiltered"]
    if list(filt["cut"]) != list(unf["cut"]):
        raise ValueError(f"closure of {process}: cut lists differ, filtered {list(filt['cut'])} vs unfiltered "
                         f"{list(unf['cut'])}")
    out = [_result(process, filter_spec, lumi_ifb, f, t_f, u, t_u)
           for (_, f), (_, u) in zip(filt.iterrows(), unf.iterrows(), strict=True)]
    for r in out:
        logger.info("%s after %s: filtered/unfiltered %.3f +- %.3f (pull %+.2f; %d / %d MC events)", process, r.cut,
                    r.ratio, r.ratio_stat, r.pull, r.filtered_raw, r.unfiltered_raw)
    return out
