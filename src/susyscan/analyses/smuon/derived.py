"""The ten derived features of the smuon analysis, computed once when the feature CSVs are written.

Conventions (sentinel- and zero-safe):
- a missing object is ``SENTINEL`` (-999) in the raw features; missing lepton pTs count 0 in sums;
- a missing leading jet counts as 0 hadronic activity in the numerators (HT is already 0 then);
- a ratio whose denominator is missing or <= 0 is ``SENTINEL``;
- angular separations need both muons, else ``SENTINEL``; dphi_mumu = |dphi| in [0, pi].
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from susyscan.analysis.features import SENTINEL
from susyscan.analysis.kinematics import delta_phi
from susyscan.errors import FeatureError

logger = logging.getLogger(__name__)

DERIVED: list[str] = [
    "sum_lep_pt",                   # pT(mu1)+pT(mu2)+pT(e1)+pT(e2)
    "dr_mumu",                      # dR(mu1, mu2)
    "dphi_mumu",                    # |dphi(mu1, mu2)|
    "met_over_sum_lep_pt",          # MET / sum_lep_pt
    "jet1_pt_over_mu1_pt",          # dynamic-veto ratio 1
    "jet1_pt_over_sum_lep_pt",      # dynamic-veto ratio 2
    "jet1_pt_over_sum_lep_pt_met",  # dynamic-veto ratio 3
    "ht_over_mu1_pt",               # dynamic-veto ratio 4
    "ht_over_sum_lep_pt",           # dynamic-veto ratio 5
    "ht_over_sum_lep_pt_met",       # dynamic-veto ratio 6
]

_INPUTS = ["mu1_pt", "mu1_eta", "mu1_phi", "mu2_pt", "mu2_eta", "mu2_phi", "ele1_pt", "ele2_pt",
           "jet1_pt", "met", "ht"]


def _present(values: np.ndarray) -> np.ndarray:
    return values > SENTINEL + 1.0


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    ok = _present(denominator) & (denominator > 0.0)
    return np.where(ok, numerator / np.where(ok, denominator, 1.0), SENTINEL)


def derived_arrays(columns: dict[str, np.ndarray] | pd.DataFrame) -> dict[str, np.ndarray]:
    """The DERIVED features from the raw feature columns (dict of arrays or DataFrame)."""
    missing = [c for c in _INPUTS if c not in columns]
    if missing:
        raise FeatureError(f"derived features need column(s) {missing}")
    col = {c: np.asarray(columns[c], dtype=np.float64) for c in _INPUTS}
    for name, values in col.items():
        if not np.all(np.isfinite(values)):
            raise FeatureError(f"column {name!r} holds NaN/inf; cannot compute derived features")

    def pt_or0(name: str) -> np.ndarray:
        return np.where(_present(col[name]), col[name], 0.0)

    both_mu = _present(col["mu1_pt"]) & _present(col["mu2_pt"])
    sum_lep = pt_or0("mu1_pt") + pt_or0("mu2_pt") + pt_or0("ele1_pt") + pt_or0("ele2_pt")
    dphi = np.abs(delta_phi(col["mu1_phi"], col["mu2_phi"]))
    deta = col["mu1_eta"] - col["mu2_eta"]
    jet1 = pt_or0("jet1_pt")
    ht = np.where(_present(col["ht"]), col["ht"], 0.0)
    met = col["met"]
    lep_met = sum_lep + met
    mu1 = np.where(_present(col["mu1_pt"]), col["mu1_pt"], SENTINEL)
    sum_lep_den = np.where(sum_lep > 0.0, sum_lep, SENTINEL)
    lep_met_den = np.where(sum_lep > 0.0, lep_met, SENTINEL)
    return {
        "sum_lep_pt": sum_lep,
        "dr_mumu": np.where(both_mu, np.sqrt(deta * deta + dphi * dphi), SENTINEL),
        "dphi_mumu": np.where(both_mu, dphi, SENTINEL),
        "met_over_sum_lep_pt": _safe_ratio(met, sum_lep_den),
        "jet1_pt_over_mu1_pt": _safe_ratio(jet1, mu1),
        "jet1_pt_over_sum_lep_pt": _safe_ratio(jet1, sum_lep_den),
        "jet1_pt_over_sum_lep_pt_met": _safe_ratio(jet1, lep_met_den),
        "ht_over_mu1_pt": _safe_ratio(ht, mu1),
        "ht_over_sum_lep_pt": _safe_ratio(ht, sum_lep_den),
        "ht_over_sum_lep_pt_met": _safe_ratio(ht, lep_met_den),
    }


def add_derived(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with the 10 DERIVED columns appended (in DERIVED order)."""
    values = derived_arrays(df)
    out = df.copy()
    for name in DERIVED:
        out[name] = values[name]
    return out
