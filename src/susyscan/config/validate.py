"""JSON-schema validation of the workflow config, filling in defaults."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from susyscan.errors import ConfigError

#: The config schema, shipped as package data (``susyscan/schemas/config.schema.yaml``).
DEFAULT_SCHEMA = Path(str(importlib.resources.files("susyscan") / "schemas" / "config.schema.yaml"))


def _schema_from(schema: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(schema, Mapping):
        return dict(schema)
    with open(schema) as handle:
        return yaml.safe_load(handle)


def validate_config(config: dict[str, Any], schema: str | Path | Mapping[str, Any] = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Validate ``config`` in place, inserting the schema's defaults (``snakemake.utils.validate(...,
    set_default=True)``); raise :class:`ConfigError` naming every key at fault."""
    from snakemake.utils import validate

    root = _schema_from(schema)
    errors = sorted(jsonschema.validators.validator_for(root)(root).iter_errors(config),
                    key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            lines.append(f"config key '{key}': {err.message}")
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


def results_dir(config: Mapping[str, Any]) -> str:
    """Folder of every output of the run: config ``results_dir``, else ``results/<run_name>`` (run_name demo when
    unset, the schema's default), without a trailing slash."""
    explicit = str(config.get("results_dir") or "").rstrip("/")
    return explicit or f"results/{config.get('run_name') or 'demo'}"
