"""``susyscan recast ...`` commands (also ``python -m susyscan.recast.cli``): the steps of recast.smk and the
refinement driver ``iterate``."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import click
import pandas as pd

from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)


@click.group("recast")
def recast() -> None:
    """Recasts of published searches: selection, yields, observed/expected CLs, upper limits, small excesses."""


@recast.command("select")
@click.option("--events", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def select_cmd(events: str, config_path: str, out: str, log_path: str | None) -> None:
    """One event file through the recast selection -> counts JSON."""
    from susyscan.recast.select import select_file

    setup_logging(log_path)
    select_file(events, config_path, out)


@recast.command("yields")
@click.option("--counts", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", default="smuon", show_default=True, help="Grid model (mass keys).")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--cutflow", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def yields_cmd(counts: tuple[str, ...], config_path: str, model: str, out: str, cutflow: str, log_path: str | None) -> None:
    """Merge the chunk counts of one grid point into its signal yields per region."""
    from susyscan.config.tables import GRID_COLUMNS
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.yields import write_point_yields

    setup_logging(log_path)
    parent, lsp, _ = GRID_COLUMNS[model]
    write_point_yields(list(counts), load_recast_config(config_path), parent, lsp, out, cutflow)


def _published(cfg, pseudo_mode: str, inject: str | None, seed: int, yields: pd.DataFrame):
    from susyscan.errors import ConfigError
    from susyscan.recast.data import load_published, pseudo_observed

    published = load_published(cfg.reference, [r.name for r in cfg.regions])
    if pseudo_mode == "none":
        return published
    rows = yields[yields["sample"] == inject]
    if rows.empty:
        raise ConfigError(f"pseudo-data: injected sample {inject!r} is not a grid point "
                          f"(points: {sorted(set(yields['sample']))})")
    return pseudo_observed(published, dict(zip(rows["region"], rows["signal"], strict=True)), pseudo_mode, seed)


@recast.command("limits")
@click.option("--yields", "yield_paths", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--constraint", default="normsys", show_default=True)
@click.option("--level", default=0.05, show_default=True, type=float)
@click.option("--pseudo-data", "pseudo_mode", default="none", type=click.Choice(["none", "asimov", "poisson"]))
@click.option("--inject", default="", help="Sample name of the injected point (pseudo-data).")
@click.option("--seed", default=1, type=int)
@click.option("--regions-out", required=True, type=click.Path(dir_okay=False))
@click.option("--best-out", required=True, type=click.Path(dir_okay=False))
@click.option("--excess-out", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def limits_cmd(yield_paths: tuple[str, ...], config_path: str, constraint: str, level: float, pseudo_mode: str,
               inject: str, seed: int, regions_out: str, best_out: str, excess_out: str, log_path: str | None) -> None:
    """Observed/expected CLs per (point, region), best region per point, small-excess table."""
    from susyscan.atomic import write_csv_atomic
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.limits import best_regions, point_region_table
    from susyscan.recast.stats import set_backend

    setup_logging(log_path)
    set_backend()
    cfg = load_recast_config(config_path)
    yields = pd.concat([pd.read_csv(p) for p in yield_paths], ignore_index=True)
    published = _published(cfg, pseudo_mode, inject, seed, yields)
    table = point_region_table(yields, published, cfg, constraint, level)
    best = best_regions(table, yields, published, cfg, constraint, level)
    table["pseudo_data"] = pseudo_mode
    best["pseudo_data"] = pseudo_mode
    write_csv_atomic(table, regions_out, index=False)
    write_csv_atomic(best, best_out, index=False)
    excess = table[["analysis", "sample", "m_parent", "m_lsp", "region", "signal", "n_obs", "bkg", "bkg_unc",
                    "cls_obs", "cls_exp", "small_excess", "q0", "p0", "z"]]
    write_csv_atomic(excess[excess["small_excess"]], excess_out, index=False)
    logger.info("%d points, %d (point, region) pairs flagged small_excess, %d points in their best region",
                len(best), int(table["small_excess"].sum()), int(best["small_excess"].sum()))


@recast.command("upper-limits")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--constraint", default="normsys", show_default=True)
@click.option("--reference", default="", help="CSV of published S95 (region, s95_obs, s95_exp).")
@click.option("--csv", "csv_out", required=True, type=click.Path(dir_okay=False))
@click.option("--md", "md_out", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def upper_limits_cmd(config_path: str, constraint: str, reference: str, csv_out: str, md_out: str,
                     log_path: str | None) -> None:
    """Model-independent S95 (observed, expected) per published region, ATLAS table layout."""
    from susyscan.recast.config import load_recast_config
    from susyscan.recast.data import load_published
    from susyscan.recast.stats import set_backend
    from susyscan.recast.upper_limits import upper_limit_table, write_upper_limits

    setup_logging(log_path)
    set_backend()
    cfg = load_recast_config(config_path)
    published = load_published(cfg.reference, [r.name for r in cfg.regions])
    order = list(pd.read_csv(cfg.reference)["region"])
    table = upper_limit_table(published, order, cfg.luminosity_ifb, constraint, reference or None)
    write_upper_limits(table, csv_out, md_out)


@recast.command("plots")
@click.option("--best", "best_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--title", default="")
@click.option("--level", default=0.05, show_default=True, type=float)
@click.option("--contour", "contour_out", multiple=True, required=True)
@click.option("--excess", "excess_out", multiple=True, required=True)
@click.option("--lines", "lines_out", required=True)
@click.option("--log", "log_path", default=None)
def plots_cmd(best_path: str, title: str, level: float, contour_out: tuple[str, ...], excess_out: tuple[str, ...],
              lines_out: str, log_path: str | None) -> None:
    """Observed + expected contours (ATLAS/CMS convention), the small-excess map, the contour lines CSV."""
    from susyscan.recast.plots import contour_figure, excess_figure, write_contour_csv, write_figure

    setup_logging(log_path)
    best = pd.read_csv(best_path)
    write_figure(contour_figure(best, title, level), contour_out)
    write_figure(excess_figure(best, title, level), excess_out)
    write_contour_csv(best, lines_out, level)


@recast.command("multi")
@click.option("--best", "best_paths", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True)
@click.option("--log", "log_path", default=None)
def multi_cmd(best_paths: tuple[str, ...], out: str, log_path: str | None) -> None:
    """Points flagged by more than one independent region, across recast analyses."""
    from susyscan.atomic import write_csv_atomic
    from susyscan.recast.limits import multiply_flagged

    setup_logging(log_path)
    write_csv_atomic(multiply_flagged([pd.read_csv(p) for p in best_paths]), out, index=False)


@recast.command("refine")
@click.option("--best", "best_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--settings", "settings_json", required=True, help="JSON of the recast.refine block and cls_level.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def refine_cmd(best_path: str, settings_json: str, out: str, log_path: str | None) -> None:
    """Propose new grid points where the refined surfaces cross the level or the small-excess flag changes."""
    from susyscan.recast.refine import proposal_table

    setup_logging(log_path)
    proposal_table(pd.read_csv(best_path), json.loads(settings_json), out)


@recast.command("iterate")
@click.option("--configfile", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--cores", default=2, show_default=True, type=int)
@click.option("--rounds", default=None, type=int, help="Override recast.refine.rounds.")
@click.option("--snakemake-arg", "extra", multiple=True, help="Extra snakemake argument (repeat).")
def iterate_cmd(configfile: str, cores: int, rounds: int | None, extra: tuple[str, ...]) -> None:
    """Run the recast, append the proposed points to the grid table, rerun (only new points are simulated),
    until no point is proposed, the contours move less than the tolerance, or the rounds are used up."""
    from susyscan.recast.refine import iterate

    setup_logging()
    iterate(Path(configfile), cores, rounds, list(extra), python=sys.executable, run=subprocess.run)


if __name__ == "__main__":  # pragma: no cover
    recast()
