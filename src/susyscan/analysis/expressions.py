"""A small, safe evaluator for cut expressions over named numpy arrays (no Python ``eval``)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Mapping

import numpy as np

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

_BINOPS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}
_CMPOPS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_FUNCS: dict[str, Callable[..., np.ndarray]] = {
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
}


def variable_names(expr: str, cut_name: str = "?") -> set[str]:
    """Names of the variables an expression reads (raises ConfigError on a syntax error)."""
    tree = _parse(expr, cut_name)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in _FUNCS
    }


def _parse(expr: str, cut_name: str) -> ast.Expression:
    try:
        return ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"cut {cut_name!r}: cannot parse expression {expr!r}: {exc.msg}") from exc


def evaluate(expr: str, variables: Mapping[str, np.ndarray], cut_name: str = "?") -> np.ndarray:
    """Evaluate ``expr`` element-wise over ``variables``; only arithmetic, comparisons,
    ``and``/``or``/``not`` and ``abs``/``min``/``max`` are allowed."""
    tree = _parse(expr, cut_name)
    return np.asarray(_eval(tree.body, variables, expr, cut_name))


def _eval(node: ast.AST, variables: Mapping[str, np.ndarray], expr: str, cut: str) -> np.ndarray:
    def bad(why: str) -> ConfigError:
        return ConfigError(f"cut {cut!r}: {why} in expression {expr!r}")

    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise bad(f"constant {node.value!r} is not a number")
        return np.asarray(node.value)
    if isinstance(node, ast.Name):
        if node.id not in variables:
            raise bad(f"unknown variable {node.id!r} (known: {sorted(variables)})")
        return np.asarray(variables[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _eval(node.left, variables, expr, cut)
        right = _eval(node.right, variables, expr, cut)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, variables, expr, cut)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand)
        if isinstance(node.op, ast.USub):
            return np.negative(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, variables, expr, cut) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0].astype(bool)
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, variables, expr, cut)
        result: np.ndarray | None = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _CMPOPS:
                raise bad(f"comparison {type(op).__name__} not allowed")
            right = _eval(comparator, variables, expr, cut)
            step = _CMPOPS[type(op)](left, right)
            result = step if result is None else np.logical_and(result, step)
            left = right
        return result  # type: ignore[return-value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in _FUNCS:
            raise bad(f"function {node.func.id!r} not allowed (allowed: {sorted(_FUNCS)})")
        args = [_eval(a, variables, expr, cut) for a in node.args]
        return _FUNCS[node.func.id](*args)
    raise bad(f"construct {type(node).__name__} not allowed")
