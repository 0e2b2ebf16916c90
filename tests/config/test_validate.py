"""Config schema validation: defaults, typos and wrong types name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from susyscan.config import config_hash, load_config, validate_config
from susyscan.errors import ConfigError


@pytest.fixture
def schema(repo_root: Path) -> Path:
    return repo_root / "src" / "susyscan" / "schemas" / "config.schema.yaml"


def test_default_config_is_valid_and_complete(repo_root: Path, schema: Path) -> None:
    cfg = load_config(repo_root / "config" / "config.yaml", schema)
    assert cfg["scan"]["score_threshold"] == 0.7
    assert cfg["training"]["nn"]["batch_size"] == 32
    assert cfg["statistics"]["luminosities_ifb"] == [139.0, 300.0, 3000.0]


def test_empty_config_gets_every_default(schema: Path) -> None:
    cfg = validate_config({}, schema)
    assert cfg["detector"]["large_jet_radius"] == 1.0
    assert cfg["training"]["bdt"]["max_depth"] == 4
    assert cfg["analyses"]["smuon"]["enabled"] is True
    assert cfg["analyses"]["ewkino"]["enabled"] is False


def test_every_schema_key_has_description_and_default(schema: Path) -> None:
    doc = yaml.safe_load(schema.read_text())

    def walk(node: dict, path: str) -> None:
        for name, sub in node.get("properties", {}).items():
            assert "description" in sub or "$ref" in sub, f"{path}{name} lacks a description"
            assert "default" in sub, f"{path}{name} lacks a default"
            walk(sub, f"{path}{name}.")

    walk(doc, "")
    walk(doc["$defs"]["analysis"], "analysis.")


def test_unknown_key_is_named(schema: Path) -> None:
    with pytest.raises(ConfigError, match="training.nn"):
        validate_config({"training": {"nn": {"epoch": 3}}}, schema)


def test_wrong_type_is_named(schema: Path) -> None:
    with pytest.raises(ConfigError, match="scan.score_threshold"):
        validate_config({"scan": {"score_threshold": "high"}}, schema)


def test_out_of_range_is_named(schema: Path) -> None:
    with pytest.raises(ConfigError, match="scan.score_threshold"):
        validate_config({"scan": {"score_threshold": 1.5}}, schema)


def test_missing_file_names_path(tmp_path: Path, schema: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml", schema)


def test_config_hash_changes_with_content(repo_root: Path, schema: Path) -> None:
    cfg = load_config(repo_root / "config" / "config.yaml", schema)
    other = copy.deepcopy(cfg)
    other["seed"] += 1
    assert config_hash(cfg) == config_hash(copy.deepcopy(cfg))
    assert config_hash(cfg) != config_hash(other)
    assert config_hash(cfg, ["detector"]) == config_hash(other, ["detector"])
