"""Snakemake script: any user event file (LHE, HepMC, Delphes ROOT) -> reconstructed event file.

Particle-level files go through the detector simulation; Delphes files are mapped directly.
input:  source or events (the user's file), card (optional detector card YAML)
output: events  (results/events/{sample}/chunk{chunk}.root)
params: as scripts/simulate_detector.py (sample, seed, chunk, n_events, detector, xsec_pb, xsec_source,
        config_hash, sqrt_s_gev, kind, reader_opts); chunk c of a sample with n_events/n_chunks reads
        events [c*base + min(c, extra), ...) of the file (susyscan.ingest.chunk_range)
log:    the rule log
"""

from susyscan.ingest import ingest_from_snakemake
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
ingest_from_snakemake(snakemake, require_particle_level=False)
