"""Snakemake script: per background process, the muR/muF envelope of its LHEF 3 scale weights (JSON).

input:  events (every chunk of every background sample of the analysis)
output: json  (process -> {up, down, symmetric, n_variations, n_chunks} or null; susyscan.stats.envelope)
log:    the rule log
"""

from susyscan.logutil import script_logging
from susyscan.stats.envelope import write_envelopes

snakemake = globals()["snakemake"]
script_logging(snakemake)
events = snakemake.input.events
write_envelopes([events] if isinstance(events, str) else list(events), snakemake.output.json)
