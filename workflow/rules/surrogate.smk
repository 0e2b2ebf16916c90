# Surrogate efficiency model (docs/surrogate.md): process-level truth features of every signal event (its
# generation re-run with a recorder), joined per (chunk, event) to the full chain's outcome; one xgboost model
# per signal region in one ONNX graph; validation on held-out mass points; the reinterpretation bundle; and the
# fast scan (hard-process-only Pythia + surrogate on a dense grid) with its contours against the full chain's.
# Switched on by `surrogate.enabled`; targets SURROGATE_TARGETS; helpers in susyscan.surrogate.workflow.

from susyscan.surrogate import workflow as surrogate_workflow

SURROGATE = config["surrogate"]
SURROGATE_ANALYSIS = SURROGATE["analysis"]  # the label source: an analysis of the shared ML rules, or recast
SURROGATE_FROM_RECAST = SURROGATE_ANALYSIS == surrogate_workflow.RECAST and bool(SURROGATE["enabled"])
if SURROGATE_FROM_RECAST:
    SURROGATE_RECAST, SURROGATE_RECAST_GRID = surrogate_workflow.recast_source(SURROGATE, RECAST, RECAST_GRIDS)
    SURROGATE_SOURCE = f"{SURROGATE_RECAST}_{SURROGATE_RECAST_GRID}"
    SURROGATE_POINTS = list(RECAST_GRIDS[SURROGATE_RECAST_GRID])
    SURROGATE_ENABLED = True
else:
    SURROGATE_RECAST = SURROGATE_RECAST_GRID = ""
    SURROGATE_SOURCE = SURROGATE_ANALYSIS
    SURROGATE_ENABLED = bool(SURROGATE["enabled"])
    if SURROGATE_ENABLED:
        surrogate_workflow.check_analysis(SURROGATE, SHARED_ML)
    SURROGATE_POINTS = grid_points(SURROGATE_ANALYSIS) if SURROGATE_ENABLED else []
SURROGATE_VARIANTS = list(surrogate_workflow.VARIANTS)
SURROGATE_BUNDLE = surrogate_workflow.BUNDLE
if SURROGATE_ENABLED:
    surrogate_workflow.check_settings(SURROGATE, config, SURROGATE_POINTS)
SURROGATE_HELDOUT = surrogate_workflow.heldout_points(SURROGATE, SURROGATE_POINTS) if SURROGATE_ENABLED else []
SURROGATE_TARGETS = (
    surrogate_workflow.targets(SURROGATE, config["plots"]["formats"], SURROGATE_SOURCE, results=RESULTS) if SURROGATE_ENABLED else []
)
SURROGATE_POINT_RE = _alternatives([p.name for p in SURROGATE_POINTS])
SURROGATE_SOURCE_RE = _alternatives([SURROGATE_SOURCE])
# The rules that read an analysis's own outputs (its fold models, features, backgrounds, CLs).
SURROGATE_ANALYSIS_RE = _alternatives([] if SURROGATE_FROM_RECAST else [SURROGATE_SOURCE])


localrules:
    surrogate_bundle,


rule surrogate_truth:
    wildcard_constraints:
        analysis=SURROGATE_SOURCE_RE,
        sample=SURROGATE_POINT_RE,
    input:
        events=R("events/{sample}/chunk{chunk}.root"),
    output:
        truth=R("surrogate/{analysis}/truth/{sample}/chunk{chunk}.csv.gz"),
    log:
        R("logs/surrogate/{analysis}/truth/{sample}_chunk{chunk}.log"),
    benchmark:
        R("benchmarks/surrogate/{analysis}/truth/{sample}_chunk{chunk}.tsv")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_truth.py"


rule surrogate_labels:
    wildcard_constraints:
        analysis=SURROGATE_ANALYSIS_RE,
        sample=SURROGATE_POINT_RE,
    input:
        unpack(onnx_models),
        truth=lambda wildcards: [
            R(f"surrogate/{wildcards.analysis}/truth/{wildcards.sample}/chunk{c}.csv.gz")
            for c in range(SAMPLES[wildcards.sample].n_chunks)
        ],
        features=R("analysis/{analysis}/features/{sample}.csv.gz"),
    output:
        labels=R("surrogate/{analysis}/labels/{sample}.csv.gz"),
    params:
        regions=signal_regions,
        feature_names=model_inputs,
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
    log:
        R("logs/surrogate/{analysis}/labels/{sample}.log"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_labels.py"


rule surrogate_recast_labels:
    wildcard_constraints:
        analysis=_alternatives([SURROGATE_SOURCE] if SURROGATE_FROM_RECAST else []),
        sample=SURROGATE_POINT_RE,
    input:
        truth=lambda wildcards: surrogate_workflow.chunk_paths(
            R("surrogate/{analysis}/truth/{sample}/chunk{c}.csv.gz"), wildcards, SAMPLES[wildcards.sample].n_chunks
        ),
        events=lambda wildcards: surrogate_workflow.chunk_paths(
            R("events/{sample}/chunk{c}.root"), wildcards, SAMPLES[wildcards.sample].n_chunks
        ),
        counts=lambda wildcards: surrogate_workflow.chunk_paths(
            R(f"recast/{SURROGATE_RECAST}/counts/{{sample}}/chunk{{c}}.json"),
            wildcards,
            SAMPLES[wildcards.sample].n_chunks,
        ),
        config=RECAST["analyses"][SURROGATE_RECAST]["config"] if SURROGATE_FROM_RECAST else [],
    output:
        labels=R("surrogate/{analysis}/labels/{sample}.csv.gz"),
    log:
        R("logs/surrogate/{analysis}/labels/{sample}.log"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_recast_labels.py"


rule surrogate_train:
    wildcard_constraints:
        analysis=SURROGATE_SOURCE_RE,
    input:
        labels=lambda wildcards: [
            R(f"surrogate/{wildcards.analysis}/labels/{p.name}.csv.gz") for p in SURROGATE_POINTS
        ],
    output:
        model=R("surrogate/{analysis}/model/model.onnx"),
        contract=R("surrogate/{analysis}/model/features.json"),
        parity=R("surrogate/{analysis}/model/parity.json"),
        predictions=R("surrogate/{analysis}/model/predictions.csv.gz"),
    params:
        settings=SURROGATE,
        heldout_points=SURROGATE_HELDOUT,
        seed=config["seed"],
        analysis="{analysis}",
    log:
        R("logs/surrogate/{analysis}/train.log"),
    benchmark:
        R("benchmarks/surrogate/{analysis}/train.tsv")
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_train.py"


rule surrogate_validate:
    input:
        predictions=rules.surrogate_train.output.predictions,
        parity=rules.surrogate_train.output.parity,
    output:
        csv=R("surrogate/{analysis}/validation/validation.csv"),
        md=R("surrogate/{analysis}/validation/validation.md"),
        uncertainty=R("surrogate/{analysis}/validation/uncertainty.json"),
        calibration=report(R("surrogate/{analysis}/validation/calibration.png"), category="Surrogate"),
    log:
        R("logs/surrogate/{analysis}/validate.log"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_validate.py"


rule surrogate_bundle:
    input:
        model=rules.surrogate_train.output.model,
        contract=rules.surrogate_train.output.contract,
        uncertainty=rules.surrogate_validate.output.uncertainty,
        validation=rules.surrogate_validate.output.md,
        example_labels=lambda wildcards: R("surrogate/{}/labels/{}.csv.gz").format(
            wildcards.analysis, surrogate_workflow.example_point(SURROGATE, SURROGATE_POINTS)
        ),
    output:
        **{key: R(f"surrogate/{{analysis}}/bundle/{name}") for key, name in SURROGATE_BUNDLE.items()},
    params:
        seed=config["seed"],
        description=lambda wildcards: surrogate_workflow.source_description(
            SURROGATE_RECAST and RECAST["analyses"][SURROGATE_RECAST]["config"]
            if wildcards.analysis == SURROGATE_SOURCE
            else ""
        ),
    log:
        R("logs/surrogate/{analysis}/bundle.log"),
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_bundle.py"


rule surrogate_fast_scan:
    wildcard_constraints:
        analysis=SURROGATE_ANALYSIS_RE,
    input:
        model=R("surrogate/{analysis}/bundle/model.onnx"),
        background=R("scan/{analysis}/background_yields.csv"),
    output:
        **{v: R(f"surrogate/{{analysis}}/fast/yields_{v}.csv") for v in SURROGATE_VARIANTS},
        domain=R("surrogate/{analysis}/fast/domain.csv"),
    params:
        fast_scan=SURROGATE["fast_scan"],
        process=lambda wildcards: grid_points(wildcards.analysis)[0].process,
        seed=config["seed"],
        sqrt_s_gev=config["sqrt_s_gev"],
        max_outside_fraction=SURROGATE["max_outside_fraction"],
    log:
        R("logs/surrogate/{analysis}/fast_scan.log"),
    benchmark:
        R("benchmarks/surrogate/{analysis}/fast_scan.tsv")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_fast_scan.py"


rule surrogate_fast_limits:
    wildcard_constraints:
        analysis=SURROGATE_ANALYSIS_RE,
        variant="|".join(SURROGATE_VARIANTS),
    input:
        yields=R("surrogate/{analysis}/fast/yields_{variant}.csv"),
        background=R("scan/{analysis}/background_yields.csv"),
    output:
        cls=R("surrogate/{analysis}/fast/cls_{variant}.csv"),
    params:
        lumis=SURROGATE["fast_scan"]["luminosities_ifb"],
        statistics=config["statistics"],
    log:
        R("logs/surrogate/{analysis}/fast_limits_{variant}.log"),
    benchmark:
        R("benchmarks/surrogate/{analysis}/fast_limits_{variant}.tsv")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=60,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_fast_limits.py"


rule surrogate_compare:
    wildcard_constraints:
        analysis=SURROGATE_ANALYSIS_RE,
    input:
        full=R("limits/{analysis}/cls.csv"),
        uncertainty=rules.surrogate_validate.output.uncertainty,
        yields=R("surrogate/{analysis}/fast/yields_nominal.csv"),
        **{v: R(f"surrogate/{{analysis}}/fast/cls_{v}.csv") for v in SURROGATE_VARIANTS},
    output:
        plots=surrogate_workflow.overlay_plots(SURROGATE, config["plots"]["formats"], "{analysis}", results=RESULTS),
        agreement=R("surrogate/{analysis}/fast/agreement.csv"),
        summary=R("surrogate/{analysis}/fast/agreement.md"),
    params:
        lumis=SURROGATE["fast_scan"]["luminosities_ifb"],
        scenario=SURROGATE["fast_scan"]["overlay_scenario"],
        level=config["statistics"]["cls_level"],
    log:
        R("logs/surrogate/{analysis}/compare.log"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../../envs/surrogate.yaml"
    script:
        "../../scripts/surrogate_compare.py"
