"""Snakemake script: the reinterpretation bundle (model, contract, example, test vectors, validation)."""

from pathlib import Path

from susyscan.logutil import script_logging
from susyscan.surrogate.bundle import write_bundle

snakemake = globals()["snakemake"]
script_logging(snakemake)
inp = snakemake.input
write_bundle(Path(inp.model).parent, Path(inp.uncertainty).parent, inp.example_labels,
             Path(snakemake.output.model).parent, seed=int(snakemake.params.seed), description=str(snakemake.params.description))
