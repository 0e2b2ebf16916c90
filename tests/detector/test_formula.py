"""Safe card formulas: arithmetic, element-wise logic, refusal of arbitrary Python."""

from __future__ import annotations

import numpy as np
import pytest

from susyscan.detector.formula import Formula, FormulaSyntaxError


def test_piecewise_efficiency_matches_bins() -> None:
    formula = Formula.parse("(pt > 10.0) * ((abs(eta) <= 1.5) * 0.95 + (abs(eta) > 1.5 and abs(eta) <= 2.5) * 0.85)")
    values = formula(np.array([5.0, 20.0, 20.0, 20.0]), np.array([0.0, -1.0, 2.0, 3.0]))
    np.testing.assert_allclose(values, [0.0, 0.95, 0.85, 0.0])


def test_resolution_uses_energy_and_powers() -> None:
    formula = Formula.parse("sqrt(energy**2 * 0.0017**2 + energy * 0.101**2)")
    energy = np.array([100.0])
    np.testing.assert_allclose(formula(np.array([1.0]), np.array([0.0]), energy), np.sqrt(100**2 * 0.0017**2 + 100 * 0.101**2))


def test_constant_formula_broadcasts() -> None:
    assert Formula.parse(0.7)(np.ones(3), np.zeros(3)).shape == (3,)


@pytest.mark.parametrize("text", ["__import__('os')", "pt.real", "open('x')", "[pt]", "pt if eta else 1", "lambda: 1", "x + 1"])
def test_refuses_non_formula_python(text: str) -> None:
    with pytest.raises(FormulaSyntaxError):
        Formula.parse(text)


def test_formula_without_energy_equals_one_given_energy() -> None:
    """A formula that does not read ``energy`` is not given the derived one (pt cosh eta): the same values, bit for
    bit, as with any energy passed, and the broadcast shape of pt and eta."""
    formula = Formula.parse("(abs(eta) <= 0.5) * (pt > 0.1) * sqrt(0.06**2 + pt**2 * 1.3e-3**2) + (abs(eta) > 0.5) * 0.2")
    rng = np.random.default_rng(3)
    pt, eta = rng.exponential(20.0, 200), rng.normal(0.0, 1.5, 200)
    assert formula(pt, eta).tobytes() == formula(pt, eta, pt * np.cosh(eta)).tobytes()
    assert formula(np.ones((2, 1)), np.zeros(3)).shape == (2, 3)
    uses_energy = Formula.parse("sqrt(energy) + pt")
    np.testing.assert_array_equal(uses_energy(np.array([3.0]), np.array([1.0])), np.sqrt(3.0 * np.cosh(1.0)) + 3.0)
