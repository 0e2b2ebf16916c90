"""Read the scan outputs (per-point signal yields, background yields) for the statistics stage.

Regions without background MC
-----------------------------
A region where no background MC event passes (or whose summed weight is not positive) has no background
estimate, and a background of zero would make any signal infinitely significant.  Such a region gets the
68 % CL one-sided Poisson upper bound for zero observed MC events, ``-ln(1 - 0.68) = 1.139`` events, each of
the largest event weight of any background process among the events that could have entered *that region*
(:func:`largest_event_weight_pb`, :func:`zero_mc_background_pb`), with a 100 % MC statistical uncertainty
(``stat_pb`` = the substituted value).  The largest weight is the conservative choice: the process with the
heaviest events is the one whose absence from the region is least informative.  The weights are those of the
region's own events as weighted there: the background tables give ``max_event_weight_pb`` per region and process
(``susyscan.scan.yields.note_largest_weight``), so a region quoted on half of the events (weights x 2, the stau
multiclass table) gets twice the unit of a region that uses all of them; where every region sees every event (the
scan's tables) the unit is the same in every region.  Every such region is logged as a warning with the number
used, and flagged (``bkg_zero_mc``) in ``cls.csv``.

With tau truth tagging (``detector.tau_truth_tagging``) an event's weight includes its probability P1 of exactly
one tau tag.  The bound counts raw MC events: no raw event passed, so the mean number of raw events in the region
is below 1.139 (68 % CL); each such event would carry its generator weight times its own P1, which is unknown
for an event that was not seen.  P1 is at most the largest tagging probability of one candidate (P(exactly one
tag) is linear in each candidate's probability, so largest with a single candidate at its largest value): with
``resources/detector/atlas.yaml`` the 1-prong efficiency 0.70 for a real tau, against 0.02 for a 1-prong fake.
The unit is the weight of one raw event with P1 = 1, i.e. the weight without the factor (the tables'
``max_event_weight_pb``, from :func:`susyscan.analysis.tautruth.untagged_abs_weights`): deliberately conservative
(above any P1 of the card, by 1 / 0.70 at least), and the same number random tagging gives, where a passing event
carries its full weight.  The largest w x P1 among the preselected events would instead borrow the P1 of
events that passed other cuts and understate the bound by their typical P1 (a factor ~10-100 for fake taus).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from susyscan.contracts import BACKGROUND_COLUMNS, TOTAL, YIELD_COLUMNS
from susyscan.errors import EmptySelectionError, FeatureError

logger = logging.getLogger(__name__)


#: Confidence level of the upper bound used for a region with zero background MC events.
ZERO_MC_CL = 0.68
#: Poisson mean whose probability of giving zero events is 1 - ZERO_MC_CL: -ln(0.32) = 1.139 events.
ZERO_MC_EVENTS = -math.log(1.0 - ZERO_MC_CL)
MAX_WEIGHT = "max_event_weight_pb"
MIN_WEIGHT = "min_event_weight_pb"


def _require(df: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureError(f"{path}: missing columns {missing}")


def read_signal_yields(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate per-point yield tables (contract columns ``YIELD_COLUMNS``)."""
    frames = []
    for path in map(Path, paths):
        df = pd.read_csv(path)
        _require(df, YIELD_COLUMNS, path)
        if df.empty:
            raise EmptySelectionError(f"{path}: no signal regions")
        frames.append(df)
    if not frames:
        raise EmptySelectionError("no signal yield files given")
    return pd.concat(frames, ignore_index=True)


def zero_mc_background_pb(max_event_weight_pb: float) -> float:
    """Background (pb) of a region with no background MC event: ``ZERO_MC_EVENTS`` (1.139, the 68 % CL
    one-sided Poisson upper bound of zero observed) events of the largest per-process event weight (without the
    tau truth-tag factor: the module docstring)."""
    if not (max_event_weight_pb > 0 and math.isfinite(max_event_weight_pb)):
        raise ValueError(f"largest event weight must be positive and finite, got {max_event_weight_pb}")
    return ZERO_MC_EVENTS * max_event_weight_pb


def largest_event_weight_pb(table: pd.DataFrame, path: str | Path, region: str) -> float:
    """Largest event weight over all processes of ``region``'s rows of the background table
    (``max_event_weight_pb``: the events that could have entered the region, weighted as there).

    Tables without that column fall back to ``min_event_weight_pb`` with a warning: identical for equal-weight
    samples, an underestimate otherwise."""
    rows = table[table["region"] == region]
    for column in (MAX_WEIGHT, MIN_WEIGHT):
        if column in table.columns:
            value = float(pd.to_numeric(rows[column], errors="coerce").max())
            if value > 0 and math.isfinite(value):
                if column == MIN_WEIGHT:
                    logger.warning("%s: no '%s' column; region %r without background MC uses '%s' = %.4g pb "
                                   "(an underestimate if event weights differ)", path, MAX_WEIGHT, region,
                                   MIN_WEIGHT, value)
                return value
    raise FeatureError(f"{path}: region {region!r} has no background MC event, but field '{MAX_WEIGHT}' "
                       f"is missing or not positive in its rows, so the zero-MC background cannot be set")


def background_for_limits(path: str | Path, mc_stat: bool = True) -> pd.DataFrame:
    """Background per region as used in the likelihood, indexed by region.

    Columns: ``yield_pb`` (MC total as given), ``fit_pb`` (used in the model), ``stat_pb`` (MC statistical
    uncertainty used as ``staterror``; 0 when ``mc_stat`` is off), ``zero_mc`` (bool) and ``note``.
    Regions with no background MC (``n_raw == 0`` or a non-positive total) get :func:`zero_mc_background_pb`
    of their own :func:`largest_event_weight_pb` with ``stat_pb`` equal to it (100 %), one warning per region.
    """
    path = Path(path)
    table = pd.read_csv(path)
    _require(table, BACKGROUND_COLUMNS, path)
    total = table[table["process"] == TOTAL].set_index("region")
    if total.empty:
        raise EmptySelectionError(f"{path}: no '{TOTAL}' rows")
    for field in ("yield_pb", "stat_pb", "n_raw"):
        bad = total.index[pd.to_numeric(total[field], errors="coerce").isna()]
        if len(bad):
            raise FeatureError(f"{path}: region {bad[0]!r}: field '{field}' is not a number")
    zero = (total["n_raw"] <= 0) | ~(total["yield_pb"] > 0)
    out = pd.DataFrame({"yield_pb": total["yield_pb"].astype(float), "fit_pb": total["yield_pb"].astype(float),
                        "stat_pb": total["stat_pb"].astype(float) if mc_stat else 0.0,
                        "zero_mc": zero.astype(bool), "note": ""}, index=total.index)
    for region in total.index[zero]:
        weight = largest_event_weight_pb(table, path, str(region))
        value = zero_mc_background_pb(weight)
        row = total.loc[region]
        logger.warning("%s: region %r has no background MC (n_raw=%d, yield %.4g pb): background set to "
                       "%.3f x the region's largest event weight %.4g pb = %.4g pb, with 100%% MC stat uncertainty",
                       path, region, int(row["n_raw"]), float(row["yield_pb"]), ZERO_MC_EVENTS, weight, value)
        out.loc[region, ["fit_pb", "stat_pb"]] = [value, value]
        out.loc[region, "note"] = (f"zero background MC: b = {ZERO_MC_EVENTS:.3f} x {weight:.4g} pb "
                                   f"(largest event weight) = {value:.4g} pb, 100% stat")
    return out
