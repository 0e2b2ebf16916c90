"""Safe evaluation of the card's efficiency/resolution formulas (Python syntax, numpy semantics).

Formulas are expressions of the variables ``pt``, ``eta``, ``energy`` (GeV) using numbers,
``+ - * / **``, comparisons, ``and``/``or``/``not`` (element-wise), and the functions
``abs, sqrt, tanh, exp, log, minimum, maximum``. No other Python is allowed, so a card cannot
execute code. Boolean sub-expressions count as 0/1, as in Delphes' TFormula cards.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

VARIABLES = ("pt", "eta", "energy")
_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "minimum": np.minimum,
    "maximum": np.maximum,
}
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class FormulaSyntaxError(ValueError):
    """The formula text uses something outside the allowed grammar."""


def _check(node: ast.AST, text: str) -> None:
    """Raise FormulaSyntaxError unless every node of the tree is allowed."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Expression, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd)):
            continue
        if isinstance(sub, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
            if isinstance(sub, ast.BinOp) and type(sub.op) not in _BINOPS:
                raise FormulaSyntaxError(f"operator {type(sub.op).__name__} not allowed in {text!r}")
            continue
        if type(sub) in _BINOPS or type(sub) in _CMPOPS:
            continue
        if isinstance(sub, ast.Constant) and isinstance(sub.value, (int, float)) and not isinstance(sub.value, bool):
            continue
        if isinstance(sub, ast.Name):
            if sub.id not in VARIABLES and sub.id not in _FUNCTIONS:
                raise FormulaSyntaxError(f"unknown name {sub.id!r} in {text!r} (allowed: {VARIABLES} and {sorted(_FUNCTIONS)})")
            continue
        if isinstance(sub, ast.Call):
            if not isinstance(sub.func, ast.Name) or sub.func.id not in _FUNCTIONS or sub.keywords:
                raise FormulaSyntaxError(f"only calls of {sorted(_FUNCTIONS)} are allowed in {text!r}")
            continue
        raise FormulaSyntaxError(f"{type(sub).__name__} not allowed in {text!r}")


def _eval(node: ast.AST, env: dict[str, np.ndarray]) -> np.ndarray:
    """Evaluate an already checked node element-wise."""
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return np.asarray(float(node.value))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_as_float(_eval(node.left, env)), _as_float(_eval(node.right, env)))
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return np.logical_not(value)
        return -_as_float(value) if isinstance(node.op, ast.USub) else _as_float(value)
    if isinstance(node, ast.BoolOp):
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = _eval(node.values[0], env)
        for value in node.values[1:]:
            result = combine(result, _eval(value, env))
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        result = np.asarray(True)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, env)
            result = np.logical_and(result, _CMPOPS[type(op)](left, right))
            left = right
        return result
    if isinstance(node, ast.Call):
        return _FUNCTIONS[node.func.id](*(_as_float(_eval(arg, env)) for arg in node.args))  # type: ignore[union-attr]
    raise FormulaSyntaxError(f"cannot evaluate {type(node).__name__}")


def _as_float(value: np.ndarray) -> np.ndarray:
    """Booleans become 0/1 floats (TFormula semantics)."""
    value = np.asarray(value)
    return value.astype(np.float64) if value.dtype == bool else value


@dataclass(frozen=True)
class Formula:
    """A parsed card formula; call it with numpy arrays ``pt``, ``eta``, ``energy``."""

    text: str
    _tree: ast.Expression = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str | float | int) -> "Formula":
        """Parse and check ``text`` (a number is accepted as a constant formula)."""
        source = str(text).strip()
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise FormulaSyntaxError(f"cannot parse formula {source!r}: {exc.msg}") from exc
        _check(tree, source)
        return cls(source, tree)

    def __call__(self, pt: np.ndarray, eta: np.ndarray, energy: np.ndarray | None = None) -> np.ndarray:
        """Evaluate element-wise; the result has the broadcast shape of the inputs, as float64."""
        pt = np.asarray(pt, dtype=np.float64)
        eta = np.asarray(eta, dtype=np.float64)
        energy = pt * np.cosh(eta) if energy is None else np.asarray(energy, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = _as_float(_eval(self._tree, {"pt": pt, "eta": eta, "energy": energy}))
        return np.broadcast_to(result, np.broadcast_shapes(pt.shape, eta.shape, energy.shape)).astype(np.float64)
