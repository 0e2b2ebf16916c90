"""The safe cut-expression evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.analysis.expressions import evaluate, variable_names
from susyscan.errors import ConfigError

VARS = {"a": np.array([1.0, 5.0, -3.0]), "b": np.array([2.0, 2.0, 2.0])}


def test_arithmetic_comparisons_and_logic() -> None:
    assert evaluate("a + b * 2 > 4", VARS).tolist() == [True, True, False]
    assert evaluate("abs(a) > 2 and not (b < 1)", VARS).tolist() == [False, True, True]
    assert evaluate("a < 0 or a > 4", VARS).tolist() == [False, True, True]
    assert evaluate("0 < a <= 5", VARS).tolist() == [True, True, False]
    assert evaluate("max(a, b) - min(a, b)", VARS).tolist() == [1.0, 3.0, 5.0]
    assert evaluate("a / 0 > 1", VARS).tolist() == [True, True, False]  # inf, no crash


def test_variable_names() -> None:
    assert variable_names("abs(mll - 91.2) > 15 and met > x") == {"mll", "met", "x"}


@pytest.mark.parametrize("expr", [
    "__import__('os').system('true')", "a.real > 0", "[a][0] > 1", "a ** 2 > 1", "open('x')",
    "'text' == a", "a if b else b", "lambda: 1",
])
def test_rejects_unsafe_constructs(expr: str) -> None:
    with pytest.raises(ConfigError, match="cut 'c1'"):
        evaluate(expr, VARS, "c1")


def test_unknown_variable_and_syntax_error_name_the_cut() -> None:
    with pytest.raises(ConfigError, match="unknown variable 'zz'.*cut|cut 'mycut'.*unknown variable 'zz'"):
        evaluate("zz > 1", VARS, "mycut")
    with pytest.raises(ConfigError, match="mycut"):
        evaluate("a >", VARS, "mycut")
