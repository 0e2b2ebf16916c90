"""Snakemake script: the K-factor(s) of one mass point, computed once for all its chunks (rule kfactor_reference).

output: json    (results/generation/kfactor/{sample}.json; susyscan.generation.chunk.write_kfactors)
params: sample (dict: name, process, masses), sqrt_s_gev (float)
log:    the rule log
"""

from susyscan.generation.chunk import write_kfactors
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
sample = dict(snakemake.params.sample)
write_kfactors(str(sample["process"]), dict(sample.get("masses") or {}), float(snakemake.params.sqrt_s_gev),
               snakemake.output["json"])
