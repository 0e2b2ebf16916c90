"""Config-level overrides of named preselection cuts (used by the demo config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from susyscan.analysis.config import load_analysis_config
from susyscan.errors import ConfigError


def test_override_replaces_expression_and_label(repo_root: Path) -> None:
    cfg = load_analysis_config(repo_root / "config/analyses/smuon.yaml", {"mt2_cut": "mt2 > 60.0"})
    cut = next(c for c in cfg.cuts if c.name == "mt2_cut")
    assert cut.expr == "mt2 > 60.0"
    assert "60" in cut.label and "override" in cut.label
    plain = load_analysis_config(repo_root / "config/analyses/smuon.yaml")
    assert next(c for c in plain.cuts if c.name == "mt2_cut").label != cut.label


def test_unknown_cut_name_is_an_error(repo_root: Path) -> None:
    with pytest.raises(ConfigError, match="mt2_cutt"):
        load_analysis_config(repo_root / "config/analyses/smuon.yaml", {"mt2_cutt": "mt2 > 60.0"})
