# Surrogate efficiency model (docs/surrogate.md): process-level truth features of every signal event (its
# generation re-run with a recorder), joined per (chunk, event) to the full chain's outcome; one xgboost model
# per signal region in one ONNX graph; validation on held-out mass points; the reinterpretation bundle; and the
# fast scan (hard-process-only Pythia + surrogate on a dense grid) with its contours against the full chain's.
# Switched on by `surrogate.enabled`; targets from surrogate_targets().

SURROGATE = config["surrogate"]
SURROGATE_ANALYSIS = SURROGATE["analysis"]
SURROGATE_ENABLED = bool(SURROGATE["enabled"]) and SURROGATE_ANALYSIS in SAMPLES_BY_ANALYSIS
SURROGATE_FAST = SURROGATE_ENABLED and bool(SURROGATE["fast_scan"]["enabled"])
SURROGATE_VARIANTS = ["nominal", "down", "up"]
SURROGATE_BUNDLE = dict(model="model.onnx", features="features.json", example="example.py",
                        example_truth="example_truth.csv", test_vectors="test_vectors.csv", validation_md="validation.md",
                        validation_csv="validation.csv", calibration="calibration.png", readme="README.md")


def _surrogate_checks():
    """Parse-time checks naming the config key at fault."""
    if not SURROGATE_ENABLED:
        return
    if SURROGATE["isr_features"] and SURROGATE_FAST:
        raise ValueError("config key 'surrogate.isr_features': the particle-level ISR feature needs the shower, "
                         "which the fast scan switches off; set surrogate.fast_scan.enabled = false or isr_features = false")
    fast = SURROGATE["fast_scan"]
    missing = [l for l in fast["luminosities_ifb"] if float(l) not in [float(v) for v in config["statistics"]["luminosities_ifb"]]]
    if SURROGATE_FAST and missing:
        raise ValueError(f"config key 'surrogate.fast_scan.luminosities_ifb': {missing} not in statistics.luminosities_ifb "
                         "(the full chain has no contour there to compare with)")
    if SURROGATE_FAST and fast["overlay_scenario"] not in config["statistics"]["background_uncertainty"]:
        raise ValueError(f"config key 'surrogate.fast_scan.overlay_scenario': {fast['overlay_scenario']!r} is not a "
                         f"statistics.background_uncertainty scenario {sorted(config['statistics']['background_uncertainty'])}")
    points = {(p.m_parent, p.m_lsp) for p in grid_points(SURROGATE_ANALYSIS)}
    unknown = [p for p in surrogate_heldout_points() if tuple(map(float, p)) not in points]
    if unknown:
        raise ValueError(f"config key 'surrogate.heldout_points': {unknown} are not grid points of {SURROGATE_ANALYSIS}")
    if not surrogate_heldout_points():
        raise ValueError("config key 'surrogate.heldout_points': empty and no grid point has train = no: "
                         "the surrogate needs held-out mass points for its validation and uncertainty")


def surrogate_heldout_points():
    """(m_parent, m_lsp) of the held-out points: the config list, else the grid points with train = no."""
    if SURROGATE_ANALYSIS not in SAMPLES_BY_ANALYSIS:  # analysis disabled (e.g. config/ewkino.yaml, recast configs)
        return []
    if SURROGATE["heldout_points"]:
        return [[float(a), float(b)] for a, b in SURROGATE["heldout_points"]]
    return [[float(p.m_parent), float(p.m_lsp)] for p in grid_points(SURROGATE_ANALYSIS) if not p.train]


def surrogate_truth_chunks(wildcards):
    """Per-chunk truth tables of one signal sample."""
    sample = SAMPLES[wildcards.sample]
    return [f"results/surrogate/{wildcards.analysis}/truth/{sample.name}/chunk{c}.csv.gz" for c in range(sample.n_chunks)]


def surrogate_labels(wildcards):
    """Label tables of every grid point of the analysis."""
    return [f"results/surrogate/{wildcards.analysis}/labels/{p.name}.csv.gz" for p in grid_points(wildcards.analysis)]


def surrogate_example_labels(wildcards):
    """The labels of the first held-out point (example events and test vectors of the bundle)."""
    held = {tuple(p) for p in surrogate_heldout_points()}
    point = next(p for p in grid_points(wildcards.analysis) if (p.m_parent, p.m_lsp) in held)
    return f"results/surrogate/{wildcards.analysis}/labels/{point.name}.csv.gz"


def surrogate_targets():
    """Bundle, validation and (with the fast scan) overlay plots and agreement table; [] when disabled."""
    if not SURROGATE_ENABLED:
        return []
    a = SURROGATE_ANALYSIS
    targets = [f"results/surrogate/{a}/bundle/{name}" for name in SURROGATE_BUNDLE.values()]
    if SURROGATE_FAST:
        targets += [f"results/surrogate/{a}/fast/agreement.md", f"results/surrogate/{a}/fast/domain.csv"]
        targets += expand("results/plots/{a}/surrogate_contour_{lumi}ifb.{fmt}", a=a,
                          lumi=[f"{float(l):g}" for l in SURROGATE["fast_scan"]["luminosities_ifb"]],
                          fmt=config["plots"]["formats"])
    return targets


_surrogate_checks()
SURROGATE_POINT_RE = _alternatives([p.name for p in grid_points(SURROGATE_ANALYSIS)]) if SURROGATE_ANALYSIS in SAMPLES_BY_ANALYSIS else "(?!x)x"


localrules:
    surrogate_bundle,


rule surrogate_truth:
    wildcard_constraints:
        analysis="smuon",
        sample=SURROGATE_POINT_RE,
    input:
        events="results/events/{sample}/chunk{chunk}.root",
    output:
        truth="results/surrogate/{analysis}/truth/{sample}/chunk{chunk}.csv.gz",
    log:
        "logs/surrogate/{analysis}/truth/{sample}_chunk{chunk}.log",
    benchmark:
        "benchmarks/runs/surrogate/{analysis}/truth/{sample}_chunk{chunk}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    script:
        "../../scripts/surrogate_truth.py"


rule surrogate_labels:
    wildcard_constraints:
        analysis="smuon",
        sample=SURROGATE_POINT_RE,
    input:
        unpack(onnx_models),
        truth=surrogate_truth_chunks,
        features="results/analysis/{analysis}/features/{sample}.csv.gz",
    output:
        labels="results/surrogate/{analysis}/labels/{sample}.csv.gz",
    params:
        regions=signal_regions,
        score_threshold=config["scan"]["score_threshold"],
        batch_size=config["scan"]["batch_size"],
    log:
        "logs/surrogate/{analysis}/labels/{sample}.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    script:
        "../../scripts/surrogate_labels.py"


rule surrogate_train:
    wildcard_constraints:
        analysis="smuon",
    input:
        labels=surrogate_labels,
    output:
        model="results/surrogate/{analysis}/model/model.onnx",
        contract="results/surrogate/{analysis}/model/features.json",
        parity="results/surrogate/{analysis}/model/parity.json",
        predictions="results/surrogate/{analysis}/model/predictions.csv.gz",
    params:
        settings=SURROGATE,
        heldout_points=surrogate_heldout_points(),
        seed=config["seed"],
        analysis="{analysis}",
    log:
        "logs/surrogate/{analysis}/train.log",
    benchmark:
        "benchmarks/runs/surrogate/{analysis}/train.tsv"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    script:
        "../../scripts/surrogate_train.py"


rule surrogate_validate:
    input:
        predictions=rules.surrogate_train.output.predictions,
        parity=rules.surrogate_train.output.parity,
    output:
        csv="results/surrogate/{analysis}/validation/validation.csv",
        md="results/surrogate/{analysis}/validation/validation.md",
        uncertainty="results/surrogate/{analysis}/validation/uncertainty.json",
        calibration=report("results/surrogate/{analysis}/validation/calibration.png", category="Surrogate"),
    log:
        "logs/surrogate/{analysis}/validate.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/surrogate_validate.py"


rule surrogate_bundle:
    input:
        model=rules.surrogate_train.output.model,
        contract=rules.surrogate_train.output.contract,
        uncertainty=rules.surrogate_validate.output.uncertainty,
        validation=rules.surrogate_validate.output.md,
        example_labels=surrogate_example_labels,
    output:
        **{key: f"results/surrogate/{{analysis}}/bundle/{name}" for key, name in SURROGATE_BUNDLE.items()},
    params:
        seed=config["seed"],
    log:
        "logs/surrogate/{analysis}/bundle.log",
    script:
        "../../scripts/surrogate_bundle.py"


rule surrogate_fast_scan:
    wildcard_constraints:
        analysis="smuon",
    input:
        model="results/surrogate/{analysis}/bundle/model.onnx",
        background="results/scan/{analysis}/background_yields.csv",
    output:
        **{v: f"results/surrogate/{{analysis}}/fast/yields_{v}.csv" for v in SURROGATE_VARIANTS},
        domain="results/surrogate/{analysis}/fast/domain.csv",
    params:
        fast_scan=SURROGATE["fast_scan"],
        process=lambda wildcards: grid_points(wildcards.analysis)[0].process,
        seed=config["seed"],
        sqrt_s_gev=config["sqrt_s_gev"],
        max_outside_fraction=SURROGATE["max_outside_fraction"],
    log:
        "logs/surrogate/{analysis}/fast_scan.log",
    benchmark:
        "benchmarks/runs/surrogate/{analysis}/fast_scan.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../../scripts/surrogate_fast_scan.py"


rule surrogate_fast_limits:
    wildcard_constraints:
        analysis="smuon",
        variant="|".join(SURROGATE_VARIANTS),
    input:
        yields="results/surrogate/{analysis}/fast/yields_{variant}.csv",
        background="results/scan/{analysis}/background_yields.csv",
    output:
        cls="results/surrogate/{analysis}/fast/cls_{variant}.csv",
    params:
        lumis=SURROGATE["fast_scan"]["luminosities_ifb"],
        statistics=config["statistics"],
    log:
        "logs/surrogate/{analysis}/fast_limits_{variant}.log",
    benchmark:
        "benchmarks/runs/surrogate/{analysis}/fast_limits_{variant}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=60,
    script:
        "../../scripts/surrogate_fast_limits.py"


rule surrogate_compare:
    wildcard_constraints:
        analysis="smuon",
    input:
        full="results/limits/{analysis}/cls.csv",
        uncertainty=rules.surrogate_validate.output.uncertainty,
        yields="results/surrogate/{analysis}/fast/yields_nominal.csv",
        **{v: f"results/surrogate/{{analysis}}/fast/cls_{v}.csv" for v in SURROGATE_VARIANTS},
    output:
        plots=expand(
            "results/plots/{{analysis}}/surrogate_contour_{lumi}ifb.{fmt}",
            lumi=[f"{float(l):g}" for l in SURROGATE["fast_scan"]["luminosities_ifb"]],
            fmt=config["plots"]["formats"],
        ),
        agreement="results/surrogate/{analysis}/fast/agreement.csv",
        summary="results/surrogate/{analysis}/fast/agreement.md",
    params:
        lumis=SURROGATE["fast_scan"]["luminosities_ifb"],
        scenario=SURROGATE["fast_scan"]["overlay_scenario"],
        level=config["statistics"]["cls_level"],
    log:
        "logs/surrogate/{analysis}/compare.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    script:
        "../../scripts/surrogate_compare.py"
