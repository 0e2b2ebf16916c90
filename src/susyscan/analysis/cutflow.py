"""Merge per-chunk cutflow JSONs into luminosity-scaled yields; write CSV, Markdown, LaTeX."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.analysis.io import write_text_atomic
from susyscan.errors import EmptySelectionError, EventFileError

logger = logging.getLogger(__name__)


def load_cutflow(path: str | Path) -> dict[str, Any]:
    """Read one chunk cutflow JSON."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EventFileError(f"cutflow file {path}: cannot read JSON: {exc}") from exc
    for key in ("sample", "process", "sum_weights", "xsec_pb", "cuts"):
        if key not in data:
            raise EventFileError(f"cutflow file {path}: missing field {key!r}")
    return data


#: Chunks of a sample normalised to the generator's own (LO) cross section carry independent estimates
#: of it (statistical spread ~1 %); they are combined when they agree to this relative tolerance.
XSEC_CHUNK_RTOL = 0.1


def sample_cross_section(chunks: Iterable[Mapping[str, Any]], source: str) -> tuple[float, float]:
    """(cross section, total sum of weights) of one sample from its chunks' ``xsec_pb`` and ``sum_weights``: the
    sum-of-weights mean of the chunks' cross sections (identical for table-normalised samples; generator-normalised
    chunks each estimate it) and the summed weights. A sample's events weigh ``gen_weight * xsec / total``: the
    merged feature CSVs (``merge.merge_features``) and the chunk tables of the dataset stage
    (``susyscan.training.dataset.chunk_weights_pb``) both normalise this way. A total <= 0 is an
    EmptySelectionError naming ``source``."""
    total_sumw = 0.0
    xsec_sumw = 0.0
    for chunk in chunks:
        total_sumw += float(chunk["sum_weights"])
        xsec_sumw += float(chunk["xsec_pb"]) * float(chunk["sum_weights"])
    if total_sumw <= 0.0:
        raise EmptySelectionError(f"{source}: total sum of weights over chunks is {total_sumw}; cannot normalise")
    return xsec_sumw / total_sumw, total_sumw


def merge_sample_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum n_raw / sumw / sumw2 per cut and sum_weights over the chunks of ONE sample.

    The cross section is the sum-of-weights mean of the chunks' values (identical for table-normalised samples).
    """
    first = chunks[0]
    sample = first["sample"]
    names = [c["name"] for c in first["cuts"]]
    merged_cuts = [dict(c, n_raw=0, sumw=0.0, sumw2=0.0) for c in first["cuts"]]
    warnings: list[str] = []
    for chunk in chunks:
        if chunk["sample"] != sample:
            raise EventFileError(f"cannot merge cutflows of samples {sample!r} and {chunk['sample']!r}")
        if [c["name"] for c in chunk["cuts"]] != names:
            raise EventFileError(f"sample {sample} chunk {chunk.get('chunk')}: cut list differs from chunk {first.get('chunk')}")
        rtol = XSEC_CHUNK_RTOL
        if chunk.get("xsec_err_pb") and first.get("xsec_err_pb"):  # per-chunk estimates (ingested NLO/merged LHE)
            rtol = max(rtol, 5.0 * float(np.hypot(chunk["xsec_err_pb"], first["xsec_err_pb"])) / float(first["xsec_pb"]))
        if not np.isclose(chunk["xsec_pb"], first["xsec_pb"], rtol=rtol):
            raise EventFileError(f"sample {sample}: chunks disagree on xsec_pb ({first['xsec_pb']} vs {chunk['xsec_pb']})")
        warnings += [f"chunk {chunk.get('chunk')}: {w}" for w in chunk.get("warnings", [])]
        for acc, row in zip(merged_cuts, chunk["cuts"], strict=True):
            acc["n_raw"] += int(row["n_raw"])
            acc["sumw"] += float(row["sumw"])
            acc["sumw2"] += float(row["sumw2"])
    xsec_pb, total_sumw = sample_cross_section(chunks, f"sample {sample}")
    xsecs = [float(c["xsec_pb"]) for c in chunks]
    if max(xsecs) > min(xsecs) * (1 + 1e-9):
        # generator-normalised (LO) samples: each chunk's run estimates the same cross section; combine them
        warnings.append(f"chunk cross sections {min(xsecs):.6g}..{max(xsecs):.6g} pb combined (sum-of-weights mean)")
    return {
        "sample": sample, "process": first["process"], "is_signal": int(first.get("is_signal", 0)),
        "masses": first.get("masses", {}), "xsec_pb": xsec_pb,
        "total_sum_weights": total_sumw, "n_chunks": len(chunks), "cuts": merged_cuts, "warnings": warnings,
    }


def cutflow_yields(cutflow_paths: Iterable[str | Path], lumi_ifb: float, group_backgrounds: bool = True) -> pd.DataFrame:
    """Long table (group, cut, label, for_comparison_only, n_raw, yield, stat) at ``lumi_ifb``.

    yield = sumw * xsec_pb * 1000 * lumi / total_sum_weights (stat: sqrt(sumw2) times the same
    factor; weights keep their sign, so NLO samples with negative weights are handled; ``n_eff`` =
    yield^2 / stat^2 is the effective number of MC events). Backgrounds are summed per process when
    ``group_backgrounds``; signals stay per sample.
    """
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for path in cutflow_paths:
        data = load_cutflow(path)
        by_sample.setdefault(data["sample"], []).append(data)
    if not by_sample:
        raise EmptySelectionError("no cutflow files given")
    records = []
    reference_cuts: list[str] | None = None
    for sample, chunks in by_sample.items():
        merged = merge_sample_chunks(sorted(chunks, key=lambda c: str(c.get("chunk"))))
        names = [c["name"] for c in merged["cuts"]]
        if reference_cuts is None:
            reference_cuts = names
        elif names != reference_cuts:
            raise EventFileError(f"sample {sample}: cut list {names} differs from {reference_cuts}")
        for message in merged["warnings"]:
            logger.warning("sample %s: %s", sample, message)
        factor = merged["xsec_pb"] * 1000.0 * lumi_ifb / merged["total_sum_weights"]
        group = merged["process"] if (group_backgrounds and not merged["is_signal"]) else sample
        for order, cut in enumerate(merged["cuts"]):
            if cut["n_raw"] == 0:
                logger.warning("sample %s: zero events after cut %r", sample, cut["name"])
            records.append({
                "group": group, "is_signal": merged["is_signal"], "order": order, "cut": cut["name"],
                "label": cut.get("label", cut["name"]), "for_comparison_only": bool(cut.get("for_comparison_only", False)),
                "n_raw": cut["n_raw"], "yield": cut["sumw"] * factor, "var": cut["sumw2"] * factor**2,
            })
    long = pd.DataFrame.from_records(records)
    agg = long.groupby(["is_signal", "group", "order", "cut", "label", "for_comparison_only"], sort=False, as_index=False)[
        ["n_raw", "yield", "var"]].sum()
    var = agg.pop("var")
    agg["stat"] = np.sqrt(var)
    # effective number of MC events (Kish): yield^2 / sum of squared weights; below n_raw with unequal or negative weights
    agg["n_eff"] = np.where(var > 0, agg["yield"] ** 2 / var.where(var > 0, 1.0), 0.0)
    return agg.sort_values(["is_signal", "order"], kind="stable").reset_index(drop=True)


def wide_table(long: pd.DataFrame) -> pd.DataFrame:
    """One row per cut; per group the columns ``{group}`` (yield) and ``{group}_stat``."""
    groups = list(dict.fromkeys(long["group"]))
    base = long.drop_duplicates("order").sort_values("order")[["cut", "label", "for_comparison_only"]].reset_index(drop=True)
    for group in groups:
        part = long[long["group"] == group].sort_values("order").reset_index(drop=True)
        base[group] = part["yield"]
        base[f"{group}_stat"] = part["stat"]
        if "n_eff" in part:
            base[f"{group}_neff"] = part["n_eff"]
    return base


def _groups(wide: pd.DataFrame) -> list[str]:
    return [c for c in wide.columns[3:] if not c.endswith(("_stat", "_neff"))]


def to_markdown(wide: pd.DataFrame, lumi_ifb: float) -> str:
    """Markdown cutflow: yields +- MC stat; comparison-only cuts marked with (*)."""
    groups = _groups(wide)
    lines = [f"Cutflow at {lumi_ifb:g} fb^-1 (yield ± MC stat.; (*) = comparison-only cut, not applied to features)", "",
             "| Cut | " + " | ".join(groups) + " |", "|---|" + "---:|" * len(groups)]
    for _, row in wide.iterrows():
        label = row["label"].replace("|", "\\|") + (" (*)" if row["for_comparison_only"] else "")
        cells = [f"{row[g]:.1f} ± {row[g + '_stat']:.1f}" for g in groups]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _tex_escape(text: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"), ("$", r"\$")):
        text = text.replace(char, repl)
    return text


def to_latex(wide: pd.DataFrame, lumi_ifb: float) -> str:
    """LaTeX tabular mirroring the paper's cutflow table."""
    groups = _groups(wide)
    lines = [r"\begin{tabular}{l" + "r" * len(groups) + "}", r"\hline",
             "Cut & " + " & ".join(_tex_escape(g) for g in groups) + r" \\", r"\hline"]
    for _, row in wide.iterrows():
        label = _tex_escape(row["label"]) + ("$^{*}$" if row["for_comparison_only"] else "")
        cells = [f"${row[g]:.1f} \\pm {row[g + '_stat']:.1f}$" for g in groups]
        lines.append(f"{label} & " + " & ".join(cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}",
              f"% yields at {lumi_ifb:g} fb^-1, MC statistical uncertainties; * = comparison-only cut"]
    return "\n".join(lines) + "\n"


def make_cutflow(
    cutflow_paths: Iterable[str | Path], lumi_ifb: float, csv_out: str | Path, md_out: str | Path,
    tex_out: str | Path, png_out: str | Path | None = None, group_backgrounds: bool = True,
) -> pd.DataFrame:
    """Merge all chunk cutflows and write CSV, Markdown, LaTeX (and the plot when png_out)."""
    long = cutflow_yields(list(cutflow_paths), lumi_ifb, group_backgrounds)
    wide = wide_table(long)
    write_text_atomic(wide.to_csv(index=False, float_format="%.6g"), csv_out)
    write_text_atomic(to_markdown(wide, lumi_ifb), md_out)
    write_text_atomic(to_latex(wide, lumi_ifb), tex_out)
    if png_out is not None:
        from susyscan.plotting.cutflow import plot_cutflow

        plot_cutflow(long, png_out, lumi_ifb)
    return wide
