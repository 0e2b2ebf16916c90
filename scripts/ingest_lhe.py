"""Snakemake script: shower a user LHE file (MLM when matched), simulate the detector, write events.

input:  lhe (LHE or LHE.gz), detector_card (optional)
output: events  (results/events/{sample}/chunk{chunk}.root)
params: sample (str), chunk (int), n_events (int or None), seed (int, global), matching (bool or None),
        qcut (float or None), xsec_pb (float or None), process (str), detector_overrides (dict),
        detector_options (dict: large_jet_radius, pfcand_pt_min), config_hash (str)
log:    the rule log
"""


from susyscan.generation.chunk import ingest_lhe_chunk
from susyscan.logutil import script_logging

snakemake = globals()["snakemake"]
script_logging(snakemake)
params = snakemake.params
ingest_lhe_chunk(
    lhe_path=snakemake.input["lhe"],
    out_path=snakemake.output["events"],
    sample=str(params.sample),
    detector_card=snakemake.input.get("detector_card") if hasattr(snakemake.input, "get") else None,
    n_events=getattr(params, "n_events", None),
    seed=int(getattr(params, "seed", 1)),
    chunk=int(getattr(params, "chunk", 0)),
    matching=getattr(params, "matching", None),
    qcut=getattr(params, "qcut", None),
    xsec_pb=getattr(params, "xsec_pb", None),
    process=str(getattr(params, "process", "lhe")),
    card_overrides=dict(getattr(params, "detector_overrides", None) or {}),
    config_hash=str(getattr(params, "config_hash", "")),
    detector_options=dict(getattr(params, "detector_options", None) or {}),
)
