"""Start-up checks of what the analysis jobs will read, run at parse time from :func:`semantic_checks`.

A YAML-cut analysis (every analysis with a ``cut_overrides`` key; the ewkino selection is code) is loaded with
its ``cut_overrides`` exactly as the ``select_features`` jobs load it, so an override naming an unknown cut, an
unknown variable or an expression that does not parse fails the dry run, naming the config key and the cut,
instead of failing in every job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from susyscan.errors import ConfigError

if TYPE_CHECKING:
    from susyscan.analysis.config import AnalysisConfig


def check_analysis_selection(name: str, spec: dict[str, Any], base: str | Path = ".") -> AnalysisConfig | None:
    """ConfigError naming ``analyses.<name>.cut_overrides`` (or the analysis YAML) when the selection of analysis
    ``name`` (its config block ``spec``) cannot be built; else the selection as the jobs load it (None for an
    analysis without ``cut_overrides``, whose selection is code)."""
    if "cut_overrides" not in spec:
        return None
    from susyscan.analysis.config import load_analysis_config

    overrides = dict(spec.get("cut_overrides") or {})
    try:
        return load_analysis_config(Path(base) / spec["config"], overrides or None)
    except ConfigError as exc:
        if overrides:
            raise ConfigError(f"config key 'analyses.{name}.cut_overrides' {overrides}: {exc}") from None
        raise ConfigError(f"config key 'analyses.{name}.config': {exc}") from None


def check_tau_truth_tagging(config: dict[str, Any], base: str | Path = ".",
                            selections: Mapping[str, AnalysisConfig | None] | None = None) -> None:
    """With ``detector.tau_truth_tagging`` on: ConfigError naming the analysis and the cut (or the recast) that
    cannot read truth-tagged taus: every enabled analysis must select with YAML cuts holding exactly one
    preselection cut ``n_taus == 1`` and no other use of ``n_taus``, with tau objects accepting every candidate jet
    of the card (:mod:`susyscan.analysis.tautruth`); the recast reads plain weights and is refused.
    ``selections``: the enabled analyses' selections already loaded (``semantic_checks``, from
    :func:`check_analysis_selection`); an analysis missing there, or None, is loaded here."""
    if not config["detector"].get("tau_truth_tagging"):
        return
    from susyscan.analyses import load_spec
    from susyscan.analysis.config import load_analysis_config
    from susyscan.analysis.tautruth import check_selection, check_tau_acceptance
    from susyscan.detector import load_card

    key = "config key 'detector.tau_truth_tagging'"
    if (config.get("recast") or {}).get("enabled", False):
        raise ConfigError(f"{key}: the recast (recast.enabled) reads the event weights without the tau truth-tag "
                          f"factor; run it without tau truth tagging")
    card = load_card(Path(base) / config["detector"]["card"])
    for name, spec in config["analyses"].items():
        if not spec.get("enabled", False):
            continue
        where = f"{key} with analysis {name!r} ({spec['config']})"
        if load_spec(Path(base) / spec["config"]).select is not None:
            raise ConfigError(f"{where}: the analysis selects in code, not with YAML cuts; tau truth tagging needs "
                              f"a preselection cut 'n_taus == 1'")
        cfg = (selections or {}).get(name)
        if cfg is None:
            cfg = load_analysis_config(Path(base) / spec["config"], dict(spec.get("cut_overrides") or {}) or None)
        check_selection(cfg, where)
        check_tau_acceptance(cfg.objects["tau"], card.jets.pt_min, card.tautagging.eta_max, where)
