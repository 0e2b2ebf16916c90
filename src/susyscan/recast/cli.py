"""``susyscan recast ...`` commands (also ``python -m susyscan.recast.cli``): the steps of recast.smk and the
refinement driver ``iterate``."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import click

from susyscan.logutil import setup_logging
from susyscan.recast import steps

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
    setup_logging(log_path)
    steps.select(events, config_path, out)


@recast.command("yields")
@click.option("--counts", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", default="smuon", show_default=True, help="Grid model (mass keys).")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--cutflow", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def yields_cmd(counts: tuple[str, ...], config_path: str, model: str, out: str, cutflow: str, log_path: str | None) -> None:
    """Merge the chunk counts of one grid point into its signal yields per region."""
    setup_logging(log_path)
    steps.yields(counts, config_path, model, out, cutflow)


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
    setup_logging(log_path)
    steps.limits(yield_paths, config_path, constraint, level, pseudo_mode, inject, seed, regions_out, best_out,
                 excess_out)


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
    setup_logging(log_path)
    steps.upper_limits(config_path, constraint, reference, csv_out, md_out)


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
    setup_logging(log_path)
    steps.plots(best_path, title, level, contour_out, excess_out, lines_out)


@recast.command("multi")
@click.option("--best", "best_paths", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True)
@click.option("--log", "log_path", default=None)
def multi_cmd(best_paths: tuple[str, ...], out: str, log_path: str | None) -> None:
    """Points flagged by more than one independent region, across recast analyses."""
    setup_logging(log_path)
    steps.multi(best_paths, out)


@recast.command("refine")
@click.option("--best", "best_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--settings", "settings_json", required=True, help="JSON of the recast.refine block and cls_level.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--log", "log_path", default=None)
def refine_cmd(best_path: str, settings_json: str, out: str, log_path: str | None) -> None:
    """Propose new grid points where the refined surfaces cross the level or the small-excess flag changes."""
    setup_logging(log_path)
    steps.refine(best_path, settings_json, out)


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
