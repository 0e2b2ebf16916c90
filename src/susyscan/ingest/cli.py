"""``susyscan ingest ...`` commands: turn a user's LHE/HepMC/Delphes file into a reconstructed event file."""

from __future__ import annotations

import json
import logging

import click

from susyscan.cliutil import WORKFLOW_SEED
from susyscan.logutil import setup_logging

logger = logging.getLogger(__name__)


@click.group("ingest")
def ingest() -> None:
    """Read external event files (LHE + Pythia shower, HepMC, Delphes ROOT)."""


@ingest.command("file")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False), help="LHE(.gz), HepMC(.gz) or Delphes .root file.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output reconstructed event ROOT file.")
@click.option("--sample", required=True, help="Sample name stored in the metadata.")
@click.option("--process", default=None, help="Process name stored in the metadata.")
@click.option("--kind", type=click.Choice(["lhe", "hepmc", "delphes"]), default=None, help="File kind (default: from the extension).")
@click.option("--card", "card_path", default=None, type=click.Path(exists=True, dir_okay=False), help="Detector card YAML (default resources/detector/atlas.yaml).")
@click.option("--seed", default=WORKFLOW_SEED, show_default=True, type=int, help="Seed of the detector simulation (and LHE shower).")
@click.option("--xsec-pb", default=None, type=float, help="Normalisation cross section in pb (default: from the file).")
@click.option("--chunk", default=0, show_default=True, type=int, help="Chunk number stored in the metadata.")
@click.option("--large-jet-radius", default=1.0, show_default=True, type=float, help="R of the large-R jets.")
@click.option("--pfcand-pt-min", default=1.0, show_default=True, type=float, help="pT threshold of PF candidates (GeV).")
@click.option("--first-event", default=0, show_default=True, type=int, help="Skip this many events first.")
@click.option("--n-events", default=None, type=int, help="Read at most this many events.")
@click.option("--scheme", default="auto", show_default=True,
              type=click.Choice(["auto", "none", "mlm", "ckkwl", "fxfx", "mcatnlo", "powheg"]),
              help="LHE matching/merging scheme (auto: from the header).")
@click.option("--qcut", default=None, type=float, help="LHE: MLM qCut / FxFx merging scale (GeV).")
@click.option("--merging-scale", default=None, type=float, help="LHE: CKKW-L merging scale Merging:TMS (GeV).")
@click.option("--sqrt-s-gev", default=None, type=float,
              help="LHE: required centre-of-mass energy (GeV); a file at another energy is an error.")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False), help="Optional log file.")
def file_cmd(input_path: str, out_path: str, sample: str, process: str | None, kind: str | None, card_path: str | None,
             seed: int, xsec_pb: float | None, chunk: int, large_jet_radius: float, pfcand_pt_min: float,
             first_event: int, n_events: int | None, scheme: str, qcut: float | None, merging_scale: float | None,
             sqrt_s_gev: float | None, log_path: str | None) -> None:
    """Convert one event file into the reconstructed event-file schema (detector simulation if needed)."""
    from susyscan.ingest import detect_kind, ingest_file

    setup_logging(log_path)
    meta = ingest_file(input_path, out_path, {"sample": sample, "process": process or sample, "chunk": chunk},
                       kind=kind or detect_kind(input_path), card_path=card_path, seed=seed,
                       large_jet_radius=large_jet_radius, pfcand_pt_min=pfcand_pt_min, xsec_pb=xsec_pb,
                       first_event=first_event, n_events=n_events,
                       ingest_options={k: v for k, v in (("scheme", scheme), ("qcut", qcut),
                                                         ("merging_scale", merging_scale)) if v is not None},
                       config_sqrt_s_gev=sqrt_s_gev)
    click.echo(json.dumps({k: meta[k] for k in ("sample", "n_events", "sum_weights", "xsec_pb", "xsec_source")}))


@ingest.command("inspect")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def inspect_cmd(path: str) -> None:
    """Print the metadata and branch sizes of a reconstructed event file."""
    import awkward as ak

    from susyscan.eventio import read_events

    events, meta = read_events(path)
    click.echo(json.dumps(meta, indent=1, sort_keys=True))
    for name in ("electron_pt", "muon_pt", "photon_pt", "tau_pt", "jet_pt", "largejet_pt", "pfcand_pt"):
        click.echo(f"{name:>12}: mean multiplicity {float(ak.mean(ak.num(events[name]))) if len(events) else 0.0:.2f}")
