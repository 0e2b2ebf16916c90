"""Snakemake script: generate one (sample, chunk) with Pythia 8, simulate the detector, write events.

input:  detector_card (optional; default card when absent), kfactor (optional: the point's K-factor file of rule
        kfactor_reference, for processes normalised with a table K-factor)
output: events  (results/events/{sample}/chunk{chunk}.root)
params: sample (dict: name, process, masses?), chunk (int), n_events (int), seed (int, global),
        sqrt_s_gev (float), pthat_min_gev (float), detector_overrides (dict),
        detector_options (dict: large_jet_radius, pfcand_pt_min, tau_truth_tagging if on), config_hash (str),
        generator_filter (dict: name + generation.filters entry; empty for none)
log:    the rule log

glibc keeps freed memory in the heap for this process (susyscan.generation.allocator: fewer page faults, same
outputs).
"""


from susyscan.generation.allocator import keep_freed_memory
from susyscan.generation.chunk import generate_chunk
from susyscan.generation.filters import filter_from_metadata
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
keep_freed_memory()
params = snakemake.params
generate_chunk(
    sample_spec=dict(params.sample),
    chunk=int(params.chunk),
    n_events=int(params.n_events),
    seed=int(params.seed),
    out_path=snakemake.output["events"],
    detector_card=snakemake.input.get("detector_card") if hasattr(snakemake.input, "get") else None,
    sqrt_s_gev=float(getattr(params, "sqrt_s_gev", 13000.0)),
    pthat_min_gev=float(getattr(params, "pthat_min_gev", 100.0)),
    card_overrides=dict(getattr(params, "detector_overrides", None) or {}),
    config_hash=str(getattr(params, "config_hash", "")),
    detector_options=dict(getattr(params, "detector_options", None) or {}),
    filter_spec=filter_from_metadata(dict(getattr(params, "generator_filter", None) or {})),
    kfactor_path=snakemake.input.get("kfactor") if hasattr(snakemake.input, "get") else None,
)
