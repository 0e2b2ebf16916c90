# Event generation (Pythia 8) + fast detector simulation, and ingestion of user event files.
# One job per (sample, chunk); each chunk has its own seed derived from the global seed.


rule kfactor_reference:
    # K = NLO table / Pythia LO of a subprocess (e.g. the wino pairs of sq_ewkino_isr): the 4000-event LO
    # reference run of a mass point, once for all its chunks (pythia_run.table_kfactor, chunk.write_kfactors)
    wildcard_constraints:
        sample=KFACTOR_RE,
    input:
        tables=kfactor_tables,
    output:
        json=R("generation/kfactor/{sample}.json"),
    params:
        sample=sample_spec,
        sqrt_s_gev=config["sqrt_s_gev"],
    log:
        R("logs/generation/kfactor/{sample}.log"),
    benchmark:
        R("benchmarks/generation/kfactor/{sample}.tsv")
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/generation.yaml"
    script:
        "../../scripts/kfactor_reference.py"


rule generate_chunk:
    wildcard_constraints:
        sample=GENERATED_RE,
    input:
        unpack(kfactor_input),
        detector_card=config["detector"]["card"],
    output:
        events=R("events/{sample}/chunk{chunk}.root"),
    params:
        sample=sample_spec,
        chunk="{chunk}",
        n_events=chunk_events,
        seed=config["seed"],
        sqrt_s_gev=config["sqrt_s_gev"],
        pthat_min_gev=config["generation"]["pthat_min_gev"],
        generator_filter=generator_filter,
        detector_options=detector_options(),
        config_hash=CONFIG_HASH,
    log:
        R("logs/generation/{sample}/chunk{chunk}.log"),
    benchmark:
        R("benchmarks/generation/{sample}/chunk{chunk}.tsv")
    resources:
        mem_mb=2000,
        runtime=60,
    group:
        "generation"
    conda:
        "../../envs/generation.yaml"
    script:
        "../../scripts/generate_events.py"


rule ingest_chunk:
    wildcard_constraints:
        sample=INGESTED_RE,
    input:
        source=ingest_input,
        card=config["detector"]["card"],
    output:
        events=R("events/{sample}/chunk{chunk}.root"),
    params:
        sample=sample_spec,
        chunk="{chunk}",
        sqrt_s_gev=config["sqrt_s_gev"],
        n_events=chunk_events,
        seed=config["seed"],
        detector=config["detector"],
        ingest_options=lambda wildcards: dict(config.get("ingest", {}).get(wildcards.sample, {})),
        config_hash=CONFIG_HASH,
    log:
        R("logs/ingest/{sample}/chunk{chunk}.log"),
    benchmark:
        R("benchmarks/ingest/{sample}/chunk{chunk}.tsv")
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/generation.yaml"
    script:
        "../../scripts/ingest_events.py"



rule cross_section_table:
    input:
        events=signal_first_chunks,
    output:
        csv=report(R("generation/{analysis}_cross_sections.csv"), category="Generation", subcategory="{analysis}", caption="../report/cross_sections.rst"),
        md=R("generation/{analysis}_cross_sections.md"),
    log:
        R("logs/generation/{analysis}_cross_sections.log"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/generation.yaml"
    script:
        "../../scripts/cross_section_table.py"


rule scale_envelopes:
    input:
        events=lambda wildcards: [R(f"events/{s}/chunk{c}.root") for s in background_names(wildcards.analysis)
                                  for c in range(SAMPLES[s].n_chunks)],
    output:
        json=R("generation/{analysis}_scale_envelopes.json"),
    log:
        R("logs/generation/{analysis}_scale_envelopes.log"),
    benchmark:
        R("benchmarks/generation/{analysis}_scale_envelopes.tsv")
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/scale_envelopes.py"
