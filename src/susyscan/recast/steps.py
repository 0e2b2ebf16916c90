"""The steps of workflow/rules/recast.smk as functions of paths and settings (called by scripts/recast_step.py
and by the ``susyscan recast`` commands)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from susyscan.atomic import write_csv_atomic
from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)


def select(events: str, config: str, out: str) -> None:
    from susyscan.recast.select import select_file

    select_file(events, config, out)


def yields(counts: Sequence[str], config: str, model: str, out: str, cutflow: str) -> None:
    from susyscan.config.tables import grid_columns
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.yields import write_point_yields

    parent, lsp, _ = grid_columns(model)
    write_point_yields(list(counts), load_recast_config(config), parent, lsp, out, cutflow)


def published_or_pseudo(cfg: Any, yields_table: pd.DataFrame, mode: str, inject: str, seed: int) -> dict:
    """The published regions, or pseudo-data built from the injected point's yields."""
    from susyscan.recast.data import load_published, pseudo_observed

    published = load_published(cfg.reference, [r.name for r in cfg.regions])
    if mode == "none":
        return published
    rows = yields_table[yields_table["sample"] == inject]
    if rows.empty:
        raise ConfigError(f"pseudo-data: injected sample {inject!r} is not a grid point "
                          f"(points: {sorted(set(yields_table['sample']))})")
    return pseudo_observed(published, dict(zip(rows["region"], rows["signal"], strict=True)), mode, seed)


def limits(yield_paths: Sequence[str], config: str, constraint: str, level: float, pseudo: str, inject: str,
           seed: int, regions_out: str, best_out: str, excess_out: str) -> None:
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.limits import best_regions, point_region_table
    from susyscan.recast.stats import set_backend

    set_backend()
    cfg = load_recast_config(config)
    table_in = pd.concat([pd.read_csv(p) for p in yield_paths], ignore_index=True)
    published = published_or_pseudo(cfg, table_in, pseudo, inject, seed)
    table = point_region_table(table_in, published, cfg, constraint, level)
    best = best_regions(table, table_in, published, cfg, constraint, level)
    table["pseudo_data"] = pseudo
    best["pseudo_data"] = pseudo
    write_csv_atomic(table, regions_out, index=False)
    write_csv_atomic(best, best_out, index=False)
    excess = table[["analysis", "sample", "m_parent", "m_lsp", "region", "signal", "n_obs", "bkg", "bkg_unc",
                    "cls_obs", "cls_exp", "small_excess", "q0", "p0", "z"]]
    write_csv_atomic(excess[excess["small_excess"]], excess_out, index=False)
    logger.info("%d points, %d (point, region) pairs flagged small_excess, %d points in their best region",
                len(best), int(table["small_excess"].sum()), int(best["small_excess"].sum()))


def upper_limits(config: str, constraint: str, reference: str, csv_out: str, md_out: str) -> None:
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.data import load_published
    from susyscan.recast.stats import set_backend
    from susyscan.recast.upper_limits import upper_limit_table, write_upper_limits

    set_backend()
    cfg = load_recast_config(config)
    published = load_published(cfg.reference, [r.name for r in cfg.regions])
    order = list(pd.read_csv(cfg.reference)["region"])
    table = upper_limit_table(published, order, cfg.luminosity_ifb, constraint, reference or None)
    write_upper_limits(table, csv_out, md_out)


PARENT_LABELS = {"smuon": r"$m(\tilde\mu_R)$ [GeV]", "slepton_lr": r"$m(\tilde e_{L,R}, \tilde\mu_{L,R})$ [GeV]"}


def plots(best_path: str, title: str, level: float, contour_out: Sequence[str], excess_out: Sequence[str],
          lines_out: str, grid: str = "smuon") -> None:
    from susyscan.recast.plots import contour_figure, excess_figure, write_contour_csv, write_figure

    best = pd.read_csv(best_path)
    xlabel = PARENT_LABELS.get(grid, "parent mass [GeV]")
    write_figure(contour_figure(best, title, level, xlabel=xlabel), contour_out)
    write_figure(excess_figure(best, title, level, xlabel=xlabel), excess_out)
    write_contour_csv(best, lines_out, level)


def multi(best_paths: Sequence[str], out: str) -> None:
    from susyscan.recast.limits import multiply_flagged

    write_csv_atomic(multiply_flagged([pd.read_csv(p) for p in best_paths]), out, index=False)


def refine(best_path: str, settings: dict[str, Any] | str, out: str, model: str = "smuon") -> None:
    from susyscan.recast.refine import proposal_table

    parsed: dict[str, Any] = json.loads(settings) if isinstance(settings, str) else settings
    proposal_table(pd.read_csv(best_path), parsed, out, model)

