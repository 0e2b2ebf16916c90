"""Config schema validation: defaults, typos and wrong types name the key."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

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
    assert cfg["analyses"]["smuon"]["training"]["nn"]["batch_size"] == 32 and "training" not in cfg
    assert cfg["statistics"]["luminosities_ifb"] == [139.0, 300.0, 3000.0]


def test_empty_config_gets_every_default(schema: Path) -> None:
    cfg = validate_config({}, schema)
    assert cfg["detector"]["large_jet_radius"] == 1.0
    assert cfg["analyses"]["smuon"]["training"]["bdt"]["max_depth"] == 4
    assert cfg["analyses"]["smuon"]["enabled"] is True
    assert cfg["analyses"]["ewkino"]["enabled"] is False


def test_every_schema_key_has_description_and_default(schema: Path) -> None:
    doc = yaml.safe_load(schema.read_text())

    # a plug-in's multiclass settings: no default, so that only an analysis that uses them carries them (a multiclass
    # plug-in without them is a ConfigError naming the key; susyscan.training.multiclass_settings.load_ml_settings)
    no_default = {"analysis.ml"}

    def walk(node: dict, path: str) -> None:
        for name, sub in node.get("properties", {}).items():
            assert "description" in sub or "$ref" in sub, f"{path}{name} lacks a description"
            assert "default" in sub or sub.get("deprecated") or f"{path}{name}" in no_default, \
                f"{path}{name} lacks a default"
            walk(sub, f"{path}{name}.")

    walk(doc, "")
    walk(doc["$defs"]["analysis"], "analysis.")
    walk(doc["$defs"]["training"], "training.")
    walk(doc["$defs"]["multiclass_ml"], "multiclass_ml.")


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


def _sha16(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]


def test_config_hash_omits_tau_truth_tagging_when_off(repo_root: Path, schema: Path) -> None:
    """detector.tau_truth_tagging (marked x-hash-omit-default) is left out while false, so the hash is the one of
    the config before the key existed (the generation params and event-file metadata stay), and enters when on."""
    keys = ["seed", "sqrt_s_gev", "detector"]
    cfg = load_config(repo_root / "config" / "config.yaml", schema)
    assert cfg["detector"]["tau_truth_tagging"] is False
    before_key = {"seed": cfg["seed"], "sqrt_s_gev": cfg["sqrt_s_gev"],
                  "detector": {k: v for k, v in cfg["detector"].items() if k != "tau_truth_tagging"}}
    assert config_hash(cfg, keys, schema) == _sha16(before_key)
    on = copy.deepcopy(cfg)
    on["detector"]["tau_truth_tagging"] = True
    assert config_hash(on, keys, schema) == _sha16({**before_key, "detector": on["detector"]})
    assert config_hash(on, keys, schema) != config_hash(cfg, keys, schema)


@pytest.mark.parametrize(("overlay", "expected"), [(None, "274028d53d5191d0"), ("ewkino.yaml", "274028d53d5191d0"),
                                                   ("workstation.yaml", "274028d53d5191d0"),
                                                   ("stau.yaml", "3d619891826c3a4f")])
def test_shipped_configs_keep_their_hash(repo_root: Path, schema: Path, overlay: str | None, expected: str) -> None:
    """The workflow's CONFIG_HASH (config_hash of seed, sqrt_s_gev, detector; workflow/rules/common.smk) of
    config/config.yaml with each overlay, as snakemake merges them, is the one its event files carry (the values
    of commit 3990c7a): a change of it reruns the generation of every chunk of that config."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    if overlay:
        update_config(cfg, yaml.safe_load((repo_root / "config" / overlay).read_text()))
    validate_config(cfg, schema)
    assert config_hash(cfg, ["seed", "sqrt_s_gev", "detector"], schema) == expected


def test_config_hash_omit_default_follows_refs_and_only_marked_keys() -> None:
    """The rule is the schema's, at any depth and through $ref / additionalProperties; unmarked keys at their
    default, and marked keys off their default (also a default-equal value of another type), are hashed."""
    toy = {"type": "object", "$defs": {"entry": {"type": "object", "properties": {
        "new": {"type": "integer", "default": 0, "x-hash-omit-default": True},
        "old": {"type": "integer", "default": 0}}}},
        "properties": {"top": {"type": "boolean", "default": False, "x-hash-omit-default": True}},
        "additionalProperties": {"$ref": "#/$defs/entry"}}
    assert config_hash({"a": {"new": 0, "old": 0}, "top": False}, schema=toy) == _sha16({"a": {"old": 0}})
    assert config_hash({"a": {"new": 1, "old": 0}}, schema=toy) == _sha16({"a": {"new": 1, "old": 0}})
    assert config_hash({"a": {"new": False}}, schema=toy) == _sha16({"a": {"new": False}})
    assert config_hash({"top": True}, schema=toy) == _sha16({"top": True})
    # the marker and the default next to a $ref hold (the $defs target has neither)
    toy["properties"]["ref"] = {"$ref": "#/$defs/level", "default": 2, "x-hash-omit-default": True}
    toy["$defs"]["level"] = {"type": "integer", "minimum": 0}
    assert config_hash({"ref": 2, "top": False}, schema=toy) == _sha16({})
    assert config_hash({"ref": 3}, schema=toy) == _sha16({"ref": 3})


def test_training_is_per_analysis(schema: Path) -> None:
    cfg = validate_config({"analyses": {"smuon": {"config": "config/analyses/smuon.yaml", "training": {
        "kfold": 5, "nn": {"epochs": 7}}}, "toy": {"config": "toy.yaml"}}}, schema)
    smuon, toy = cfg["analyses"]["smuon"]["training"], cfg["analyses"]["toy"]["training"]
    assert (smuon["kfold"], smuon["nn"]["epochs"], smuon["nn"]["batch_size"]) == (5, 7, 32)
    assert (toy["kfold"], toy["nn"]["epochs"]) == (3, 300)  # schema defaults
    assert "n_members" in cfg["analyses"]["ewkino"]["training"]  # ewkino keeps its own training block
    with pytest.raises(ConfigError, match="config key 'analyses.smuon.training.nn'"):
        validate_config({"analyses": {"smuon": {"training": {"nn": {"epoch": 3}}}}}, schema)


def test_deprecated_top_level_training_still_works(schema: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An old config's top-level training block applies to every analysis of the common schema, keys under
    analyses.<name>.training win, mapping blocks (nn, bdt) merge key by key, regions are replaced whole, and a
    warning names the key to move."""
    old = {"training": {"kfold": 2, "regions": {"all": [0.0, 1e5]}, "nn": {"epochs": 9, "batch_size": 16}},
           "analyses": {"smuon": {"training": {"nn": {"epochs": 4}}}, "toy": {"config": "toy.yaml"}}}
    with caplog.at_level("WARNING", logger="susyscan.config.validate"):
        cfg = validate_config(old, schema)
    assert "'training' is deprecated: move its settings to 'analyses.<name>.training'" in caplog.text
    assert "training" not in cfg
    smuon, toy = cfg["analyses"]["smuon"]["training"], cfg["analyses"]["toy"]["training"]
    assert smuon["regions"] == toy["regions"] == {"all": [0.0, 1e5]}
    assert (smuon["kfold"], smuon["nn"]["epochs"], smuon["nn"]["batch_size"], smuon["nn"]["momentum"]) == (2, 4, 16, 0.9)
    assert (toy["kfold"], toy["nn"]["epochs"]) == (2, 9)
    ewkino = cfg["analyses"]["ewkino"]["training"]
    assert "n_members" in ewkino and ewkino["kfold"] == 1  # its own schema's default, not the old block's 2


def test_deprecated_top_level_training_names_the_keys_of_analyses_that_do_not_read_it(
        schema: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The old block was the smuon layout: stau and ewkino (their own schemas) never read it. With smuon enabled
    too the block still applies to smuon, and the warning names where the stau / ewkino settings go; with no enabled
    analysis of the common schema the block would be silently ignored, which is a start-up error naming the key."""
    legacy = {"nn": {"epochs": 9}, "kfold": 4}
    with caplog.at_level("WARNING", logger="susyscan.config.validate"):
        cfg = validate_config({"training": copy.deepcopy(legacy), "analyses": {
            "stau": {"enabled": True}, "ewkino": {"enabled": True}}}, schema)
    assert (cfg["analyses"]["smuon"]["training"]["kfold"], cfg["analyses"]["smuon"]["training"]["nn"]["epochs"]) == (4, 9)
    assert cfg["analyses"]["stau"]["training"]["kfold"] == 3 and cfg["analyses"]["stau"]["ml"]["network"]["epochs"] == 20
    assert cfg["analyses"]["ewkino"]["training"]["epochs"] == 10
    assert "applied to smuon" in caplog.text
    assert "stau does not read it (its settings: 'analyses.stau.ml')" in caplog.text
    assert "ewkino does not read it (its settings: 'analyses.ewkino.training')" in caplog.text
    stau_only = {"training": copy.deepcopy(legacy), "analyses": {"smuon": {"enabled": False}, "stau": {"enabled": True}}}
    with pytest.raises(ConfigError, match=r"none is enabled: stau does not read it \(its settings: 'analyses.stau.ml'\)"):
        validate_config(stau_only, schema)
    with pytest.raises(ConfigError, match="no analysis is enabled"):
        validate_config({"training": copy.deepcopy(legacy), "analyses": {"smuon": {"enabled": False}}}, schema)


def test_schema_file_edited_in_place_is_read_again(tmp_path: Path) -> None:
    """The parsed schema file is cached per file version: an edit of the same path (another default) is seen."""
    path = tmp_path / "toy.schema.yaml"

    def write(default: int) -> None:
        path.write_text(yaml.safe_dump({"type": "object", "properties": {
            "n": {"type": "integer", "default": default, "x-hash-omit-default": True}}}))

    write(1)
    assert config_hash({"n": 1}, schema=path) == _sha16({})
    write(22)
    assert config_hash({"n": 1}, schema=path) == _sha16({"n": 1})
    assert config_hash({"n": 1}, schema=str(path)) == _sha16({"n": 1})
