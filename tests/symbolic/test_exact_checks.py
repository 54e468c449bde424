"""Fast exact checks (issue 12, item 3): exact counterexamples at rational points, labelled
probabilistic "holds" with a Schwartz-Zippel bound, and sizes refused at once."""

import time
from fractions import Fraction

import pytest
from sympy import Determinant, Inverse, KroneckerProduct, MatrixSymbol, Rational, Trace, log

from gradproof.symbolic.claims import GradientClaim, check_gradient
from gradproof.symbolic.engine.bounds import analysis_of
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.exact import evaluate_at
from gradproof.symbolic.engine.identities import IdentityClaim, check, sweep
from gradproof.symbolic.engine.operands import Operand
from gradproof.symbolic.engine.sampling import duals
from gradproof.symbolic.engine.verdict import EXACT, PROBABILISTIC

M = Operand.matrix
LOGDET = GradientClaim("logdet", (M("X", "n", "n"),), lambda o, d, s: log(Determinant(o["X"])), "X",
                       lambda o, d, s: Inverse(o["X"]).T)
WRONG_LOGDET = GradientClaim("logdet_wrong", (M("X", "n", "n"),), lambda o, d, s: log(Determinant(o["X"])), "X",
                             lambda o, d, s: Inverse(o["X"]))
GRAM = GradientClaim("gram", (M("X", "n", "n"),), lambda o, d, s: Trace(o["X"].T * o["X"]), "X",
                     lambda o, d, s: 2 * o["X"])


def _cookbook_125(claimed):
    def xcx(o):
        return o["X"].T * (o["C"] + o["C"].T) * o["X"]
    return GradientClaim("125", (M("X", "m", "n"), M("C", "m", "m"), M("A", "n", "n")),
                         lambda o, d, s: Trace(Inverse(xcx(o)) * o["A"]), "X", lambda o, d, s: claimed(o, xcx))


COOKBOOK_125 = _cookbook_125(lambda o, xcx: -(o["C"] + o["C"].T) * o["X"] * Inverse(xcx(o)) * (o["A"] + o["A"].T)
                             * Inverse(xcx(o)))
INVERSE_KRON = IdentityClaim("inv_kron", "Matrix Cookbook", (M("A", "n", "n"), M("B", "m", "m")),
                             lambda o, d: Inverse(KroneckerProduct(o["A"], o["B"])),
                             lambda o, d: KroneckerProduct(Inverse(o["A"]), Inverse(o["B"])))


def test_log_det_at_n_4_holds_probabilistically_with_its_bound():
    verdict = check_gradient(LOGDET, {"n": 4})
    assert verdict.holds and verdict.evidence.kind == PROBABILISTIC
    evidence = verdict.evidence
    assert evidence.error_bound <= Fraction(1, 10 ** 9) and evidence.degree >= 1 and evidence.trials >= 2
    assert "Schwartz-Zippel" in verdict.describe() and "probabilistic" in verdict.describe()
    assert all(isinstance(v, Rational) for v in verdict.derived)  # exact values at the displayed point
    assert verdict.derived == verdict.claimed


def test_a_refutation_is_exact_with_the_point_the_entry_and_both_values():
    verdict = check_gradient(WRONG_LOGDET, {"n": 4})
    c = verdict.counterexample
    assert not verdict.holds and c.index == (1, 2) and c.derived_value != c.claimed_value
    assert set(c.point) == {f"X[{i},{j}]" for i in range(1, 5) for j in range(1, 5)}
    # redo the arithmetic: the derived entry is (X^-T)[1,2] at the point, the claimed one (X^-1)[1,2]
    x = MatrixSymbol("X", 4, 4)
    from sympy import Matrix
    at = Matrix(4, 4, [c.point[f"X[{i},{j}]"] for i in range(1, 5) for j in range(1, 5)])
    assert at.inv().T[0, 1] == c.derived_value and at.inv()[0, 1] == c.claimed_value
    assert "from 1" in c.describe() and x.name in c.describe()


def test_polynomial_claims_hold_exactly():
    verdict = check_gradient(GRAM, {"n": 4})
    assert verdict.holds and verdict.evidence.kind == EXACT and "exact" in verdict.describe()


def test_cookbook_125_for_rectangular_x_and_its_wrong_transpose():
    assert check_gradient(COOKBOOK_125, {"m": 5, "n": 4}).holds
    wrong = _cookbook_125(lambda o, xcx: -(o["C"] + o["C"].T) * o["X"] * Inverse(xcx(o)) * (o["A"] + o["A"].T))
    assert not check_gradient(wrong, {"m": 3, "n": 2}).holds


def test_the_inverse_of_a_kronecker_product_with_the_default_sweep():
    result = sweep(INVERSE_KRON, 3)
    assert result.holds and result.kind == PROBABILISTIC and result.error_bound < Fraction(1, 10 ** 9)
    assert "Schwartz-Zippel" in result.describe()
    false = IdentityClaim("inv_kron_swapped", "test", INVERSE_KRON.operands, INVERSE_KRON.lhs,
                          lambda o, d: KroneckerProduct(Inverse(o["B"]), Inverse(o["A"])))
    refuted = check(false, {"n": 2, "m": 3})
    assert not refuted.holds and refuted.mismatch.point and "rational point" in refuted.describe()


def test_large_sizes_are_refused_at_once_naming_the_limit():
    start = time.perf_counter()
    with pytest.raises(InvalidInput, match="above the limit"):
        check_gradient(GRAM, {"n": 200})
    with pytest.raises(InvalidInput, match="size combinations, above the limit"):
        sweep(INVERSE_KRON, 100)
    assert time.perf_counter() - start < 5  # generous: the refusal does no expensive work


def test_degree_bounds_and_exact_evaluation_agree_on_a_small_case():
    x = MatrixSymbol("X", 2, 2)
    (bound,), analysis = analysis_of([Trace(Inverse(x))], {x: True}, 4)
    assert bound.value == (1, 2) and analysis.divisors == 2  # tr(X^-1) = tr(adj X)/det X
    value = evaluate_at(Trace(Inverse(x)), duals({x: [[Fraction(2), Fraction(1)], [Fraction(1), Fraction(1)]]}, x))
    assert value[0][0].value == 3  # X^-1 = [[1, -1], [-1, 2]]
    assert value[0][0].grad == [-2, 3, 3, -5]  # d tr(X^-1) = -(X^-2)^T, row-major
