"""The stau ML run settings: schema key analyses.stau.ml (defaults, validation naming the key) and their merge
with the analysis definition of config/analyses/stau_ml.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from susyscan.config import load_config, validate_config
from susyscan.errors import ConfigError
from susyscan.training.multiclass import MulticlassConfig
from susyscan.training.multiclass_settings import (category_features, category_range, load_ml_settings,
                                                   merge_ml_settings)
from susyscan.training.sign import SignConfig

REPO = Path(__file__).resolve().parents[2]


def _stau(ml: dict) -> dict:
    return {"analyses": {"stau": {"enabled": True, "config": "config/analyses/stau.yaml", "ml": ml}}}


def test_defaults_are_filled_and_build_the_network_and_graph_settings() -> None:
    ml = validate_config(_stau({}))["analyses"]["stau"]["ml"]
    assert ml["kfold"] == 5 and ml["bank_fraction"] == 0.5 and ml["network"]["hidden_layers"] == [64, 32, 16]
    assert MulticlassConfig(**ml["network"]).epochs == 20
    assert SignConfig(**ml["sign"]).hops == 2


def test_every_stau_key_has_a_description_and_a_default() -> None:
    schema = yaml.safe_load((REPO / "src" / "susyscan" / "schemas" / "config.schema.yaml").read_text())

    def walk(node: dict, path: str) -> None:
        for name, sub in node.get("properties", {}).items():
            assert "description" in sub, f"{path}{name} lacks a description"
            assert "default" in sub, f"{path}{name} lacks a default"
            ref = sub.get("$ref", "").removeprefix("#/$defs/")
            walk(schema["$defs"][ref] if ref and ref != "training" else sub, f"{path}{name}.")

    walk(schema["$defs"]["stau_analysis"], "analyses.stau.")


@pytest.mark.parametrize(("ml", "key"), [({"network": {"epochs": 0}}, "epochs"), ({"sign": {"hops": 4}}, "hops"),
                                         ({"bank_fraction": 1.0}, "bank_fraction"), ({"sign": {"index": "ivf"}}, "index"),
                                         ({"network": {"layers": [8]}}, "layers"), ({"kfold": 2}, "kfold")])
def test_bad_values_are_rejected_naming_the_key(ml: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        validate_config(_stau(ml))


def test_the_run_configs_validate_and_the_large_one_sets_its_own_values() -> None:
    demo = load_config(REPO / "config" / "stau.yaml")["analyses"]["stau"]["ml"]
    large = load_config(REPO / "config" / "stau_large.yaml")["analyses"]["stau"]["ml"]
    assert large["bank_fraction"] == 0.3 and large["network"]["hidden_layers"] != demo["network"]["hidden_layers"]
    assert large["network"]["dropout"] == demo["network"]["dropout"]  # keys not set keep the default


def test_merge_keeps_the_definition_and_rejects_run_keys_in_the_yaml() -> None:
    definition = yaml.safe_load((REPO / "config" / "analyses" / "stau_ml.yaml").read_text())
    run = validate_config(_stau({"kfold": 3}))["analyses"]["stau"]["ml"]
    merged = merge_ml_settings(definition, run, "stau_ml.yaml", "stau")
    assert merged["kfold"] == 3 and merged["classes"][0] == "signal" and set(merged["categories"]) == {"0j", "1j"}
    with pytest.raises(ConfigError, match=r"stau_ml.yaml.*\['kfold'\].*analyses.stau.ml"):
        merge_ml_settings({**definition, "kfold": 5}, run, "stau_ml.yaml", "stau")
    with pytest.raises(ConfigError, match="missing keys \\['classes'\\]"):
        merge_ml_settings({k: v for k, v in definition.items() if k != "classes"}, run, "stau_ml.yaml", "stau")


def test_load_names_the_missing_ml_yaml_and_a_missing_feature_list(tmp_path: Path) -> None:
    """The multiclass rules' settings of an analysis: the ML YAML next to its analysis YAML, merged with the run
    config's analyses.<name>.ml; a missing file or a feature list its module lacks is an error naming them."""
    run = {"config": str(REPO / "config" / "analyses" / "stau.yaml"), "ml": {"kfold": 3}}
    settings = load_ml_settings("stau", run)
    assert settings["kfold"] == 3 and settings["path"].endswith("config/analyses/stau_ml.yaml")
    from susyscan.analyses.stau import FEATURES_1J

    assert category_features(settings, "1j", "stau") == list(FEATURES_1J)
    analysis_yaml = tmp_path / "tau2.yaml"
    with pytest.raises(ConfigError, match=r"analysis 'tau2' declares multiclass.*no 'analyses.tau2.ml'"):
        load_ml_settings("tau2", {"config": str(analysis_yaml)})
    with pytest.raises(ConfigError, match=r"analysis 'tau2' declares multiclass.*tau2_ml.yaml does not exist"):
        load_ml_settings("tau2", {"config": str(analysis_yaml), "ml": {}})
    definition = yaml.safe_load((REPO / "config" / "analyses" / "stau_ml.yaml").read_text())
    definition["categories"]["1j"]["features"] = "FEATURES_2J"
    (tmp_path / "tau2_ml.yaml").write_text(yaml.safe_dump(definition))
    with pytest.raises(ConfigError, match=r"tau2_ml.yaml: categories.1j.features: .* has no 'FEATURES_2J'"):
        load_ml_settings("tau2", {"config": str(analysis_yaml), "ml": {}})


def test_a_plug_in_takes_the_schema_defaults_and_other_analyses_carry_no_ml() -> None:
    """$defs/multiclass_ml is the one source of the defaults: a plug-in (schema $defs/analysis) with ml - {} gets
    exactly stau's defaults; an analysis that does not set ml carries none (smuon's validated config unchanged)."""
    cfg = validate_config({"analyses": {"tau2": {"config": "tau2.yaml", "ml": {}}}})
    assert cfg["analyses"]["tau2"]["ml"] == validate_config(_stau({}))["analyses"]["stau"]["ml"]
    assert cfg["analyses"]["tau2"]["ml"]["seed"] == 20261202 and "ml" not in cfg["analyses"]["smuon"]
    with pytest.raises(ConfigError, match="analyses.tau2.ml.network"):
        validate_config({"analyses": {"tau2": {"config": "tau2.yaml", "ml": {"network": {"layers": [8]}}}}})


def test_a_category_of_another_analysis_is_named() -> None:
    """A category the analysis lacks is a ConfigError naming the analysis, its categories and its ML YAML."""
    stau = load_ml_settings("stau", {"config": str(REPO / "config" / "analyses" / "stau.yaml"), "ml": {"kfold": 5}})
    assert category_range(stau, "1j", "stau") == list(stau["categories"]["1j"]["range"])
    for call in (category_range, category_features):
        with pytest.raises(ConfigError, match=r"analysis 'stau' has no multiclass category '2b' \(its categories: "
                                              r"\['0j', '1j'\], .*stau_ml.yaml\)"):
            call(stau, "2b", "stau")
