"""JSON-schema validation of the workflow config, filling in defaults."""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.resources
import json
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

#: The config schema, shipped as package data (``susyscan/schemas/config.schema.yaml``).
DEFAULT_SCHEMA = Path(str(importlib.resources.files("susyscan") / "schemas" / "config.schema.yaml"))


def _schema_from(schema: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema as a mapping: ``schema`` itself, or the file it names, parsed once per file version
    (:func:`_schema_file`, keyed by the resolved path and its modification time and size, so an edited schema is
    read again; read-only, shared between calls)."""
    if isinstance(schema, Mapping):
        return schema
    path = Path(schema).resolve()
    stat = path.stat()
    return _schema_file(str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _schema_file(path: str, mtime_ns: int, size: int) -> Mapping[str, Any]:
    del mtime_ns, size  # cache key only
    with open(path) as handle:
        return yaml.safe_load(handle)


#: Keys of an analysis' ``training`` block that are mappings of settings, merged key by key (the others, e.g.
#: ``regions``, are replaced as a whole).
_MERGED_TRAINING_KEYS = ("nn", "bdt")


def _errors(root: Mapping[str, Any], instance: Any, schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``config key '<key>': <message>`` for every error of ``instance`` against ``schema`` (resolved in ``root``)."""
    validator = jsonschema.validators.validator_for(root)(schema, registry=_registry(root))
    lines = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        key = ".".join([*filter(None, [prefix]), *(str(p) for p in err.absolute_path)]) or "<top level>"
        lines.append(f"config key '{key}': {err.message}")
    return lines


def _registry(root: Mapping[str, Any]) -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resource("", Resource.from_contents(dict(root), default_specification=DRAFT202012))


def shared_training_analyses(config: Mapping[str, Any], root: Mapping[str, Any]) -> list[str]:
    """Analyses of ``config`` whose schema is the common ``$defs/analysis`` (with its ``training`` block)."""
    analyses = root.get("properties", {}).get("analyses", {})
    named, other = analyses.get("properties", {}), analyses.get("additionalProperties", {})
    return [name for name in config.get("analyses", {})
            if named.get(name, other).get("$ref") == "#/$defs/analysis"]


def _own_settings_key(name: str, root: Mapping[str, Any]) -> str:
    """Where an analysis with its own schema keeps its ML settings: ``analyses.<name>.ml`` if its schema has an
    ``ml`` block (stau's networks), else ``analyses.<name>.training`` (ewkino's ensemble)."""
    analyses = root.get("properties", {}).get("analyses", {})
    ref = analyses.get("properties", {}).get(name, analyses.get("additionalProperties", {})).get("$ref", "")
    schema = root.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
    return f"analyses.{name}.ml" if "ml" in schema.get("properties", {}) else f"analyses.{name}.training"


def _legacy_training_message(config: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """Check where a deprecated top-level ``training`` block goes: the analyses of the common schema (the smuon
    layout it was written for: smuon and plug-ins). An enabled analysis with its own schema (stau, ewkino) never
    reads it; when no enabled analysis does, it would be silently ignored, which is an error naming the keys to use.
    Returns the warning text otherwise."""
    applied = shared_training_analyses(config, root)
    enabled = [name for name, entry in config.get("analyses", {}).items() if entry.get("enabled", True)]
    ignoring = {name: _own_settings_key(name, root) for name in enabled if name not in applied}
    not_read = "; ".join(f"{name} does not read it (its settings: '{key}')" for name, key in ignoring.items())
    if not any(name in applied for name in enabled):
        raise ConfigError(f"config key 'training' (deprecated) only applies to analyses of the common schema "
                          f"(smuon and plug-ins), and none is enabled: {not_read or 'no analysis is enabled'}")
    return (f"config key 'training' is deprecated: move its settings to 'analyses.<name>.training' (applied to "
            f"{', '.join(applied)}; keys set there win)" + (f"; {not_read}" if not_read else ""))


def _apply_legacy_training(config: dict[str, Any], legacy: Mapping[str, Any], given: Mapping[str, Any],
                           root: Mapping[str, Any]) -> None:
    """Per analysis of the common schema: the validated ``training`` (defaults + the keys given under it), then
    the top-level block's keys, then again the keys given under the analysis (they win)."""
    for name in shared_training_analyses(config, root):
        training = config["analyses"][name]["training"]
        for layer in (legacy, given.get(name) or {}):
            for key, value in copy.deepcopy(dict(layer)).items():
                if key in _MERGED_TRAINING_KEYS and isinstance(value, dict):
                    training[key] = {**training.get(key, {}), **value}
                else:
                    training[key] = value


def validate_config(config: dict[str, Any], schema: str | Path | Mapping[str, Any] = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Validate ``config`` in place, inserting the schema's defaults (``snakemake.utils.validate(...,
    set_default=True)``); raise :class:`ConfigError` naming every key at fault.

    The training settings of an analysis are ``analyses.<name>.training``. A deprecated top-level ``training``
    block is still read: validated against ``$defs/training``, its keys are applied to every analysis of the
    common schema (smuon, plug-ins; keys given under the analysis win), it is removed, and a warning names the key
    to move and, for each enabled analysis with its own schema (stau, ewkino), that it does not read the block and
    where its settings go; if no enabled analysis reads the block it is an error (:func:`_legacy_training_message`)."""
    from snakemake.utils import validate

    root = _schema_from(schema)
    legacy = config.pop("training", None)
    given = {name: copy.deepcopy(entry.get("training")) for name, entry in (config.get("analyses") or {}).items()
             if isinstance(entry, dict)}
    if legacy is not None and "training" not in root.get("$defs", {}):
        config["training"] = legacy  # a schema without per-analysis training: validated as it is
        legacy = None
    lines = _errors(root, config, root)
    if legacy is not None:
        lines += _errors(root, legacy, root["$defs"]["training"], "training")
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    try:
        if isinstance(schema, Mapping):  # snakemake reads the schema from a file
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "schema.yaml"
                path.write_text(yaml.safe_dump(dict(schema)))
                validate(config, str(path), set_default=True)
        else:
            validate(config, str(schema), set_default=True)
    except Exception as exc:  # snakemake's WorkflowError: defaults made the config invalid
        raise ConfigError(f"invalid configuration after inserting the schema defaults: {exc}") from exc
    if legacy is not None:
        message = _legacy_training_message(config, root)
        _apply_legacy_training(config, legacy, given, root)
        logger.warning("%s", message)
    if "training" in root.get("$defs", {}):
        config.pop("training", None)  # the schema's deprecated entry, never read
    return config


def load_config(path: str | Path, schema: str | Path | Mapping[str, Any] = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Read a YAML config file and validate it (defaults inserted)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    with open(path) as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping, got {type(data).__name__}")
    try:
        return validate_config(data, schema)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


#: Schema keyword (``true``) of a key that enters :func:`config_hash` only when it differs from its schema
#: ``default``: for keys added after outputs had been produced under the hash, so that a config that leaves the new
#: key at its default keeps the hash, and with it the event files (generation params, metadata), it had before.
#: Marking a key at its introduction keeps every earlier hash; marking an existing key would change the hash of
#: every config that states it at its default. First use: ``detector.tau_truth_tagging`` (issue 18).
HASH_OMIT_DEFAULT = "x-hash-omit-default"


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/<name>``) followed: the target with the keywords next to the
    ``$ref`` (``default``, :data:`HASH_OMIT_DEFAULT`, ``description``) over it; other schemas as they are."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        target = _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
        return {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
    return schema


def _at_default(value: Any, schema: Mapping[str, Any]) -> bool:
    default = schema.get("default", object())
    return type(value) is type(default) and value == default


def _hashed(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """``value`` without the keys (of it and of its nested mappings; lists are kept whole) that the schema marks
    :data:`HASH_OMIT_DEFAULT` and that hold their default."""
    schema = _resolve(schema, root)
    if not isinstance(value, Mapping):
        return value
    properties = schema.get("properties", {})
    other = schema.get("additionalProperties")
    out = {}
    for key, item in value.items():
        child = properties.get(key, other if isinstance(other, Mapping) else {})
        child = _resolve(child, root)
        if child.get(HASH_OMIT_DEFAULT) and _at_default(item, child):
            continue
        out[key] = _hashed(item, child, root)
    return out


def config_hash(config: Mapping[str, Any], keys: list[str] | None = None,
                schema: str | Path | Mapping[str, Any] = DEFAULT_SCHEMA) -> str:
    """Short SHA-256 of the (selected keys of the) config, for output metadata (the workflow's ``CONFIG_HASH``,
    written into every generated event file and a param of generation). Keys the schema marks
    :data:`HASH_OMIT_DEFAULT` are left out while they hold their default."""
    root = _schema_from(schema)
    selected = {k: config[k] for k in keys if k in config} if keys else dict(config)
    blob = json.dumps(_hashed(selected, root, root), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def results_dir(config: Mapping[str, Any]) -> str:
    """Folder of every output of the run: config ``results_dir``, else ``results/<run_name>`` (run_name demo when
    unset, the schema's default), without a trailing slash."""
    explicit = str(config.get("results_dir") or "").rstrip("/")
    return explicit or f"results/{config.get('run_name') or 'demo'}"
