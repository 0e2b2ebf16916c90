"""The ``susyscan`` command line: the workflow steps that are useful outside Snakemake.

Each stage contributes a click group; ``susyscan <group> --help`` lists its commands.
"""

from __future__ import annotations

import logging

import click

from susyscan import __version__
from susyscan.analyses.ewkino.cli import ewkino
from susyscan.analysis.cli import analysis
from susyscan.detector.cli import detector
from susyscan.errors import SusyScanError
from susyscan.generation.cli import generation
from susyscan.ingest.cli import ingest
from susyscan.logutil import setup_logging
from susyscan.recast.cli import recast
from susyscan.scan.cli import scan
from susyscan.stats.cli import stats
from susyscan.training.cli import training

#: Errors that mean bad input (a wrong value, a missing or unreadable file): printed as one ``Error: ...`` line with
#: exit status 1; ``--verbose`` shows the traceback. Anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (SusyScanError, ValueError, OSError)


class SusyscanGroup(click.Group):
    """The top-level group: user errors raised by any command become a one-line ``Error: ...`` (exit 1)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            if ctx.params.get("verbose"):
                raise
            raise click.ClickException(_one_line(exc)) from None


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (its type when it has none)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.filename is not None and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return text or type(exc).__name__


@click.group(cls=SusyscanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="susyscan")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging; tracebacks of errors.")
def main(verbose: bool) -> None:
    """susyscan: from simulated events to exclusion contours.

    \b
    Steps (each a command group):
      generate  Pythia 8 events + detector simulation for one (sample, chunk)
      ingest    your LHE / HepMC / Delphes files -> reconstructed event files
      detector  fast detector simulation of particle-level files; print the card
      analysis  preselection, cutflows and feature CSVs (select, merge, cutflow)
      training  datasets, network/BDT training, ONNX export, performance table
      scan      onnxruntime yields of a grid point, background yields
      stats     pyhf CLs limits and workspaces; exclusion contours (plot)
      recast    published searches recast: observed/expected CLs, upper limits, small excesses, refinement
      ewkino    the squark + electroweakino analysis' own steps (PF inputs, ensemble, significance)
    """
    setup_logging(level=logging.DEBUG if verbose else logging.INFO)


main.add_command(generation, "generate")
main.add_command(ingest, "ingest")
main.add_command(detector, "detector")
main.add_command(analysis, "analysis")
main.add_command(training, "training")
main.add_command(scan, "scan")
main.add_command(stats, "stats")
main.add_command(recast, "recast")
main.add_command(ewkino, "ewkino")

if __name__ == "__main__":  # pragma: no cover
    main()
