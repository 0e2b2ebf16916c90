"""`susyscan generation ...` commands: generate a chunk, shower an LHE file, SLHA, cross sections."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from susyscan.cliutil import WORKFLOW_SEED, parse_key_values
from susyscan.generation.processes import PROCESSES

logger = logging.getLogger(__name__)


def _masses(values: tuple[str, ...]) -> dict[str, float]:
    """``--mass m_smuon=300`` values to a dict."""
    return parse_key_values(values, "a mass like m_smuon=300")


@click.group(name="generation")
def generation() -> None:
    """Event generation (Pythia 8), SLHA spectra and cross sections."""


@generation.command("generate")
@click.option("--sample", required=True, help="sample name (seeds derive from it)")
@click.option("--process", required=True, type=click.Choice(sorted(PROCESSES)), help="registered process")
@click.option("--mass", "masses", multiple=True, help="signal mass, e.g. --mass m_smuon=300 --mass m_neutralino=0")
@click.option("--chunk", default=0, show_default=True, type=int)
@click.option("--n-events", default=1000, show_default=True, type=int)
@click.option("--seed", default=WORKFLOW_SEED, show_default=True, type=int, help="global seed")
@click.option("--sqrt-s", default=13000.0, show_default=True, type=float, help="GeV")
@click.option("--pthat-min", default=100.0, show_default=True, type=float, help="GeV, V+jet processes")
@click.option("--detector-card", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="output event ROOT file")
@click.option("--kfactor-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="the point's K-factor JSON (workflow rule kfactor_reference); without it a process normalised "
                   "with a table K-factor runs its LO reference here")
def generate_cmd(sample: str, process: str, masses: tuple[str, ...], chunk: int, n_events: int, seed: int,
                 sqrt_s: float, pthat_min: float, detector_card: str | None, out: str,
                 kfactor_file: str | None) -> None:
    """Generate, simulate and write one chunk of a sample."""
    from susyscan.generation.allocator import keep_freed_memory
    from susyscan.generation.chunk import generate_chunk

    keep_freed_memory()

    meta = generate_chunk({"name": sample, "process": process, "masses": _masses(masses)}, chunk, n_events, seed,
                          out, detector_card, sqrt_s_gev=sqrt_s, pthat_min_gev=pthat_min, kfactor_path=kfactor_file)
    click.echo(json.dumps(meta, indent=1))


@generation.command("slha")
@click.option("--model", required=True, type=click.Choice(["smuon", "higgsino", "wino"]))
@click.option("--mass", "masses", multiple=True, help="e.g. --mass m_squark=1000 --mass m_ewkino=200")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
def slha_cmd(model: str, masses: tuple[str, ...], out: str) -> None:
    """Write the SLHA spectrum of one mass point."""
    from susyscan.generation.slha import write_slha

    click.echo(str(write_slha(model, _masses(masses), out)))


@generation.command("xsec")
@click.argument("table")
@click.argument("mass", type=float)
def xsec_cmd(table: str, mass: float) -> None:
    """Look up a cross section (pb) in a resources/xsec table (log-linear interpolation)."""
    from susyscan.generation.xsec import lookup

    value, unc = lookup(table, mass)
    click.echo(f"{value:.6g} +- {unc:.3g} pb")


@generation.command("kfactor")
@click.option("--process", default="smuon_R", show_default=True)
@click.option("--mass", "masses", multiple=True, help="points as m_smuon=300,m_neutralino=0 (repeat)")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV (Markdown twin next to it)")
@click.option("--n-events", default=3000, show_default=True, type=int)
def kfactor_cmd(process: str, masses: tuple[str, ...], out: str, n_events: int) -> None:
    """Tabulate Pythia LO vs NLO table cross sections (K-factors) for signal points."""
    from susyscan.generation.kfactor import k_factor_report

    points = [_masses(tuple(m.split(","))) for m in masses]
    rows = k_factor_report(process, points, out, n_events=n_events)
    click.echo(Path(out).with_suffix(".md").read_text())
    logger.debug("%d rows", len(rows))
