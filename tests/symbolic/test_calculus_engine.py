"""The differential engine (issue 15, items 2-4, 6): named steps, vec-Jacobians with Kronecker products and
the commutation matrix, Hessians from the second differential, the answer's text round trip, honest limits,
and a wrong rule that the checks refuse."""

import pytest
from sympy import Determinant, Identity, Inverse, KroneckerProduct, MatrixSymbol, Symbol, Trace, log

from gradproof.proofs.grad_command import grad
from gradproof.symbolic.calculus import gradient, hessian, jacobian, rules
from gradproof.symbolic.calculus.markers import Commutation
from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.language import parse
from gradproof.symbolic.language.printer import to_latex, to_text

n, m = Symbol("n", integer=True, positive=True), Symbol("m", integer=True, positive=True)
X, A, B = (MatrixSymbol(name, n, n) for name in "XAB")
x, b = MatrixSymbol("x", n, 1), MatrixSymbol("b", n, 1)
W = MatrixSymbol("W", m, n)
OPERANDS = {"X": X, "A": A, "B": B, "x": x, "b": b, "W": W}
SQUARE = {"X": ("n", "n"), "A": ("n", "n"), "B": ("n", "n")}


def read(text):
    return parse(text, OPERANDS, {"n": n, "m": m})


def test_each_step_names_its_rule_and_the_chain_ends_at_the_gradient():
    derivation = gradient(read("tr(X.T*A*X)"), X)
    rules_named = [step.rule for step in derivation.steps]
    assert rules_named[0] == rules.TRACE and rules.PRODUCT in rules_named and rules.TRANSPOSE in rules_named
    assert derivation.steps[-1].after == derivation.result
    assert all(later.before == earlier.after for earlier, later in zip(derivation.steps, derivation.steps[1:]))


@pytest.mark.parametrize("text, wrt, expected", [
    ("A*X*B", X, KroneckerProduct(B.T, A)),  # vec(AXB) = (B^T kron A) vec X, Cookbook (520)
    ("inv(X)", X, -KroneckerProduct(Inverse(X).T, Inverse(X))),  # d X^-1 = -X^-1 dX X^-1
])
def test_vec_jacobians_in_kronecker_form(text, wrt, expected):
    assert jacobian(read(text), wrt).result.doit() == expected.doit()


def test_the_jacobian_of_xtx_uses_the_commutation_matrix_and_holds():
    """d(X^T X) = dX^T X + X^T dX: vec = ((X^T kron I) K + (I kron X^T)) vec dX, checked at n = 2 and n = 3."""
    derivation = jacobian(read("X.T*X"), X)
    assert derivation.result.has(Commutation(n, n))
    for size in (2, 3):
        checked = grad("X.T*X", {"X": ("n", "n")}, "X", sizes={"n": size})
        assert checked.ok, [c.line() for c in checked.checks]


@pytest.mark.parametrize("text, wrt, expected", [
    ("tr(X.T*A*X)", "X", KroneckerProduct(Identity(n), A + A.T)),
    ("x.T*A*x", "x", A + A.T),
    ("norm2(A*x-b)**2", "x", 2 * A.T * A),
])
def test_hessians_from_the_second_differential(text, wrt, expected):
    derivation = hessian(read(text), OPERANDS[wrt])
    assert derivation.result.doit() == expected.doit()
    shapes = {"X": ("n", "n"), "A": ("n", "n"), "x": ("n", "1"), "b": ("n", "1")}
    checked = grad(text, {k: v for k, v in shapes.items() if k in text}, wrt, hessian_of=True)
    assert checked.ok, [c.line() for c in checked.checks]


def test_the_answer_is_printed_in_the_input_language():
    """parse(to_text(G)) == G: what --json prints as "result" is what verify --claim reads."""
    for text in ("tr(A*inv(X)*B)", "det(X)", "sum(sigmoid(W*x))", "norm2(x - b)", "sum(relu(X))", "tr(X**2*B)"):
        wrt = W if "W" in text else x if "x" in text else X
        result = gradient(read(text), wrt).result
        assert read(to_text(result)) == result, to_text(result)


def test_results_render_as_latex_in_jupyter():
    derivation = gradient(log(Determinant(X)), X)
    assert derivation._repr_latex_() == "$X^{-T}$"
    assert to_latex(Trace(X)) == r"\operatorname{tr}\left(X\right)"


def test_a_wrong_rule_is_refused_by_the_checks(monkeypatch):
    """Drop the minus of d X^-1 = -X^-1 dX X^-1: the derivation goes wrong and the checks refuse it."""
    monkeypatch.setattr(rules, "inverse_differential", lambda u, du: Inverse(u) * du * Inverse(u))
    checked = grad("tr(A*inv(X))", {"X": ("n", "n"), "A": ("n", "n")}, "X")
    assert not checked.ok
    assert [c.verdict for c in checked.checks] == ["does not hold", "does not hold"]
    assert checked.as_dict()["result"] is None


def test_a_matrix_expression_asked_for_a_gradient_is_offered_the_jacobian():
    with pytest.raises(InvalidInput, match="not a scalar.*vec-Jacobian"):
        gradient(read("A*X"), X)
    with pytest.raises(InvalidInput, match="--hessian.*vec-Jacobian"):
        grad("A*X", SQUARE, "X", hessian_of=True)


def test_no_rule_names_the_offending_part():
    with pytest.raises(NotSupported, match="kron"):
        gradient(read("tr(kron(X, A)*kron(X, A))"), X)  # a gradient through kron(dX, A): the Jacobian has it
    with pytest.raises(NotSupported, match="not differentiable at 0"):
        grad("sum(abs(X - X))", {"X": ("n", "n")}, "X")


def test_a_kinked_function_states_where_the_gradient_is_valid():
    checked = grad("norm1(X)", {"X": ("n", "n")}, "X")
    assert checked.ok and checked.derivation.text == "sign(X)"
    assert checked.conditions == ("no entry of X is 0 (abs has no derivative at 0)",)


def test_an_expression_without_the_operand_has_no_derivative_to_derive():
    with pytest.raises(InvalidInput, match="does not depend on X"):
        gradient(read("tr(A)"), X)


@pytest.mark.parametrize("text", ["sum(log(X))", "sum(sqrt(X))", "sum(arcsin(X)) + 2*sum(arccos(X))", "logdet(X) + sum(log(X))",
                                  "sum(tan(X)) + sum(tanh(X)) + sum(arctan(X)) + sum(cos(X)) + sum(exp(X))",
                                  "sum(sigmoid(X)) + sum(hdiv(X, A))"])
def test_every_entrywise_function_is_derived_and_checked(text):
    """Each function of the language: its derivative rule, the exact check, and finite differences at a point
    inside its domain (log, sqrt, arcsin need entries in (0, 1); log det a positive determinant)."""
    checked = grad(text, {"X": ("n", "n"), "A": ("n", "n")} if "A" in text else {"X": ("n", "n")}, "X")
    assert checked.ok, [c.line() for c in checked.checks]
