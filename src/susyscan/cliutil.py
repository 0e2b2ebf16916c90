"""Small helpers shared by the stage command lines."""

from __future__ import annotations

import click


def parse_key_values(values: tuple[str, ...], form: str) -> dict[str, float]:
    """``KEY=NUMBER`` option values to a dict; ``form`` (e.g. ``SAMPLE=FACTOR``) names the expected shape."""
    out: dict[str, float] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"{item!r} is not {form}")
        try:
            out[key] = float(value)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not {form}: {value!r} is not a number") from None
    return out


#: The workflow's global seed (schema default of the config key ``seed``): the default of every ``--seed`` option
#: that the workflow fills from ``config["seed"]``, so a step run by hand reproduces the workflow's output.
#: tests/test_cli_errors.py checks it against src/susyscan/schemas/config.schema.yaml.
WORKFLOW_SEED = 20241123
