"""JSON-schema validation of the workflow config, filling in defaults."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from susyscan.errors import ConfigError

DEFAULT_SCHEMA = Path("workflow/schemas/config.schema.yaml")


def _with_defaults(validator_class: type) -> type:
    """Extend a jsonschema validator so that ``default`` values are inserted before validation."""
    validate_properties = validator_class.VALIDATORS["properties"]  # type: ignore[attr-defined]

    def set_defaults(validator: Any, properties: Mapping, instance: Any, schema: Mapping) -> Iterator:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                sub = subschema
                if "$ref" in sub and "default" not in sub:
                    continue
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _schema_from(schema: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(schema, Mapping):
        return schema
    with open(schema) as handle:
        return yaml.safe_load(handle)


def _fill_ref_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """Fill defaults inside objects described through ``$ref`` (the extended validator skips them)."""
    if not isinstance(instance, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if name not in instance:
            continue
        target = sub
        if "$ref" in sub:
            ref = sub["$ref"].split("/")[-1]
            target = root.get("$defs", {}).get(ref, {})
            for key, prop in target.get("properties", {}).items():
                if "default" in prop and isinstance(instance[name], dict) and key not in instance[name]:
                    instance[name][key] = copy.deepcopy(prop["default"])
        _fill_ref_defaults(instance[name], target, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) and "$ref" in extra:  # e.g. analyses.<any name>
        target = root.get("$defs", {}).get(extra["$ref"].split("/")[-1], {})
        for name, value in instance.items():
            if name in schema.get("properties", {}) or not isinstance(value, dict):
                continue
            for key, prop in target.get("properties", {}).items():
                if "default" in prop and key not in value:
                    value[key] = copy.deepcopy(prop["default"])


def validate_config(config: dict[str, Any], schema: str | Path | Mapping[str, Any] = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Validate ``config`` in place, inserting defaults; raise :class:`ConfigError` naming the key at fault."""
    root = _schema_from(schema)
    validator_cls = _with_defaults(jsonschema.validators.validator_for(root))
    errors = sorted(validator_cls(root).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            lines.append(f"config key '{key}': {err.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    _fill_ref_defaults(config, root, root)
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


def config_hash(config: Mapping[str, Any], keys: list[str] | None = None) -> str:
    """Short SHA-256 of the (selected keys of the) config, for output metadata."""
    subset = {k: config[k] for k in keys if k in config} if keys else dict(config)
    blob = json.dumps(subset, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
