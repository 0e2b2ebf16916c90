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

    @classmethod
    def parse(cls, text: str | float | int) -> Formula:
        """Parse and check ``text`` (a number is accepted as a constant formula)."""
        source = str(text).strip()
        try:
            expression = Expression.parse(source, FORMULA_GRAMMAR, "detector card formula", VARIABLES)
        except ExpressionError as exc:
            raise FormulaSyntaxError(str(exc)) from exc
        return cls(source, expression)

    def __call__(self, pt: np.ndarray, eta: np.ndarray, energy: np.ndarray | None = None) -> np.ndarray:
        """Evaluate element-wise; the result has the broadcast shape of the inputs, as float64."""
        pt = np.asarray(pt, dtype=np.float64)
        eta = np.asarray(eta, dtype=np.float64)
        energy = pt * np.cosh(eta) if energy is None else np.asarray(energy, dtype=np.float64)
        result = np.asarray(self._expression({"pt": pt, "eta": eta, "energy": energy}))
        result = result.astype(np.float64) if result.dtype == bool else result
        return np.broadcast_to(result, np.broadcast_shapes(pt.shape, eta.shape, energy.shape)).astype(np.float64)
