"""LHEF 3 alternative event weights (scale/PDF variations) and the scale-variation envelope.

Pythia reads the ``<rwgt>`` weights of every event; :func:`susyscan.ingest.lhe.shower_lhe` keeps them per
showered event (nominal first, in Pythia's order, names from ``Info.weightNameVector``: MadGraph's
``muR=.. muF=..`` descriptions become ``MUR<x>_MUF<y>``; POWHEG ids such as ``MUR2.0_MUF2.0_PDF...``
stay). :func:`summarise_weights` reduces them per chunk to sums (``alt_weights``: name, scales, sum w,
sum w^2) and the 7-point envelope of the (muR, muF) variations (``scale_envelope``: the largest upward and
downward relative change of the summed weight, (0.5, 2) and (2, 0.5) excluded), which the event-file
metadata carries. :func:`combine_envelopes` merges chunks (sums first, then the envelope), and
:mod:`susyscan.stats.envelope` turns per-process envelopes into a background uncertainty per region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from susyscan.ingest.lhe_header import LheHeader

_NAME_SCALE = re.compile(r"MUR([0-9.]+)_MUF([0-9.]+)(?:_PDF(\d+))?$", re.IGNORECASE)
#: (muR, muF) pairs left out of the 7-point envelope.
EXCLUDED_POINTS = {(0.5, 2.0), (2.0, 0.5)}


def weight_scales(names: Sequence[str], header: LheHeader | None = None) -> list[tuple[float, float] | None]:
    """(muR, muF) factors of each weight name, None for the nominal and all other weights.

    Only the file's own LHEF 3 scale variations count (``<initrwgt>`` of ``header``): Pythia's internal
    weights (e.g. CKKW-L merging variations) are kept as alternative weights but stay out of the envelope.
    A name is matched to the header by id, or by its (muR, muF) factors when Pythia renamed it
    (``MUR<x>_MUF<y>``); a name with a PDF id other than the nominal set's is a PDF member.
    """
    header_weights = header.weights if header else ()
    by_id = {w.id: w.scales for w in header_weights}
    header_scales = {w.scales for w in header_weights if w.scales is not None}
    nominal_pdf: str | None = None
    out: list[tuple[float, float] | None] = []
    for index, name in enumerate(names):
        if index == 0:
            out.append(None)  # Pythia's nominal event weight
            continue
        if name in by_id:
            out.append(by_id[name])
            continue
        match = _NAME_SCALE.search(name)
        scales = (float(match.group(1)), float(match.group(2))) if match else None
        if scales is None or scales not in header_scales:
            out.append(None)
            continue
        pdf = match.group(3) if match else None
        if nominal_pdf is None:
            nominal_pdf = pdf
        out.append(scales if pdf == nominal_pdf else None)
    return out


def envelope_from_sums(nominal: float, varied: Mapping[tuple[float, float], float]) -> dict[str, Any] | None:
    """Relative 7-point envelope {up, down, n_variations} of summed weights (None without variations)."""
    ratios = [value / nominal - 1.0 for scales, value in varied.items()
              if scales not in EXCLUDED_POINTS and scales != (1.0, 1.0)]
    if not ratios or nominal == 0:
        return None
    return {"up": max(0.0, max(ratios)), "down": max(0.0, -min(ratios)), "n_variations": len(ratios),
            "definition": "7-point muR/muF envelope of the summed weight (showered events), relative to (1, 1)"}


def summarise_weights(names: Sequence[str], all_weights: np.ndarray | None,
                      header: LheHeader | None = None) -> dict[str, Any]:
    """Metadata of the alternative weights of showered events: ``weight_names``, ``alt_weights`` and
    ``scale_envelope`` (None when the file has no scale variations)."""
    if all_weights is None or all_weights.ndim != 2 or all_weights.shape[1] <= 1 or len(names) != all_weights.shape[1]:
        return {"weight_names": list(names), "alt_weights": [], "scale_envelope": None}
    scales = weight_scales(names, header)
    sums = all_weights.sum(axis=0)
    sums2 = np.square(all_weights).sum(axis=0)
    alt = [{"name": name, "scales": list(s) if s else None, "sum_weights": float(sw), "sum_weights2": float(sw2)}
           for name, s, sw, sw2 in zip(names, scales, sums, sums2, strict=True)]
    varied = {s: float(sw) for s, sw in zip(scales, sums, strict=True) if s is not None}
    nominal = varied.get((1.0, 1.0), float(sums[0]))
    return {"weight_names": list(names), "alt_weights": alt, "scale_envelope": envelope_from_sums(nominal, varied)}


def combine_envelopes(alt_weight_lists: Iterable[Sequence[Mapping[str, Any]]]) -> dict[str, Any] | None:
    """Envelope of several chunks' ``alt_weights`` (summed per weight name first)."""
    sums: dict[str, float] = {}
    scales: dict[str, tuple[float, float] | None] = {}
    nominal_total = 0.0
    for alt in alt_weight_lists:
        for index, entry in enumerate(alt):
            sums[entry["name"]] = sums.get(entry["name"], 0.0) + float(entry["sum_weights"])
            scales[entry["name"]] = tuple(entry["scales"]) if entry.get("scales") else None  # type: ignore[assignment]
            if index == 0:
                nominal_total += float(entry["sum_weights"])
    varied = {s: sums[name] for name, s in scales.items() if s is not None}
    return envelope_from_sums(varied.get((1.0, 1.0), nominal_total), varied)
