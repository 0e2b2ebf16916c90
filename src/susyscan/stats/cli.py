"""``susyscan stats ...`` commands: CLs table, workspaces and patchsets, contour plots."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import yaml

from susyscan.cliutil import parse_key_values
from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)

DEFAULT_SCENARIOS = ("optimistic=0", "pessimistic=0.2")


def parse_scenarios(values: tuple[str, ...]) -> dict[str, float]:
    """``NAME=RELATIVE_UNCERTAINTY`` pairs to a dict."""
    return parse_key_values(values, "NAME=REL")


@click.group("stats")
def stats() -> None:
    """pyhf expected/observed CLs, workspaces and exclusion contours."""


@stats.command("limits")
@click.option("--yields", "yield_paths", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Per-point yields CSV (repeat).")
@click.option("--background", "background_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="background_yields.csv")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output cls.csv.")
@click.option("--workspaces", "ws_dir", default=None, type=click.Path(file_okay=False),
              help="Also write per-region background-only workspaces and patchsets here.")
@click.option("--lumi", "lumis", multiple=True, type=float, default=(139.0, 300.0, 3000.0), show_default=True,
              help="Luminosity in fb^-1 (repeat).")
@click.option("--scenario", "scenarios", multiple=True, default=DEFAULT_SCENARIOS, show_default=True,
              help="Background scenario NAME=REL_UNC (repeat).")
@click.option("--modifier", type=click.Choice(["shapesys", "normsys"]), default="shapesys", show_default=True,
              help="pyhf modifier of the background uncertainty.")
@click.option("--upper-limits/--no-upper-limits", default=False, show_default=True,
              help="Also compute the expected upper limit on mu (mu_up_exp).")
@click.option("--no-signal-stat", is_flag=True, help="Ignore the signal MC statistical uncertainty.")
@click.option("--no-background-stat", is_flag=True,
              help="Ignore the background MC statistical uncertainty (zero-MC regions keep theirs).")
@click.option("--method", type=click.Choice(["asimov", "hypotest"]), default="asimov", show_default=True,
              help="Expected band with nuisance parameters: one Asimov fit, or pyhf.infer.hypotest.")
@click.option("--observed", "observed_path", default=None, type=click.Path(exists=True, dir_okay=False),
              help="YAML {lumi_ifb: L, counts: {region: n}} for observed CLs.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def limits_cmd(yield_paths: tuple[str, ...], background_path: str, out_path: str, ws_dir: str | None,
               lumis: tuple[float, ...], scenarios: tuple[str, ...], modifier: str, upper_limits: bool,
               no_signal_stat: bool, no_background_stat: bool, method: str, observed_path: str | None,
               log_path: str | None) -> None:
    """Expected (and observed) CLs per point, region, luminosity and scenario."""
    from susyscan.stats.limits import compute_limits
    from susyscan.stats.workspaces import write_workspaces

    setup_logging(log_path)
    observed = yaml.safe_load(Path(observed_path).read_text()) if observed_path else None
    scen = parse_scenarios(scenarios)
    compute_limits(yield_paths, background_path, out_path, lumis, scen, modifier, not no_signal_stat,
                   upper_limits, observed, not no_background_stat, method)
    if ws_dir:
        write_workspaces(yield_paths, background_path, ws_dir, lumis, scen, modifier, not no_signal_stat,
                         observed, background_mc_stat=not no_background_stat)


@stats.command("contours")
@click.option("--cls", "cls_path", required=True, type=click.Path(exists=True, dir_okay=False), help="cls.csv")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False), help="Writes contour_{lumi}ifb.pdf/png.")
@click.option("--mass-reach", "reach_path", required=True, type=click.Path(dir_okay=False), help="mass_reach.csv")
@click.option("--region", "regions", multiple=True, help="Regions to draw (repeat; default all but 'best').")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def contours_cmd(cls_path: str, out_dir: str, reach_path: str, regions: tuple[str, ...], log_path: str | None) -> None:
    """CLs = 0.05 contours per luminosity and the mass-reach table."""
    from susyscan.plotting.contours import plot_contours

    setup_logging(log_path)
    plot_contours(cls_path, out_dir, reach_path, regions=list(regions) or None)
