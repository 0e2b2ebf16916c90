"""Semantic checks of a schema-valid config: what a JSON schema cannot express."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from susyscan.config.startup_checks import check_analysis_selection, check_tau_truth_tagging
from susyscan.config.tables import GridPoint, Sample, load_grid, load_samples
from susyscan.errors import ConfigError

if TYPE_CHECKING:
    from susyscan.analysis.config import AnalysisConfig


def _check_regions(regions: dict[str, list[float]], points: list[GridPoint], analysis: str = "") -> None:
    for name, (low, high) in regions.items():
        if not low < high:
            raise ConfigError(f"config key 'analyses.{analysis}.training.regions.{name}': need min < max, "
                              f"got [{low:g}, {high:g})")
    for point in points:
        if not point.train:
            continue
        inside = [n for n, (lo, hi) in regions.items() if lo <= point.m_parent < hi]
        if len(inside) != 1:
            raise ConfigError(
                f"training point {point.name} (m_parent={point.m_parent:g}) lies in {len(inside)} regions "
                f"{inside} of the mass regions of analysis '{analysis}' ('analyses.{analysis}.training.regions' "
                "unless its spec sets mass_regions); each training point must lie in exactly one"
            )
    for name, (lo, hi) in regions.items():
        if not any(p.train and lo <= p.m_parent < hi for p in points):
            raise ConfigError(
                f"config key 'analyses.{analysis}.training.regions.{name}': no grid point with train=yes has "
                f"m_parent in [{lo:g}, {hi:g})"
            )


def _check_chunks(samples: Sequence[Sample], max_per_chunk: int) -> None:
    for sample in samples:
        per_chunk = math.ceil(sample.n_events / sample.n_chunks)
        if sample.n_chunks > sample.n_events:
            raise ConfigError(f"sample '{sample.name}': n_chunks={sample.n_chunks} exceeds n_events={sample.n_events}")
        if per_chunk > max_per_chunk:
            raise ConfigError(
                f"sample '{sample.name}': {per_chunk} events per chunk exceeds "
                f"'generation.events_per_chunk_max'={max_per_chunk}; raise n_chunks"
            )


def _check_processes(samples: Sequence[Sample], sqrt_s_gev: float) -> None:
    """Generated samples must name a registered process; signal masses must lie inside their NLO table."""
    from susyscan.generation.processes import REFERENCE_SQRT_S_GEV, get_process
    from susyscan.generation.xsec import lookup

    for sample in samples:
        if sample.source != "generate":
            continue
        try:
            spec = get_process(sample.process)
        except ValueError as err:
            raise type(err)(f"sample '{sample.name}': {err}") from None
        if sample.is_signal and spec.xsec_table and spec.xsec_table_mass and sqrt_s_gev == REFERENCE_SQRT_S_GEV:
            try:
                lookup(spec.xsec_table, sample.masses[spec.xsec_table_mass])
            except ValueError as err:
                raise type(err)(f"grid point '{sample.name}': {err}") from None


_LOWER_BOUND = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*>=?\s*([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)")


def reco_lower_bounds(cut_exprs: list[str]) -> dict[str, float]:
    """Largest ``variable > number`` bound per variable found in the applied preselection expressions.

    Only simple atoms are recognised: a filter on a variable whose reco cut is written otherwise fails the
    looseness check (fail closed) instead of being trusted.
    """
    bounds: dict[str, float] = {}
    for expr in cut_exprs:
        for name, value in _LOWER_BOUND.findall(expr):
            bounds[name] = max(bounds.get(name, -math.inf), float(value))
    return bounds


def _own_selection_bounds(path: Path, analysis: str, names: list[str],
                          overrides: dict[str, str]) -> tuple[dict[str, float], float]:
    """Lower bounds of the applied cuts and the muon |eta| acceptance of an analysis whose selection is code but
    whose YAML lists the cuts in the shared format (``cuts: [{name, expr, for_comparison_only}]``, e.g. ewkino),
    with the config's ``cut_overrides`` (cut name -> expression) applied; ConfigError when it lists none (a filter could not be checked)."""
    import yaml

    with open(path) as handle:
        data = yaml.safe_load(handle) or {}
    cuts = data.get("cuts")
    if not isinstance(cuts, list) or not all(isinstance(c, dict) and "expr" in c for c in cuts):
        raise ConfigError(f"samples {names} of analysis '{analysis}' have generator filters, but {path} lists no "
                          "shared-format 'cuts' (name, expr) to check them against")
    applied = [str(overrides.get(c.get("name"), c["expr"])) for c in cuts if not c.get("for_comparison_only", False)]
    bounds = reco_lower_bounds(applied)
    muon = (data.get("objects") or {}).get("muon") or {}
    return bounds, float(muon.get("abs_eta_max", math.inf))


def _check_filters(config: dict[str, Any], samples: list[Sample], analysis: str, base: Path,
                   selection: AnalysisConfig | None = None) -> None:
    """Each generator filter named in the sample table exists, is applied to a generated sample, and is looser
    than the applied preselection of every analysis the sample serves (truth threshold < reco threshold).
    ``selection``: the analysis' YAML selection when already loaded (else loaded here)."""
    from susyscan.analysis.config import load_analysis_config
    from susyscan.generation.filters import filter_from_config

    filtered = [s for s in samples if s.filter]
    if not filtered:
        return
    declared = config["generation"].get("filters", {})
    spec = config["analyses"][analysis]
    from susyscan.analyses import load_spec

    if load_spec(base / spec["config"]).select is not None:
        # its selection is code; its YAML may still list the shared-format cuts that code applies (ewkino)
        bounds, muon_eta = _own_selection_bounds(base / spec["config"], analysis, [s.name for s in filtered],
                                                 spec.get("cut_overrides") or {})
    else:
        cfg = selection or load_analysis_config(base / spec["config"], spec.get("cut_overrides") or None)
        bounds = reco_lower_bounds([c.expr for c in cfg.cuts if not c.for_comparison_only])
        muon_eta = cfg.objects["muon"].abs_eta_max if "muon" in cfg.objects else math.inf
    for sample in filtered:
        if sample.filter not in declared:
            table = config["grids"][analysis] if sample.is_signal else config["samples"]
            raise ConfigError(f"sample '{sample.name}' in {table}: generator filter {sample.filter!r} "
                              f"is not declared under config key 'generation.filters' (declared: {sorted(declared)})")
        flt = filter_from_config(sample.filter, declared[sample.filter])
        for variable, threshold in flt.thresholds().items():
            reco = bounds.get(variable)
            if reco is None or not threshold < reco:
                raise ConfigError(
                    f"generator filter {flt.name!r} (sample '{sample.name}') cuts {variable} > {threshold:g} at truth "
                    f"level, but the applied preselection of analysis '{analysis}' ({spec['config']}"
                    f"{' with cut_overrides' if spec.get('cut_overrides') else ''}) requires "
                    f"{'no simple ' + variable + ' > X cut' if reco is None else f'{variable} > {reco:g}'}: "
                    "a filter must be looser than the reco-level cuts it serves")
        if flt.muon_abs_eta_max < muon_eta:
            raise ConfigError(f"generator filter {flt.name!r}: muon_abs_eta_max {flt.muon_abs_eta_max:g} is tighter "
                              f"than the analysis '{analysis}' muon acceptance |eta| < {muon_eta:g}")


def training_settings(config: dict[str, Any], analysis: str) -> dict[str, Any]:
    """The ML training settings of ``analysis`` (config ``analyses.<name>.training``, schema defaults inserted)."""
    try:
        return config["analyses"][analysis]["training"]
    except KeyError:
        raise ConfigError(f"config key 'analyses.{analysis}.training': missing (analysis {analysis!r} is not "
                          "served by the shared ML rules, or the config was not validated)") from None


def _check_envelope_scenarios(statistics: dict[str, Any]) -> None:
    """Every ``scale_envelope_scenarios`` name is a ``background_uncertainty`` scenario (a misspelt name would
    otherwise only fail in the limits jobs, after the whole chain has run)."""
    unknown = sorted(set(statistics["scale_envelope_scenarios"]) - set(statistics["background_uncertainty"]))
    if unknown:
        raise ConfigError(f"config key 'statistics.scale_envelope_scenarios': {unknown} are not scenarios of "
                          f"'statistics.background_uncertainty' {sorted(statistics['background_uncertainty'])}")


def semantic_checks(config: dict[str, Any], base: str | Path = ".") -> dict[str, list[Sample]]:
    """Check cross-key consistency; return the samples of each enabled analysis (backgrounds + grid points)."""
    base = Path(base)
    _check_envelope_scenarios(config["statistics"])
    enabled = [name for name, spec in config["analyses"].items() if spec.get("enabled", False)]
    if not enabled and not (config.get("recast") or {}).get("enabled", False):
        raise ConfigError("config key 'analyses': no analysis is enabled (and no recast: 'recast.enabled')")
    backgrounds = load_samples(base / config["samples"])
    known = set(config["analyses"])
    for sample in backgrounds:
        unknown = set(sample.analyses) - known
        if unknown:
            raise ConfigError(f"sample '{sample.name}' in {config['samples']}: unknown analyses {sorted(unknown)}")
    per_analysis: dict[str, list[Sample]] = {}
    selections: dict[str, AnalysisConfig | None] = {}  # each YAML selection loaded once, for all the checks below
    for name in enabled:
        spec = config["analyses"][name]
        if not (base / spec["config"]).is_file():
            raise ConfigError(f"config key 'analyses.{name}.config': file not found: {spec['config']}")
        # cut_overrides: known cuts and variables (startup_checks.py)
        selections[name] = check_analysis_selection(name, spec, base)
        if name not in config["grids"]:
            raise ConfigError(f"analysis '{name}' is enabled but 'grids.{name}' declares no mass grid")
        from susyscan.analyses import load_spec

        analysis_spec = load_spec(base / spec["config"])
        training = spec.get("training")
        if training is not None and abs(sum(training["split"]) - 1.0) > 1e-9:
            raise ConfigError(f"config key 'analyses.{name}.training.split': fractions must sum to 1, got "
                              f"{training['split']} (sum {sum(training['split']):g})")
        points = load_grid(base / config["grids"][name], name, analysis_spec.grid)
        if analysis_spec.shared_ml and analysis_spec.models:
            _check_regions(analysis_spec.regions(training_settings(config, name)["regions"]), points, name)
        bkgs = [s for s in backgrounds if name in s.analyses]
        if not bkgs:
            raise ConfigError(f"analysis '{name}' is enabled but no sample in {config['samples']} lists it under 'analyses'")
        overlap = {p.name for p in points} & {s.name for s in backgrounds}
        if overlap:
            raise ConfigError(f"sample names {sorted(overlap)} appear both in the grid and in {config['samples']}")
        _check_chunks([*bkgs, *points], config["generation"]["events_per_chunk_max"])
        _check_processes([*bkgs, *points], float(config["sqrt_s_gev"]))
        _check_filters(config, [*bkgs, *points], name, base, selections[name])
        per_analysis[name] = bkgs + list(points)
    check_tau_truth_tagging(config, base, selections)  # detector.tau_truth_tagging: only exactly-one-tau selections
    from susyscan.ingest.startup import check_ingested_samples  # LHE headers: beam energy, scheme, event count

    check_ingested_samples(backgrounds, config, base)
    return per_analysis
