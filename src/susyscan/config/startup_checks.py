"""Start-up checks of what the analysis jobs will read, run at parse time from :func:`semantic_checks`.

A YAML-cut analysis (every analysis with a ``cut_overrides`` key; the ewkino selection is code) is loaded with
its ``cut_overrides`` exactly as the ``select_features`` jobs load it, so an override naming an unknown cut, an
unknown variable or an expression that does not parse fails the dry run, naming the config key and the cut,
instead of failing in every job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from susyscan.errors import ConfigError


def check_analysis_selection(name: str, spec: dict[str, Any], base: str | Path = ".") -> None:
    """ConfigError naming ``analyses.<name>.cut_overrides`` (or the analysis YAML) when the selection of analysis
    ``name`` (its config block ``spec``) cannot be built."""
    if "cut_overrides" not in spec:
        return
    from susyscan.analysis.config import load_analysis_config

    overrides = dict(spec.get("cut_overrides") or {})
    try:
        load_analysis_config(Path(base) / spec["config"], overrides or None)
    except ConfigError as exc:
        if overrides:
            raise ConfigError(f"config key 'analyses.{name}.cut_overrides' {overrides}: {exc}") from None
        raise ConfigError(f"config key 'analyses.{name}.config': {exc}") from None
