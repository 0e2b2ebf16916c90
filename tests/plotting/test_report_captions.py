"""The HTML report's text: the demo caveat on the front page, one category per stage with a caption everywhere."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

REPO = Path(__file__).resolve().parents[2]
#: Report categories, one per stage, in pipeline order.
STAGES = ("Generation", "Cutflows", "Training", "Scan", "Limits", "Contours")
#: Rule files of the main chain (recast.smk and surrogate.smk add their own stage categories).
RULE_FILES = ("generation", "analysis", "training", "scan", "statistics", "plots", "ewkino")


def render(name: str, config: dict) -> str:
    """Render a caption as Snakemake does (Jinja2 with a ``snakemake`` object)."""
    text = (REPO / "workflow" / "report" / name).read_text()
    return jinja2.Template(text).render(snakemake=SimpleNamespace(config=config))


@pytest.mark.parametrize(("run_name", "shown"), [("demo", True), ("workstation", False)])
def test_front_page_shows_the_demo_caveat_for_the_demo_run(run_name: str, shown: bool) -> None:
    page = render("workflow.rst", {"run_name": run_name, "analyses": {"smuon": {"training": {"kfold": 3}}}})
    assert f"``{run_name}``" in page
    assert ("Caveat: demo-sized run" in page) is shown
    if shown:
        assert "3-fold training" in page and "config/workstation.yaml" in page


def report_calls(text: str) -> list[str]:
    """The argument text of every ``report(...)`` call (balanced parentheses)."""
    calls = []
    for match in re.finditer(r"\breport\(", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        calls.append(text[match.end():i - 1])
    return calls


def test_every_report_entry_has_a_stage_category_and_an_existing_caption() -> None:
    seen = set()
    for name in RULE_FILES:
        for call in report_calls((REPO / "workflow" / "rules" / f"{name}.smk").read_text()):
            category = re.search(r'category="([^"]+)"', call)
            caption = re.search(r'caption="\.\./report/([^"]+)"', call)
            assert category and category.group(1) in STAGES, f"{name}.smk: {call}"
            assert caption and (REPO / "workflow" / "report" / caption.group(1)).is_file(), f"{name}.smk: {call}"
            assert "subcategory=" in call, f"{name}.smk: {call}"
            seen.add(category.group(1))
    assert seen == set(STAGES)


def test_training_subcategories_name_the_model_the_same_way() -> None:
    text = (REPO / "workflow" / "rules" / "training.smk").read_text()
    subcategories = set(re.findall(r'subcategory="([^"]+)"', text))
    assert subcategories == {"{analysis} {region} nn", "{analysis} {region} bdt", "{analysis} {region} {model}"}
