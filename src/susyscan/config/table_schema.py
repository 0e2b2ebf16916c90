"""JSON-schema validation of the sample and mass-grid tables (TSV), row by row, errors naming file, row and column.

The schemas are package data (``susyscan/schemas/samples.schema.yaml``, ``grid.schema.yaml``), like the config's.
A TSV cell is text, so before validation each cell of a column the schema declares ``integer`` or ``number`` is
converted when it reads as one (otherwise it stays text and the schema reports the type), and an empty cell of a
column that is not ``required`` is dropped, so that the schema's ``default`` fills it in (what
``snakemake.utils.validate(..., set_default=True)`` does for a flat record; its messages do not name the row).
"""

from __future__ import annotations

import copy
import importlib.resources
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from susyscan.errors import ConfigError

_INTEGER = re.compile(r"[+-]?\d+")


@lru_cache(maxsize=None)
def _packaged(name: str) -> dict[str, Any]:
    with (importlib.resources.files("susyscan") / "schemas" / name).open() as handle:
        return yaml.safe_load(handle)


def samples_schema() -> dict[str, Any]:
    """The schema of one sample-table row (``samples.schema.yaml``)."""
    return copy.deepcopy(_packaged("samples.schema.yaml"))


def grid_schema(parent_column: str, lsp_column: str) -> dict[str, Any]:
    """The schema of one grid-table row with the analysis' two mass columns (``grid.schema.yaml``)."""
    schema = copy.deepcopy(_packaged("grid.schema.yaml"))
    for column, role in ((parent_column, "parent"), (lsp_column, "LSP")):
        schema["properties"][column] = {**schema["$defs"]["mass"], "description": f"{role} mass (GeV)"}
        schema["required"].append(column)
    return schema


def _types(spec: Mapping[str, Any]) -> set[str]:
    kind = spec.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _convert(value: str, spec: Mapping[str, Any]) -> Any:
    """A cell as the type its column declares, when it reads as one (else the text, for the schema to report)."""
    types = _types(spec)
    if "integer" in types and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in types:
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _record(row: Mapping[str, str], schema: Mapping[str, Any]) -> dict[str, Any]:
    properties, required = schema.get("properties", {}), set(schema.get("required", []))
    record: dict[str, Any] = {}
    for column, value in row.items():
        if value == "" and column not in required:
            continue  # an empty optional cell: the schema default applies
        record[column] = _convert(value, properties.get(column, {}))
    for column, spec in properties.items():
        if column not in record and "default" in spec:
            record[column] = copy.deepcopy(spec["default"])
    return record


def _message(error: jsonschema.ValidationError) -> tuple[str, str]:
    """(column, message) of a row error."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return ", ".join(extra), f"unknown column (known: {sorted(error.schema.get('properties', {}))})"
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return (missing[0] if missing else "?"), "missing"
    column = str(error.absolute_path[0]) if error.absolute_path else "?"
    description = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    return column, error.message + (f" ({description})" if description else "")


def validate_rows(rows: list[dict[str, str]], schema: Mapping[str, Any], path: str | Path,
                  what: str = "table") -> list[dict[str, Any]]:
    """Validate the text rows of a TSV table (``rows[i]`` is line ``i + 2``) against the row ``schema``; return
    the typed records with defaults filled in. Raise :class:`ConfigError` naming the file, every bad row and column
    (a missing column once, for the header)."""
    missing = [c for c in schema.get("required", []) if rows and c not in rows[0]]
    if missing:
        raise ConfigError(f"{what} {path} lacks columns {missing}")
    validator = jsonschema.validators.validator_for(schema)(schema)
    records, problems = [], []
    for line, row in enumerate(rows, start=2):
        record = _record(row, schema)
        for error in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
            column, message = _message(error)
            problems.append(f"{path}, row {line}: column '{column}': {message}")
        records.append(record)
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ConfigError(f"invalid {what} {path}:\n  " + "\n  ".join(shown))
    return records
