"""``susyscan scan ...`` commands: signal-region yields of grid points and of the backgrounds."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click
import yaml

from susyscan.cliutil import parse_key_values
from susyscan.errors import ConfigError
from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)


def read_regions(path: str | Path) -> list[dict[str, Any]]:
    """Region list from YAML: a list, or a mapping with ``regions`` or ``scan: {regions}``."""
    data = yaml.safe_load(Path(path).read_text())
    if isinstance(data, dict):
        data = data.get("scan", data).get("regions")
    if not isinstance(data, list):
        raise ConfigError(f"{path}: no list of signal regions (expected a list, 'regions' or 'scan.regions')")
    return data


def input_names(analysis_config: str | None, inputs: str | None = None) -> list[str]:
    """The model inputs: of the analysis YAML's spec, or the JSON list ``inputs`` ([] without either: cut-and-count
    regions only)."""
    if analysis_config is not None and inputs is not None:
        raise click.BadParameter("give --analysis-config or --model-inputs, not both")
    if inputs is not None:
        return [str(name) for name in json.loads(inputs)]
    if analysis_config is None:
        return []
    from susyscan.analyses import load_spec

    return load_spec(analysis_config).model_inputs


def analysis_options(func: Any) -> Any:
    """``--analysis-config`` / ``--model-inputs``: where the model input names come from."""
    func = click.option("--model-inputs", default=None, help="JSON list of model inputs (instead of --analysis-config).")(func)
    return click.option("--analysis-config", default=None, type=click.Path(exists=True, dir_okay=False),
                        help="Analysis YAML: its spec names the model inputs (needed for score regions).")(func)


def parse_scales(values: tuple[str, ...]) -> dict[str, float]:
    """``SAMPLE=FACTOR`` pairs to a dict."""
    return parse_key_values(values, "SAMPLE=FACTOR")


@click.group("scan")
def scan() -> None:
    """ONNX inference over grid points and signal-region yields."""


@scan.command("point")
@click.option("--features", "features_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Merged feature CSV of one grid point.")
@click.option("--regions", "regions_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="YAML with the signal regions (list, 'regions' or 'scan.regions').")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output yields CSV.")
@click.option("--batch-size", default=4096, show_default=True, type=int, help="Rows per inference batch.")
@click.option("--weight-scale", default=1.0, show_default=True, type=float, help="Factor on weight_pb.")
@click.option("--masses", nargs=2, type=float, default=None, help="m_parent m_lsp when the file has no events.")
@analysis_options
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def point_cmd(features_path: str, regions_path: str, out_path: str, batch_size: int, weight_scale: float,
              masses: tuple[float, float] | None, analysis_config: str | None, model_inputs: str | None,
              log_path: str | None) -> None:
    """Yields per signal region of one grid point."""
    from susyscan.scan.yields import compute_point_yields

    setup_logging(log_path)
    compute_point_yields(features_path, out_path, read_regions(regions_path), batch_size, weight_scale,
                         feature_names=input_names(analysis_config, model_inputs), masses=masses or None)


@scan.command("background")
@click.option("--features", "feature_paths", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False), help="Merged background feature CSV (repeat).")
@click.option("--regions", "regions_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="YAML with the signal regions.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="background_yields.csv")
@click.option("--batch-size", default=4096, show_default=True, type=int, help="Rows per inference batch.")
@click.option("--scale", "scales", multiple=True, help="SAMPLE=FACTOR weight factor, e.g. ww=5 (repeat).")
@analysis_options
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def background_cmd(feature_paths: tuple[str, ...], regions_path: str, out_path: str, batch_size: int,
                   scales: tuple[str, ...], analysis_config: str | None, model_inputs: str | None,
                   log_path: str | None) -> None:
    """Background yields per region and process, plus totals."""
    from susyscan.scan.yields import compute_background_yields

    setup_logging(log_path)
    compute_background_yields(feature_paths, out_path, read_regions(regions_path), batch_size, parse_scales(scales),
                              feature_names=input_names(analysis_config, model_inputs))
