"""The one safe expression evaluator (no Python ``eval``): cut expressions of the analysis YAML and the efficiency /
resolution formulas of the detector card are both parsed with :mod:`ast`, checked against a grammar and evaluated
element-wise with numpy.

Allowed: numbers, variable names, ``+ - * /`` (and ``**`` where the grammar allows it), comparisons (chained as in
Python), ``and``/``or``/``not`` (element-wise) and calls of the grammar's functions. Booleans count as 0/1 in
arithmetic (TFormula semantics). Everything else - attributes, subscripts, strings, lambdas, other calls - is refused
when the expression is parsed, so a config file cannot execute code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from susyscan.errors import ConfigError


class ExpressionError(ConfigError):
    """An expression uses something outside its grammar, or a variable that is not given."""


@dataclass(frozen=True)
class Grammar:
    """The functions an expression may call and whether ``**`` is allowed."""

    functions: Mapping[str, Callable[..., Any]]
    allow_power: bool = False


#: Cut expressions of the analysis YAML.
CUT_GRAMMAR = Grammar({"abs": np.abs, "min": np.minimum, "max": np.maximum})
#: Efficiency and resolution formulas of the detector card.
FORMULA_GRAMMAR = Grammar({"abs": np.abs, "sqrt": np.sqrt, "tanh": np.tanh, "exp": np.exp, "log": np.log,
                           "minimum": np.minimum, "maximum": np.maximum}, allow_power=True)

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                                   ast.Mult: operator.mul, ast.Div: operator.truediv,
                                                   ast.Pow: operator.pow}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
                                                   ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_STRUCTURAL = (ast.Expression, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.UnaryOp,
               ast.BoolOp, ast.Compare)


def _as_float(value: Any) -> np.ndarray:
    """Booleans become 0/1 floats."""
    value = np.asarray(value)
    return value.astype(np.float64) if value.dtype == bool else value


@dataclass(frozen=True)
class Expression:
    """A parsed, grammar-checked expression; call it with a mapping of named arrays."""

    text: str
    grammar: Grammar = field(repr=False)
    where: str = "expression"
    tree: ast.Expression = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    @classmethod
    def parse(cls, text: str | float | int, grammar: Grammar, where: str = "expression",
              names: Collection[str] | None = None) -> Expression:
        """Parse and check ``text``; ``names`` (when given) are the only variable names allowed. ``where`` names
        the expression in errors (e.g. ``cut 'mt2_cut'``)."""
        source = str(text).strip()
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"{where}: cannot parse expression {source!r}: {exc.msg}") from exc
        expression = cls(source, grammar, where, tree)
        expression._check(names)
        return expression

    def _error(self, why: str) -> ExpressionError:
        return ExpressionError(f"{self.where}: {why} in expression {self.text!r}")

    def _check(self, names: Collection[str] | None) -> None:
        functions = self.grammar.functions
        for node in ast.walk(self.tree):
            if isinstance(node, ast.BinOp) and (type(node.op) not in _BINOPS or
                                                (isinstance(node.op, ast.Pow) and not self.grammar.allow_power)):
                raise self._error(f"operator {type(node.op).__name__} not allowed")
            if isinstance(node, _STRUCTURAL) or type(node) in _BINOPS or type(node) in _CMPOPS:
                continue
            if isinstance(node, ast.Constant):
                if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                    raise self._error(f"constant {node.value!r} is not a number")
                continue
            if isinstance(node, ast.Name):
                if names is not None and node.id not in names and node.id not in functions:
                    raise self._error(f"unknown variable {node.id!r} (known: {sorted(names)})")
                continue
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in functions or node.keywords:
                    name = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
                    raise self._error(f"function {name!r} not allowed (allowed: {sorted(functions)})")
                continue
            raise self._error(f"construct {type(node).__name__} not allowed")

    @property
    def variables(self) -> set[str]:
        """Names of the variables the expression reads."""
        return {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id not in self.grammar.functions}

    def __call__(self, variables: Mapping[str, Any]) -> np.ndarray:
        """Evaluate element-wise over ``variables`` (numpy broadcasting)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self._eval(self.tree.body, variables))

    def _eval(self, node: ast.AST, env: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return np.asarray(float(node.value))  # type: ignore[arg-type]  # a number: checked by _check
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise self._error(f"unknown variable {node.id!r} (known: {sorted(env)})")
            return np.asarray(env[node.id])
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](_as_float(self._eval(node.left, env)), _as_float(self._eval(node.right, env)))
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, env)
            if isinstance(node.op, ast.Not):
                return np.logical_not(value)
            return -_as_float(value) if isinstance(node.op, ast.USub) else _as_float(value)
        if isinstance(node, ast.BoolOp):
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            combined = np.asarray(self._eval(node.values[0], env)).astype(bool)
            for value in node.values[1:]:
                combined = combine(combined, self._eval(value, env))
            return combined
        if isinstance(node, ast.Compare):
            left, result = self._eval(node.left, env), None  # type: Any, Any
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self._eval(comparator, env)
                step = _CMPOPS[type(op)](left, right)
                result = step if result is None else np.logical_and(result, step)
                left = right
            return result
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.grammar.functions[node.func.id](*(_as_float(self._eval(arg, env)) for arg in node.args))
        raise self._error(f"construct {type(node).__name__} not allowed")  # unreachable after _check
