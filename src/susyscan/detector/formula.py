"""Safe evaluation of the card's efficiency/resolution formulas (Python syntax, numpy semantics).

Formulas are expressions of the variables ``pt``, ``eta``, ``energy`` (GeV) using numbers,
``+ - * / **``, comparisons, ``and``/``or``/``not`` (element-wise), and the functions
``abs, sqrt, tanh, exp, log, minimum, maximum``. No other Python is allowed, so a card cannot
execute code. Boolean sub-expressions count as 0/1, as in Delphes' TFormula cards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from susyscan.expressions import FORMULA_GRAMMAR, Expression, ExpressionError

VARIABLES = ("pt", "eta", "energy")


class FormulaSyntaxError(ExpressionError):
    """The formula text uses something outside the allowed grammar."""


@dataclass(frozen=True)
class Formula:
    """A parsed card formula (:mod:`susyscan.expressions`, ``FORMULA_GRAMMAR``); call it with numpy arrays
    ``pt``, ``eta``, ``energy``."""

    text: str
    _expression: Expression = field(repr=False, compare=False)
    #: whether the formula reads ``energy``: only then is it derived from ``pt`` and ``eta`` when not given
    _uses_energy: bool = field(repr=False, compare=False, default=True)

    @classmethod
    def parse(cls, text: str | float | int) -> Formula:
        """Parse and check ``text`` (a number is accepted as a constant formula)."""
        source = str(text).strip()
        try:
            expression = Expression.parse(source, FORMULA_GRAMMAR, "detector card formula", VARIABLES)
        except ExpressionError as exc:
            raise FormulaSyntaxError(str(exc)) from exc
        return cls(source, expression, "energy" in expression.variables)

    def __call__(self, pt: np.ndarray, eta: np.ndarray, energy: np.ndarray | None = None) -> np.ndarray:
        """Evaluate element-wise; the result has the broadcast shape of the inputs, as float64."""
        pt = np.asarray(pt, dtype=np.float64)
        eta = np.asarray(eta, dtype=np.float64)
        shape = np.broadcast_shapes(pt.shape, eta.shape)
        variables = {"pt": pt, "eta": eta}
        if energy is not None:
            variables["energy"] = np.asarray(energy, dtype=np.float64)
            shape = np.broadcast_shapes(shape, variables["energy"].shape)
        elif self._uses_energy:  # derived only when read (a cosh per element)
            variables["energy"] = pt * np.cosh(eta)
        result = np.asarray(self._expression(variables))
        result = result.astype(np.float64) if result.dtype == bool else result
        return np.broadcast_to(result, shape).astype(np.float64)
