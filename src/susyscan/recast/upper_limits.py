"""Model-independent upper limits of every published region, in the layout of the ATLAS paper's table:
region, N_obs, N_exp, visible cross section <eps sigma>_obs^95 [fb], S_obs^95, S_exp^95 (+-1 sigma), CL_B,
p(s = 0) (Z), next to the published S95 where a reference table gives them."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from susyscan.atomic import write_csv_atomic, write_text_atomic
from susyscan.errors import ConfigError
from susyscan.recast.data import PublishedRegion
from susyscan.recast.stats import upper_limit

logger = logging.getLogger(__name__)


def upper_limit_table(published: dict[str, PublishedRegion], order: list[str], lumi_ifb: float,
                      constraint: str = "normsys", reference_s95: str | Path | None = None) -> pd.DataFrame:
    """One row per region in ``order``; with ``reference_s95`` (columns region, s95_obs, s95_exp) also the
    published values and our relative differences."""
    reference = None
    if reference_s95 is not None:
        reference = pd.read_csv(reference_s95).set_index("region")
        missing = sorted(set(order) - set(reference.index))
        if missing:
            raise ConfigError(f"{reference_s95}: no S95 for regions {missing}")
    rows = []
    for name in order:
        region = published[name]
        ul = upper_limit(region, constraint)
        row = {
            "region": name, "n_obs": region.n_obs, "n_exp": region.bkg, "n_exp_unc": region.bkg_unc,
            "xsec_vis95_obs_fb": ul.s95_obs / lumi_ifb, "s95_obs": ul.s95_obs,
            "s95_exp": ul.s95_exp[2], "s95_exp_m1": ul.s95_exp[1], "s95_exp_p1": ul.s95_exp[3],
            "clb": ul.clb, "p0": ul.significance.p0, "z": ul.significance.z,
        }
        if reference is not None:
            ref = reference.loc[name]
            row.update({"s95_obs_published": float(ref["s95_obs"]), "s95_exp_published": float(ref["s95_exp"]),
                        "s95_obs_rel_diff": ul.s95_obs / float(ref["s95_obs"]) - 1.0,
                        "s95_exp_rel_diff": ul.s95_exp[2] / float(ref["s95_exp"]) - 1.0})
        rows.append(row)
        logger.info("%s: S95 obs %.2f exp %.2f", name, ul.s95_obs, ul.s95_exp[2])
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The ATLAS layout as a Markdown table."""
    head = ["Signal region", "N_obs", "N_exp", "<eps sigma>_obs^95 [fb]", "S_obs^95", "S_exp^95", "CL_B",
            "p(s=0) (Z)"]
    has_ref = "s95_obs_published" in table.columns
    if has_ref:
        head += ["S_obs^95 / S_exp^95 published", "diff obs / exp"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples(index=False):
        cells = [r.region, f"{r.n_obs:g}", f"{r.n_exp:g} ± {r.n_exp_unc:g}", f"{r.xsec_vis95_obs_fb:.3f}",
                 f"{r.s95_obs:.1f}", f"{r.s95_exp:.1f} +{r.s95_exp_p1 - r.s95_exp:.1f} -{r.s95_exp - r.s95_exp_m1:.1f}",
                 f"{r.clb:.2f}", f"{r.p0:.2f} ({r.z:.2f})"]
        if has_ref:
            cells += [f"{r.s95_obs_published:g} / {r.s95_exp_published:g}",
                      f"{100 * r.s95_obs_rel_diff:+.0f} % / {100 * r.s95_exp_rel_diff:+.0f} %"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_upper_limits(table: pd.DataFrame, csv_path: str | Path, md_path: str | Path) -> None:
    write_csv_atomic(table, csv_path, index=False)
    write_text_atomic(markdown(table), md_path)
