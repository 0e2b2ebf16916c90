"""Snakemake script: particle-level file (HepMC or LHE) -> detector simulation -> reconstructed event file.

input:  events or source (HepMC(.gz)/LHE(.gz) file), card (optional detector card YAML)
output: events  (results/events/{sample}/chunk{chunk}.root)
params: sample (str, or the sample-spec dict: name, process, n_events, n_chunks, masses, is_signal),
        seed (int, global; the chunk seed is derived from it), chunk (int; default wildcards.chunk),
        n_events (int, events in this chunk), detector (dict: card, large_jet_radius, pfcand_pt_min,
        overrides), xsec_pb (float, optional; else the file's), xsec_source (str), config_hash (str),
        sqrt_s_gev (float), kind ("lhe"/"hepmc", optional), reader_opts (dict, optional)
log:    the rule log
"""

from susyscan.ingest import ingest_from_snakemake
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
ingest_from_snakemake(snakemake, require_particle_level=True)
