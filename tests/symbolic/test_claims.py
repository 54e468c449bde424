"""Gradient claims (issue 6): exact verdicts, counterexamples, and SymPy 1.14's silent errors pinned."""

import dataclasses

import pytest
from sympy import Determinant, MatrixSymbol, Trace, diff, log

from gradproof.symbolic.claims import GradientClaim, check_gradient, finite_difference_check, prove_claim
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.general import prove_general
from gradproof.symbolic.engine.operands import Operand

RIDGE_OPERANDS = (Operand.matrix("W", "m", "n"), Operand.matrix("x", "n", "1"), Operand.matrix("b", "m", "1"),
                  Operand.matrix("t", "m", "1"))


def ridge_objective(o, d, s):
    r = o["W"] * o["x"] + o["b"] - o["t"]
    return Trace(r.T * r) + s["lambda"] * Trace(o["W"].T * o["W"])


RIDGE = GradientClaim(
    "ridge", RIDGE_OPERANDS, ridge_objective, "W",
    lambda o, d, s: 2 * (o["W"] * o["x"] + o["b"] - o["t"]) * o["x"].T + 2 * s["lambda"] * o["W"],
    scalars=("lambda",),
)
LOGDET = GradientClaim("logdet", (Operand.matrix("X", "n", "n"),), lambda o, d, s: log(Determinant(o["X"])), "X",
                       lambda o, d, s: o["X"].inv().T)


def sympys_own(claim):
    """The claim SymPy makes: its own MatrixSymbol derivative of the objective."""
    return dataclasses.replace(claim, claimed=lambda o, d, s: diff(claim.objective(o, d, s), o[claim.wrt]))


def test_sympy_returns_a_silent_zero_for_both_cases():
    # the behaviour these tests pin: if SymPy fixes it, the refutation tests below will say so
    x = MatrixSymbol("X", 3, 3)
    assert diff(log(Determinant(x)), x).is_ZeroMatrix


@pytest.mark.parametrize("claim, sizes", [(RIDGE, {"m": 3, "n": 4}), (LOGDET, {"n": 3})], ids=["ridge", "logdet"])
def test_sympys_own_derivative_is_refused_with_a_counterexample(claim, sizes):
    verdict = check_gradient(sympys_own(claim), sizes)
    assert not verdict.holds
    counterexample = verdict.counterexample
    assert counterexample.index == (1, 1) and counterexample.claimed == 0
    assert counterexample.derived_value != counterexample.claimed_value
    assert not finite_difference_check(sympys_own(claim), sizes).passed


@pytest.mark.parametrize("claim, sizes", [(RIDGE, {"m": 3, "n": 4}), (RIDGE, {"m": 1, "n": 2}), (LOGDET, {"n": 2}),
                                          (LOGDET, {"n": 3})], ids=["ridge34", "ridge12", "logdet2", "logdet3"])
def test_the_true_answers_hold(claim, sizes):
    assert check_gradient(claim, sizes).holds
    assert finite_difference_check(claim, sizes).passed


def test_general_size_verdicts_where_the_index_algebra_applies():
    assert prove_general(RIDGE).holds is True
    wrong = dataclasses.replace(RIDGE, claimed=lambda o, d, s: 2 * (o["W"] * o["x"] + o["b"] - o["t"]) * o["x"].T)
    assert prove_general(wrong).holds is None  # differing normal forms: not decided without a counterexample
    refuted = prove_claim(wrong, check_gradient(wrong, {"m": 2, "n": 2}))
    assert refuted.holds is False and "sizes m = 2, n = 2, entry (1, 1)" in refuted.reason
    assert prove_claim(RIDGE, check_gradient(RIDGE, {"m": 2, "n": 2})).holds is True
    undecided = prove_general(LOGDET)
    assert undecided.holds is None and "no entry rule for Determinant" in undecided.reason


def test_a_bug_in_the_index_algebra_is_not_turned_into_a_verdict(monkeypatch):
    # only OutsideIndexAlgebra means "not decided"; any other exception is a bug and propagates
    from gradproof.symbolic.engine import structured

    def broken(*args):
        raise TypeError("planted bug")

    monkeypatch.setattr(structured, "_entry", broken)
    with pytest.raises(TypeError, match="planted bug"):
        prove_general(RIDGE)


def test_operands_in_the_wrong_fields_are_refused_at_once():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'rows'"):
        Operand("W", "m", "n")  # the old three-field form: rows and cols would land in name and entry
    with pytest.raises(TypeError, match=r"Operand.matrix\(name, rows, cols\)"):
        GradientClaim("keyed", (Operand("weight", "W", "w", "m", "n"),), ridge_objective, "W", lambda o, d, s: o["W"])


def test_bad_claims_are_named():
    wrong_shape = dataclasses.replace(RIDGE, claimed=lambda o, d, s: o["x"])
    with pytest.raises(InvalidInput, match=r"the claimed gradient has shape \(4, 1\), W has \(3, 4\)"):
        check_gradient(wrong_shape, {"m": 3, "n": 4})
    clash = dataclasses.replace(RIDGE, objective=lambda o, d, s: Trace(o["W"] * o["W"]))
    with pytest.raises(InvalidInput, match="shapes clash"):
        check_gradient(clash, {"m": 3, "n": 4})


def test_a_claim_stated_as_scalar_equations():
    # a new layer, y_i = sum_k w_ik x_k^2: is dJ/dx = 2 x ⊙ (W^T g)? (and not W^T g)
    from sympy import HadamardProduct, Sum, Symbol

    from gradproof.symbolic.claims import check_equations, layer_equations
    from gradproof.symbolic.engine.equations import Operand as Op

    def equation(ops, i):
        k = Symbol("k", integer=True)
        return Sum(ops["weight"](i, k) * ops["x"](k) ** 2, (k, 1, ops["size:in"]))

    layer = layer_equations(
        "square_then_linear", {"in": "M", "out": "N"},
        (Op("x", "x", "x", "in"), Op("weight", "W", "w", "out", "in"), Op("grad_output", "G", "g", "out")),
        Op("y", "y", "y", "out"), equation,
    )
    def right(o):
        return 2 * HadamardProduct(o["x"], o["weight"].T * o["grad_output"])
    def wrong(o):
        return o["weight"].T * o["grad_output"]
    concrete, general = check_equations(layer, "x", right, {"in": 3, "out": 2})
    assert concrete.holds and general.holds
    concrete, general = check_equations(layer, "x", wrong, {"in": 3, "out": 2})
    assert not concrete.holds and concrete.mismatch.index == (1, 1)
    assert general.holds is False and "refuted by a concrete counterexample: sizes in = 3, out = 2" in general.reason


def test_a_layer_with_a_scalar_bias_is_derived_for_concrete_and_general_sizes():
    """Issue 12: check_equations with respect to a scalar parameter raised IndexError."""
    from sympy import OneMatrix, Sum, Symbol

    from gradproof.symbolic.claims import check_equations, layer_equations
    from gradproof.symbolic.engine.operands import Operand as EntryOperand

    k = Symbol("k", integer=True)
    layer = layer_equations(
        "affine", {"in": "M", "out": "N"},
        (EntryOperand("x", "x", "x", "in"), EntryOperand("w", "w", "w", "out", "in"),
         EntryOperand("bias", "c", "c", None), EntryOperand("grad_output", "g", "g", "out")),
        EntryOperand("y", "y", "y", "out"),
        lambda ops, i: Sum(ops["w"](i, k) * ops["x"](k), (k, 1, ops["size:in"])) + ops["bias"](),
    )

    def sum_of_g(o):
        return o["grad_output"].T * OneMatrix(o["grad_output"].rows, 1)

    concrete, general = check_equations(layer, "bias", sum_of_g, {"in": 2, "out": 3})
    assert concrete.holds and general.holds is True
    concrete, general = check_equations(layer, "bias", lambda o: 2 * sum_of_g(o), {"in": 2, "out": 3})
    assert not concrete.holds and general.holds is not True
