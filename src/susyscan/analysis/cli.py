"""``susyscan analysis ...`` commands: select features, merge chunk CSVs, make the cutflow."""

from __future__ import annotations

import logging

import click

from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)


@click.group("analysis")
def analysis() -> None:
    """Preselection, cutflows and feature CSVs of an analysis (smuon)."""


@analysis.command("select")
@click.option("--events", "events_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Reconstructed event ROOT file.")
@click.option("--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Analysis YAML (config/analyses/smuon.yaml).")
@click.option("--features", "features_out", required=True, type=click.Path(dir_okay=False), help="Output feature CSV (.csv.gz).")
@click.option("--cutflow", "cutflow_out", required=True, type=click.Path(dir_okay=False), help="Output chunk cutflow JSON.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def select_cmd(events_path: str, config_path: str, features_out: str, cutflow_out: str, log_path: str | None) -> None:
    """Apply object selection, overlap removal and the preselection to one event file."""
    from susyscan.analysis.select import select_features

    setup_logging(log_path)
    select_features(events_path, config_path, features_out, cutflow_out)


@analysis.command("merge")
@click.option("--features", "feature_paths", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False), help="Chunk feature CSV (repeat).")
@click.option("--cutflow", "cutflow_paths", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False), help="Chunk cutflow JSON (repeat).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Merged sample CSV (.csv.gz).")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def merge_cmd(feature_paths: tuple[str, ...], cutflow_paths: tuple[str, ...], out_path: str, log_path: str | None) -> None:
    """Merge the chunk feature CSVs of one sample and add weight_pb."""
    from susyscan.analysis.merge import merge_features

    setup_logging(log_path)
    merge_features(feature_paths, cutflow_paths, out_path)


@analysis.command("cutflow")
@click.option("--cutflow", "cutflow_paths", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False), help="Chunk cutflow JSON (repeat; all samples).")
@click.option("--lumi", "lumi_ifb", default=139.0, show_default=True, type=float, help="Luminosity in fb^-1.")
@click.option("--out-prefix", "out_prefix", required=True, help="Writes PREFIX.csv, .md, .tex, .png.")
@click.option("--no-plot", is_flag=True, help="Skip the PNG.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def cutflow_cmd(cutflow_paths: tuple[str, ...], lumi_ifb: float, out_prefix: str, no_plot: bool, log_path: str | None) -> None:
    """Merge cutflows into luminosity-scaled yield tables (CSV, Markdown, LaTeX) and a plot."""
    from susyscan.analysis.cutflow import make_cutflow

    setup_logging(log_path)
    make_cutflow(cutflow_paths, lumi_ifb, f"{out_prefix}.csv", f"{out_prefix}.md", f"{out_prefix}.tex",
                 None if no_plot else f"{out_prefix}.png")
