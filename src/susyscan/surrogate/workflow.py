"""Parse-time helpers of workflow/rules/surrogate.smk: config checks, held-out points, target lists.

Pure functions of the validated config and the grid points (``susyscan.config.tables.GridPoint``), so that the
rules file holds rules only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from susyscan.errors import ConfigError

VARIANTS = ("nominal", "down", "up")
BUNDLE = {"model": "model.onnx", "features": "features.json", "example": "example.py",
          "example_truth": "example_truth.csv", "test_vectors": "test_vectors.csv", "validation_md": "validation.md",
          "validation_csv": "validation.csv", "calibration": "calibration.png", "readme": "README.md"}


#: Label sources (``surrogate.analysis``): an analysis of the shared ML rules (default ``smuon``), or ``recast``
#: (the recast's signal regions).
SMUON, RECAST = "smuon", "recast"


def check_analysis(settings: Mapping[str, Any], shared_ml: Sequence[str]) -> None:
    """ConfigError naming the key unless ``surrogate.analysis`` is ``recast`` or one of the enabled analyses
    served by the shared ML rules (``shared_ml``), whose regions and grid label the surrogate."""
    name = str(settings["analysis"])
    if name != RECAST and name not in shared_ml:
        raise ConfigError(f"config key 'surrogate.analysis': {name!r} is neither 'recast' nor an enabled analysis of "
                          f"the shared ML rules {sorted(shared_ml)}")


def recast_source(settings: Mapping[str, Any], recast: Mapping[str, Any], grids: Mapping[str, Any]) -> tuple[str, str]:
    """(recast analysis, recast grid) whose regions and points label the surrogate (``surrogate.recast``; an
    empty key means the only one declared)."""
    if not recast.get("enabled"):
        raise ConfigError("config key 'surrogate.analysis': 'recast' needs the recast stage (recast.enabled: true)")
    chosen = []
    for key, known in (("analysis", sorted(recast.get("analyses") or {})), ("grid", sorted(grids))):
        name = str(settings["recast"][key])
        if not name:
            if len(known) != 1:
                raise ConfigError(f"config key 'surrogate.recast.{key}': empty, and the recast declares {known}; "
                                  "name one")
            name = known[0]
        elif name not in known:
            raise ConfigError(f"config key 'surrogate.recast.{key}': {name!r} is not one of the recast's {known}")
        chosen.append(name)
    return chosen[0], chosen[1]


def source_name(settings: Mapping[str, Any], recast: Mapping[str, Any], grids: Mapping[str, Any]) -> str:
    """Name of the label source, the ``{analysis}`` of results/surrogate/{analysis}/: the analysis (e.g.
    ``smuon``), or ``<recast analysis>_<grid>`` (e.g. ``atlas_1908_08215_smuon``)."""
    if settings["analysis"] == RECAST:
        return "_".join(recast_source(settings, recast, grids))
    return str(settings["analysis"])


def heldout_points(settings: Mapping[str, Any], points: Sequence[Any]) -> list[list[float]]:
    """(m_parent, m_lsp) of the held-out points: ``surrogate.heldout_points``, else (an analysis) the grid points with
    train = no (a recast grid's train column is not about the surrogate: there the list must be given)."""
    if settings["heldout_points"]:
        return [[float(a), float(b)] for a, b in settings["heldout_points"]]
    if settings["analysis"] == RECAST:
        return []
    return [[float(p.m_parent), float(p.m_lsp)] for p in points if not p.train]


def check_settings(settings: Mapping[str, Any], config: Mapping[str, Any], points: Sequence[Any]) -> None:
    """ConfigError naming the key for settings that cannot work (checked only when the surrogate is enabled)."""
    fast = settings["fast_scan"]
    statistics = config["statistics"]
    if settings["analysis"] == RECAST:
        if fast["enabled"]:
            raise ConfigError("config key 'surrogate.fast_scan.enabled': the fast scan's CLs uses an analysis's "
                              "backgrounds; with surrogate.analysis 'recast' set it false (the recast surrogate is "
                              "trained, validated and bundled only)")
        if not settings["heldout_points"]:
            raise ConfigError("config key 'surrogate.heldout_points': empty; with surrogate.analysis 'recast' list the "
                              "recast grid points to hold out (the grid's train column is not used)")
    if settings["isr_features"] and fast["enabled"]:
        raise ConfigError("config key 'surrogate.isr_features': the particle-level ISR feature needs the shower, which "
                          "the fast scan switches off; set surrogate.fast_scan.enabled or surrogate.isr_features false")
    if fast["enabled"]:
        lumis = [float(v) for v in statistics["luminosities_ifb"]]
        missing = [v for v in fast["luminosities_ifb"] if float(v) not in lumis]
        if missing:
            raise ConfigError(f"config key 'surrogate.fast_scan.luminosities_ifb': {missing} not in "
                              "statistics.luminosities_ifb (no full-chain contour to compare with)")
        if fast["overlay_scenario"] not in statistics["background_uncertainty"]:
            raise ConfigError(f"config key 'surrogate.fast_scan.overlay_scenario': {fast['overlay_scenario']!r} is not "
                              f"a statistics.background_uncertainty scenario {sorted(statistics['background_uncertainty'])}")
    grid = {(float(p.m_parent), float(p.m_lsp)) for p in points}
    held = heldout_points(settings, points)
    unknown = [p for p in held if tuple(p) not in grid]
    if unknown:
        raise ConfigError(f"config key 'surrogate.heldout_points': {unknown} are not grid points of the "
                          f"{settings['analysis']} label source")
    if not held:
        raise ConfigError("config key 'surrogate.heldout_points': empty and no grid point has train = no; the "
                          "surrogate needs held-out mass points for its validation and uncertainty")
    if len(held) == len(grid):
        raise ConfigError("config key 'surrogate.heldout_points': every grid point is held out, none is left to train on")


def example_point(settings: Mapping[str, Any], points: Sequence[Any]) -> str:
    """Name of the first held-out grid point (example events and test vectors of the bundle)."""
    held = {tuple(p) for p in heldout_points(settings, points)}
    return next(p.name for p in points if (float(p.m_parent), float(p.m_lsp)) in held)


def targets(settings: Mapping[str, Any], formats: Sequence[str], source: str | None = None, *,
            results: str) -> list[str]:
    """Bundle files and, with the fast scan, the overlay plots, agreement table and domain table under the run's
    results folder ``results`` (``source``: the label source's name, default ``surrogate.analysis``)."""
    a = source or settings["analysis"]
    out = [f"{results}/surrogate/{a}/bundle/{name}" for name in BUNDLE.values()]
    if settings["fast_scan"]["enabled"]:
        out += [f"{results}/surrogate/{a}/fast/agreement.md", f"{results}/surrogate/{a}/fast/domain.csv"]
        out += overlay_plots(settings, formats, a, results=results)
    return out


def overlay_plots(settings: Mapping[str, Any], formats: Sequence[str], analysis: str, *, results: str) -> list[str]:
    """<results>/plots/<analysis>/surrogate_contour_<lumi>ifb.<fmt> for each fast-scan luminosity and format."""
    return [f"{results}/plots/{analysis}/surrogate_contour_{float(lumi):g}ifb.{fmt}"
            for lumi in settings["fast_scan"]["luminosities_ifb"] for fmt in formats]


def source_description(recast_config: str) -> str:
    """README paragraph of the bundle: the recast's selection and regions ('' for the smuon analysis)."""
    if not recast_config:
        return ""
    from susyscan.surrogate.recast_labels import source_description as describe

    return describe(recast_config)


def chunk_paths(pattern: str, wildcards: Any, n_chunks: int) -> list[str]:
    """One path per chunk: ``pattern`` formatted with the ``sample`` and ``analysis`` wildcards and chunk ``c``."""
    return [pattern.format(c=c, sample=wildcards.sample, analysis=wildcards.analysis) for c in range(n_chunks)]
