"""``susyscan detector ...`` commands: simulate a particle-level file, show the card."""

from __future__ import annotations

import json
import logging

import click

from susyscan.cliutil import WORKFLOW_SEED
from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)


@click.group("detector")
def detector() -> None:
    """Parametric ATLAS-like detector simulation."""


@detector.command("simulate")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Particle-level HepMC(.gz) or LHE(.gz) file.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output reconstructed event ROOT file.")
@click.option("--sample", required=True, help="Sample name stored in the metadata.")
@click.option("--card", "card_path", default=None, type=click.Path(exists=True, dir_okay=False), help="Detector card YAML.")
@click.option("--seed", default=WORKFLOW_SEED, show_default=True, type=int, help="Seed of the detector simulation.")
@click.option("--xsec-pb", default=None, type=float, help="Normalisation cross section in pb (default: from the file).")
@click.option("--large-jet-radius", default=1.0, show_default=True, type=float, help="R of the large-R jets.")
@click.option("--pfcand-pt-min", default=1.0, show_default=True, type=float, help="pT threshold of PF candidates (GeV).")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def simulate_cmd(input_path: str, out_path: str, sample: str, card_path: str | None, seed: int, xsec_pb: float | None,
                 large_jet_radius: float, pfcand_pt_min: float, log_path: str | None) -> None:
    """Run the detector simulation on a particle-level file and write the reconstructed events."""
    from susyscan.ingest import ingest_file

    setup_logging(log_path)
    meta = ingest_file(input_path, out_path, {"sample": sample, "process": sample}, card_path=card_path, seed=seed,
                       large_jet_radius=large_jet_radius, pfcand_pt_min=pfcand_pt_min, xsec_pb=xsec_pb,
                       require_particle_level=True)
    click.echo(json.dumps({k: meta[k] for k in ("sample", "n_events", "sum_weights", "xsec_pb")}))


@detector.command("card")
@click.option("--card", "card_path", default=None, type=click.Path(exists=True, dir_okay=False), help="Detector card YAML.")
def card_cmd(card_path: str | None) -> None:
    """Validate a detector card and print its main parameters."""
    from susyscan.detector import load_card

    card = load_card(card_path)
    click.echo(f"{card.name}: {card.source}\n jet R={card.jet_radius} pT>{card.jets.pt_min} GeV, iso cone {card.iso_cone}")
