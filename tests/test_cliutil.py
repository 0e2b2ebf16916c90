"""KEY=NUMBER option parsing shared by the stage CLIs."""

from __future__ import annotations

import click
import pytest

from susyscan.cliutil import parse_key_values


def test_pairs_become_floats() -> None:
    assert parse_key_values(("ww=5", "zz=0.5"), "SAMPLE=FACTOR") == {"ww": 5.0, "zz": 0.5}


@pytest.mark.parametrize("bad", ["ww", "=5", "ww=", "ww=five"])
def test_malformed_pair_names_the_expected_form(bad: str) -> None:
    with pytest.raises(click.BadParameter, match="SAMPLE=FACTOR"):
        parse_key_values((bad,), "SAMPLE=FACTOR")
