"""Closure of tau truth tagging: random vs truth-tagged taus on the same generated events, through the production
chain (``generate_chunk`` -> detector -> ``select_features`` -> ``cutflow_yields``).

Both runs use the same chunk seeds, so Pythia and every detector branch but the taus are identical (the truth tag
draws its per-event number after all others, :func:`susyscan.detector.simulate.simulate`); the weighted yields
after a cut must agree within the MC statistics of the random tagging, and the truth tagging's relative MC error
must be much smaller.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from susyscan.generation.filters import FilterSpec

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
STAU_ANALYSIS = ROOT / "config" / "analyses" / "stau.yaml"


class CutYield(NamedTuple):
    """Yield after one cut (events at the closure's luminosity), its MC stat error and the raw MC count."""

    value: float
    stat: float
    raw: int

    @property
    def relative_error(self) -> float:
        return self.stat / self.value if self.value > 0 else math.inf


@dataclass(frozen=True)
class TruthTagClosure:
    """Yields after ``cut`` with random (``random``) and truth-tagged (``truth``) taus, same events."""

    process: str
    n_events: int
    cut: str
    lumi_ifb: float
    random: CutYield
    truth: CutYield
    seconds: float

    @property
    def pull(self) -> float:
        """(truth - random) / combined stat error (the two are positively correlated: conservative)."""
        sigma = math.hypot(self.random.stat, self.truth.stat)
        return (self.truth.value - self.random.value) / sigma if sigma > 0 else math.nan

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"process": self.process, "n_events": self.n_events, "cut": self.cut,
                               "lumi_ifb": self.lumi_ifb, "pull": self.pull, "seconds": self.seconds}
        for label, y in (("random", self.random), ("truth", self.truth)):
            row |= {label: y.value, f"{label}_stat": y.stat, f"{label}_raw": y.raw,
                    f"{label}_rel_err": y.relative_error}
        return row


def truth_tag_closure(process: str, n_events: int, workdir: str | Path, seed: int = 1,
                      cuts: tuple[str, ...] = ("one_tau", "opposite_sign", "met_cut"), lumi_ifb: float = 139.0,
                      analysis_config: str | Path = STAU_ANALYSIS, events_per_chunk: int = 2000,
                      filter_spec: FilterSpec | None = None) -> list[TruthTagClosure]:
    """Generate ``n_events`` of background ``process`` (with ``filter_spec``) once per tagging mode (same seeds)
    and compare the yields after each of ``cuts`` of ``analysis_config`` (default: the stau preselection's tau,
    opposite-sign and MET cuts)."""
    from susyscan.analysis.cutflow import cutflow_yields
    from susyscan.generation.closure import sample_cutflows

    workdir = Path(workdir)
    n_chunks = max(1, math.ceil(n_events / events_per_chunk))
    tables = {}
    seconds = 0.0
    for label, options in (("random", {}), ("truth", {"tau_truth_tagging": True})):
        # sample name = process: the chunk seeds chunk_seed(seed, process, chunk) are the same for both modes
        paths, taken = sample_cutflows(process, process, n_events, n_chunks, seed, workdir / label, filter_spec,
                                       Path(analysis_config), None, detector_options=options)
        tables[label] = cutflow_yields(paths, lumi_ifb).set_index("cut")
        seconds += taken
    out = []
    for cut in cuts:
        if cut not in tables["random"].index:
            raise ValueError(f"truth-tag closure of {process}: cut {cut!r} not in the cutflow "
                             f"{list(tables['random'].index)}")
        r, t = (CutYield(float(row["yield"]), float(row["stat"]), int(row["n_raw"]))
                for row in (tables["random"].loc[cut], tables["truth"].loc[cut]))
        out.append(TruthTagClosure(process, n_events, cut, lumi_ifb, r, t, seconds))
        logger.info("%s after %s: random %.4g +- %.2g (%d MC), truth %.4g +- %.2g (%d MC) at %g/fb", process, cut,
                    *r, *t, lumi_ifb)
    return out
