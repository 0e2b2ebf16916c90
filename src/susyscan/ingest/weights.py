"""LHEF 3 alternative event weights (scale/PDF variations) and the scale-variation envelope.

Pythia reads the ``<rwgt>`` weights of every event; :func:`susyscan.ingest.lhe.shower_lhe` keeps them per
showered event (nominal first, in Pythia's order, names from ``Info.weightNameVector``: MadGraph's
``muR=.. muF=..`` descriptions become ``MUR<x>_MUF<y>``; POWHEG ids such as ``MUR2.0_MUF2.0_PDF...``
stay). :func:`summarise_weights` reduces them per chunk to sums (``alt_weights``: name, scales, sum w,
sum w^2) and the 7-point envelope of the (muR, muF) variations (``scale_envelope``: the largest upward and
downward relative change of the summed weight, (0.5, 2) and (2, 0.5) excluded), which the event-file
metadata carries. :func:`combine_envelopes` merges chunks (sums first, then the envelope): the inclusive
per-process envelope of :func:`susyscan.stats.envelope.process_envelopes`, a diagnostic.

Per event, the alternative weights are also kept as event-file branches ``altw_*`` (:func:`weight_columns`: names,
kinds and scales recorded in the metadata ``alt_weight_columns``). The feature CSVs identify an event by (sample,
chunk, event), so the event files are the side table: :func:`alt_weight_table` and :func:`join_alt_weights` give
the selected events their weights, :func:`region_variation_sums` the per-region yield of every variation and
:func:`envelope_of_sums` / :func:`region_scale_envelope` the per-region nominal/up/down yields of the 7-point envelope
(a shape across regions); :mod:`susyscan.scan.scale_envelope` builds the likelihood's per-region envelopes with
them. :func:`pyhf_scale_modifiers` gives one correlated pyhf ``normsys`` or ``histosys`` per region (a
multi-region model; the workflow's one-region workspaces use :class:`susyscan.stats.model_spec.ScaleShift`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.errors import ConfigError, EventFileError, FeatureError
from susyscan.eventio.schema import ALT_WEIGHT_PREFIX
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


# --- per-event alternative weights as named event-file columns -------------------------------------------------

_PDF_ID = re.compile(r"PDF(\d+)$", re.IGNORECASE)


def _factor(value: float) -> str:
    """0.5 -> '0p5', 1.0 -> '1', 2.0 -> '2' (branch-name safe)."""
    return f"{value:g}".replace(".", "p").replace("-", "m")


def _sanitise(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9]", "_", re.sub(r"(?<=\d)\.(?=\d)", "p", name))).strip("_") or "w"


def weight_columns(names: Sequence[str], header: LheHeader | None = None) -> list[dict[str, Any]]:
    """Event-file columns of the alternative weights (Pythia's weight 0, the nominal, is the ``weight`` branch).

    One entry per alternative weight, in Pythia's order: ``column`` (branch name), ``name`` (Pythia's weight name),
    ``index`` (position in Pythia's weight vector), ``kind`` and ``scales``/``pdf``:

    * ``scale``: one of the file's LHEF 3 muR/muF variations, ``altw_muR<r>_muF<f>`` (factors written 0p5, 1, 2);
      ``altw_muR1_muF1`` is the file's own central weight, equal to ``weight`` up to the LHE file's precision;
    * ``pdf``: a PDF member at the nominal scales, ``altw_pdf_<id>`` (the LHAPDF id of the weight name or header);
    * ``other``: anything else (e.g. Pythia's own shower/merging variations), ``altw_<name>`` with a decimal point
      written ``p`` and the other characters outside [A-Za-z0-9] replaced by ``_`` (``fsr.murfac=0.5`` ->
      ``altw_fsr_murfac_0p5``).

    Names are unique (a repeated name gets ``_<index>``).
    """
    scales = weight_scales(names, header)
    header_weights = {w.id: w for w in (header.weights if header else ())}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for index, name in enumerate(names):
        if index == 0:
            continue
        scale = scales[index]
        entry: dict[str, Any] = {"name": name, "index": index, "scales": list(scale) if scale else None, "pdf": None}
        pdf_match = _PDF_ID.search(name)
        in_pdf_group = name in header_weights and "pdf" in header_weights[name].group.lower()
        if scale is not None:
            entry["kind"], column = "scale", f"muR{_factor(scale[0])}_muF{_factor(scale[1])}"
        elif in_pdf_group or (pdf_match and _NAME_SCALE.search(name)):
            pdf_id = pdf_match.group(1) if pdf_match else _sanitise(name)
            entry["kind"], entry["pdf"], column = "pdf", pdf_id, f"pdf_{pdf_id}"
        else:
            entry["kind"], column = "other", _sanitise(name)
        column = ALT_WEIGHT_PREFIX + column
        if column in used:
            column = f"{column}_{index}"
        used.add(column)
        entry["column"] = column
        out.append(entry)
    return out


def alt_weight_arrays(all_weights: np.ndarray | None, columns: Sequence[Mapping[str, Any]],
                      where: str) -> dict[str, np.ndarray]:
    """Column name -> per-event alternative weight (float64) from Pythia's (n_events, n_weights) matrix."""
    if not columns:
        return {}
    if all_weights is None or all_weights.ndim != 2:
        raise EventFileError(f"{where}: {len(columns)} alternative weights declared but no per-event weight matrix")
    width = all_weights.shape[1]
    bad = [c["column"] for c in columns if not 0 < int(c["index"]) < width]
    if bad:
        raise EventFileError(f"{where}: alternative-weight column(s) {bad} point outside the {width} event weights")
    return {str(c["column"]): np.asarray(all_weights[:, int(c["index"])], dtype=np.float64) for c in columns}


def scale_columns(columns: Sequence[Mapping[str, Any]]) -> dict[tuple[float, float], str]:
    """(muR, muF) -> column of the 7-point envelope's scale variations ((0.5, 2) and (2, 0.5) left out)."""
    out: dict[tuple[float, float], str] = {}
    for c in columns:
        if c.get("kind") == "scale" and c.get("scales"):
            key = (float(c["scales"][0]), float(c["scales"][1]))
            if key not in EXCLUDED_POINTS:
                out[key] = str(c["column"])
    return out


def per_event_norm(frame: pd.DataFrame, where: str = "feature table") -> pd.Series:
    """Yield per unit generator weight of each row of a merged feature table: ``weight_pb / gen_weight`` (the
    chunk's xsec / sum of weights, and any later weight scale); 0 for a zero-weight event (e.g. a CKKW-L event of
    zero merging weight, whose alternative weights are zero too)."""
    missing = [c for c in ("weight_pb", "gen_weight") if c not in frame.columns]
    if missing:
        raise FeatureError(f"{where}: missing column(s) {missing} for the yield per unit weight")
    gen = frame["gen_weight"].to_numpy(dtype=float)
    ratio = np.divide(frame["weight_pb"].to_numpy(dtype=float), gen, out=np.zeros(len(frame)), where=gen != 0)
    return pd.Series(ratio, index=frame.index)


def region_variation_sums(frame: pd.DataFrame, regions: Sequence[str] | Mapping[str, np.ndarray],
                          columns: Sequence[Mapping[str, Any]], norm: float | pd.Series = 1.0,
                          where: str = "feature table") -> pd.DataFrame:
    """Per-region yields of the nominal weight and of each 7-point muR/muF variation: one row per region, columns
    ``region``, ``nominal`` and one per (muR, muF) point named ``muR<r>_muF<f>`` as in :func:`scale_columns`
    (arguments as :func:`region_scale_envelope`). Sums over samples of one process are summed per column before
    the envelope is taken (:func:`envelope_of_sums`)."""
    scale = scale_columns(columns)
    if not scale:
        raise FeatureError(f"{where}: no muR/muF scale-variation columns among the alternative weights")
    masks = dict(regions) if isinstance(regions, Mapping) else {}
    flag_names = [] if isinstance(regions, Mapping) else list(regions)
    needed = ["gen_weight", *flag_names, *scale.values()]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise FeatureError(f"{where}: missing column(s) {missing} for the per-region scale envelope")
    for name in flag_names:
        masks[name] = frame[name].to_numpy() == 1
    factor_all = norm.to_numpy(dtype=float) if isinstance(norm, pd.Series) else np.full(len(frame), float(norm))
    gen = frame["gen_weight"].to_numpy(dtype=float)
    varied_all = {col: frame[col].to_numpy(dtype=float) for col in scale.values()}
    rows = []
    for region, mask in masks.items():
        inside = np.asarray(mask, dtype=bool)
        if inside.shape != (len(frame),):
            raise FeatureError(f"{where}: mask of region {region!r} has shape {inside.shape}, expected ({len(frame)},)")
        factor = factor_all[inside]
        row: dict[str, Any] = {"region": str(region), "nominal": float((gen[inside] * factor).sum())}
        for col in scale.values():
            row[col.removeprefix(ALT_WEIGHT_PREFIX)] = float((varied_all[col][inside] * factor).sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=["region", "nominal", *[c.removeprefix(ALT_WEIGHT_PREFIX) for c in scale.values()]])


def envelope_of_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """Envelope of :func:`region_variation_sums` rows: region, nominal, up, down (largest/smallest of the
    variations and the nominal), rel_up, rel_down (relative to ``nominal``; NaN when it is not positive) and
    n_variations ((1, 1) not counted)."""
    varied = [c for c in sums.columns if c not in ("region", "nominal")]
    values = sums[["nominal", *varied]].to_numpy(dtype=float)
    nominal = sums["nominal"].to_numpy(dtype=float)
    up, down = values.max(axis=1), values.min(axis=1)
    ok = nominal > 0
    safe = np.where(ok, nominal, 1.0)
    return pd.DataFrame({"region": sums["region"].astype(str), "nominal": nominal, "up": up, "down": down,
                         "rel_up": np.where(ok, up / safe - 1.0, np.nan),
                         "rel_down": np.where(ok, 1.0 - down / safe, np.nan),
                         "n_variations": len([c for c in varied if c != "muR1_muF1"])})


def region_scale_envelope(frame: pd.DataFrame, regions: Sequence[str] | Mapping[str, np.ndarray],
                          columns: Sequence[Mapping[str, Any]], norm: float | pd.Series = 1.0,
                          where: str = "feature table") -> pd.DataFrame:
    """Per-region nominal, up and down yields of the 7-point muR/muF envelope from per-event weights.

    ``frame``: one row per selected event with ``gen_weight`` and the ``altw_*`` columns (e.g. a feature CSV joined
    with :func:`join_alt_weights`); ``regions``: names of 0/1 flag columns of ``frame``, or region -> boolean mask
    over its rows (e.g. the score cuts of ``susyscan.scan.yields.region_masks``); ``columns``: the event file's
    ``alt_weight_columns`` metadata; ``norm``: yield per unit weight (a number, or a per-row Series such as
    :func:`per_event_norm` for a merged table of several samples). Each variation's yield is its weight summed over
    the region's events times ``norm`` (the variations change the normalisation and the shape); up/down are the
    largest/smallest of the variations, the nominal (1, 1) point included. Returns one row per region: region,
    nominal, up, down, rel_up, rel_down (relative to ``nominal``; NaN when nominal is not positive) and
    n_variations.
    """
    return envelope_of_sums(region_variation_sums(frame, regions, columns, norm, where))


def pyhf_scale_modifiers(envelope: pd.DataFrame, name: str, kind: str = "normsys",
                         min_factor: float = 0.01) -> dict[str, dict[str, Any]]:
    """Region -> pyhf modifier of the scale envelope (one nuisance parameter ``name`` shared by all regions, so the
    per-region up/down make a correlated shape): ``normsys`` (hi/lo = up/nominal, down/nominal; lo clipped to
    ``min_factor``) or ``histosys`` (hi_data/lo_data = up/down yields, one bin per region). Regions whose nominal
    yield is not positive get no modifier (they take the zero-MC treatment of ``susyscan.stats.inputs``)."""
    if kind not in ("normsys", "histosys"):
        raise ConfigError(f"scale modifier type {kind!r}: expected normsys or histosys")
    out: dict[str, dict[str, Any]] = {}
    for row in envelope.itertuples(index=False):
        if not row.nominal > 0:
            continue
        if kind == "normsys":
            data: dict[str, Any] = {"hi": row.up / row.nominal, "lo": max(min_factor, row.down / row.nominal)}
        else:
            data = {"hi_data": [row.up], "lo_data": [max(min_factor * row.nominal, row.down)]}
        out[str(row.region)] = {"name": name, "type": kind, "data": data}
    return out


def alt_weight_table(event_files: Iterable[str | Path]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Side table of the per-event alternative weights keyed by (sample, chunk, event) from event files (the key of
    the feature CSVs: ``event`` is the entry number in the event file), and the columns' metadata (the same in every
    file; EventFileError naming the file otherwise)."""
    from susyscan.eventio.reader import read_alt_weights

    parts: list[pd.DataFrame] = []
    reference: list[dict[str, Any]] | None = None
    for path in event_files:
        values, meta = read_alt_weights(path)
        columns = list(meta.get("alt_weight_columns") or [])
        names = [c["column"] for c in columns]
        if reference is None:
            reference = columns
        elif names != [c["column"] for c in reference]:
            raise EventFileError(f"event file {path}: alternative-weight columns {names} differ from the other "
                                 f"files' {[c['column'] for c in reference]}")
        n = len(next(iter(values.values()))) if values else int(meta.get("n_events", 0))
        part = pd.DataFrame({"sample": str(meta["sample"]), "chunk": int(meta["chunk"]), "event": np.arange(n)})
        for column in names:
            part[column] = values[column]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["sample", "chunk", "event"])
    return table, reference or []


def join_alt_weights(features: pd.DataFrame, table: pd.DataFrame, where: str = "feature table") -> pd.DataFrame:
    """The feature rows with their ``altw_*`` columns from :func:`alt_weight_table` (joined on sample, chunk, event);
    FeatureError naming the first unmatched event."""
    key = ["sample", "chunk", "event"]
    missing = [c for c in key if c not in features.columns]
    if missing:
        raise FeatureError(f"{where}: missing key column(s) {missing}")
    merged = features.merge(table, on=key, how="left", validate="many_to_one", indicator=True)
    unmatched = merged["_merge"] != "both"
    if unmatched.any():
        first = merged.loc[unmatched, key].iloc[0].to_dict()
        raise FeatureError(f"{where}: {int(unmatched.sum())} event(s) without alternative weights, first {first}")
    return merged.drop(columns="_merge")
