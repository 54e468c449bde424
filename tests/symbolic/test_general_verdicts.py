"""Issue 12, items 1 and 2: three verdicts for general sizes, alpha-equivalent normal forms, and the
wider index algebra (powers, products and functions of traces, the Kronecker inverse/determinant).

Each case of the issue's "Why" is pinned: true claims are proved (True) or not decided (None),
never refuted; "does not hold" (False) comes only with a concrete counterexample; the distinct
operands A and a are never identified.
"""

import dataclasses

import pytest
from sympy import (
    DiagMatrix,
    Identity,
    IndexedBase,
    KroneckerDelta,
    OneMatrix,
    Sum,
    Symbol,
    Trace,
    exp,
    log,
    symbols,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradproof.symbolic.claims import GradientClaim, check_equations, check_gradient, layer_equations, prove_claim
from gradproof.symbolic.engine.equations import Operand as LayerOperand
from gradproof.symbolic.engine.general import (
    NORMAL_FORMS_DIFFER,
    InconsistentVerdicts,
    prove_general,
    refute,
)
from gradproof.symbolic.engine.identities import IdentityClaim, prove_identity, sweep
from gradproof.symbolic.engine.indexed import equivalent, normal_form
from gradproof.symbolic.engine.operands import Operand
from gradproof.symbolic.engine.structured import (
    FUNCTION_OF_SCALAR,
    MATRIX_POWER,
    SCALAR_ALGEBRA,
    SCALAR_MULTIPLE,
    entry_bases,
)

SQUARE = (Operand.matrix("X", "n", "n"), Operand.matrix("B", "n", "n"))


def _gradient(key, objective, claimed, operands=SQUARE, wrt="X", scalars=()):
    return GradientClaim(key, operands, objective, wrt, claimed, scalars=scalars)


LOGISTIC = _gradient(
    "logistic", lambda o, d, s: log(1 + exp(-s["y"] * Trace(o["w"].T * o["x"]))),
    lambda o, d, s: -s["y"] * o["x"] / (1 + exp(s["y"] * Trace(o["w"].T * o["x"]))),
    operands=(Operand.matrix("w", "n", "1"), Operand.matrix("x", "n", "1")), wrt="w", scalars=("y",),
)
EXP_TRACE = _gradient(
    "exp_trace", lambda o, d, s: exp(Trace(o["A"] * o["X"])), lambda o, d, s: exp(Trace(o["A"] * o["X"])) * o["A"].T,
    operands=(Operand.matrix("A", "n", "n"), Operand.matrix("X", "n", "n")),
)
# the same, with the claim's trace written the other way round: its summation indices are named
# in another order inside exp(...), which only alpha-equivalence sees through
EXP_TRACE_ROTATED = dataclasses.replace(
    EXP_TRACE, claimed=lambda o, d, s: o["A"].T * exp(Trace(o["X"] * o["A"])))


# ---- (a) true claims are never refuted; False needs a counterexample ----------------------------

@pytest.mark.parametrize("claim", [LOGISTIC, EXP_TRACE, EXP_TRACE_ROTATED], ids=lambda c: c.key)
def test_true_claims_of_the_issue_are_proved_for_general_sizes(claim):
    proof = prove_general(claim)
    assert proof.holds is True, proof.reason
    assert check_gradient(claim, {"n": 2}).holds
    assert prove_claim(claim, check_gradient(claim, {"n": 2})).holds is True


def test_bound_indices_inside_function_arguments_are_renamed_canonically():
    z, a = IndexedBase("z"), IndexedBase("a")
    k, m, p, n = symbols("k m p n", integer=True)
    one = exp(Sum(a[k] * z[k], (k, 1, n))) / Sum(exp(z[k]), (k, 1, n))
    other = exp(Sum(z[m] * a[m], (m, 1, n))) / Sum(exp(z[p]), (p, 1, n))
    assert normal_form(one, {}) == normal_form(other, {})
    i, j, s, t = symbols("i j s t", integer=True)
    double = exp(Sum(a[i] * z[j] * a[j], (i, 1, n), (j, 1, n)))
    renamed = exp(Sum(a[t] * z[s] * a[s], (s, 1, n), (t, 1, n)))
    assert equivalent(normal_form(double, {}), normal_form(renamed, {}))


def test_a_delta_of_shifted_indices_sifts():
    g = IndexedBase("g")
    k, p, n = symbols("k p n", integer=True)
    assert normal_form(Sum(KroneckerDelta(k - 1, p - 1) * g[k], (k, 1, n)), {p: (1, n)}) == g[p]


def _softmax_layer():
    def equation(ops, i):
        k = Symbol("k", integer=True)
        return exp(ops["z"](i)) / Sum(exp(ops["z"](k)), (k, 1, ops["size:n"]))

    return layer_equations(
        "softmax", {"n": "N"}, (LayerOperand("z", "z", "z", "n"), LayerOperand("grad_output", "G", "g", "n")),
        LayerOperand("y", "y", "y", "n"), equation,
    )


def _softmax_output(o):
    e = ElementwiseApplyFunction(exp, o["z"])
    return e * (1 / (OneMatrix(1, o["z"].shape[0]) * e)[0, 0])


def test_the_softmax_layer_is_proved_for_general_sizes():
    # dz = (diag(y) - y y^T) g: the two normal forms used to differ only in bound index names
    def closed(o):
        y = _softmax_output(o)
        return (DiagMatrix(y) - y * y.T) * o["grad_output"]

    concrete, general = check_equations(_softmax_layer(), "z", closed, {"n": 3})
    assert concrete.holds
    assert general.holds is True, general.reason


def test_a_wrong_softmax_gradient_is_refuted_only_with_its_counterexample():
    def wrong(o):  # diag(y) g, the y y^T g term forgotten
        return DiagMatrix(_softmax_output(o)) * o["grad_output"]

    concrete, general = check_equations(_softmax_layer(), "z", wrong, {"n": 2})
    assert not concrete.holds
    assert general.holds is False and general.reason.startswith("refuted by a concrete counterexample: sizes n = 2")


def test_differing_normal_forms_are_not_decided_and_a_counterexample_refutes():
    wrong = _gradient("tr_X2_no_transpose", lambda o, d, s: Trace(o["X"] * o["B"]), lambda o, d, s: o["B"])
    general = prove_general(wrong)
    assert general.holds is None and general.reason == NORMAL_FORMS_DIFFER
    verdict = check_gradient(wrong, {"n": 2})
    assert not verdict.holds
    refuted = prove_claim(wrong, verdict)
    assert refuted.holds is False and "sizes n = 2, entry (1, 2)" in refuted.reason


def test_a_counterexample_to_a_proved_statement_is_a_bug_never_a_verdict():
    proof = prove_general(EXP_TRACE)
    with pytest.raises(InconsistentVerdicts):
        refute(proof, "sizes n = 1: planted")
    assert refute(proof, None) is proof


# ---- (b) distinct operands are never identified -----------------------------------------------------

def test_operands_differing_in_case_are_not_proved_equal():
    claim = IdentityClaim("A_equals_a", "test", (Operand.matrix("A", "n", "n"), Operand.matrix("a", "n", "n")),
                          lambda o, d: o["A"], lambda o, d: o["a"])
    general = prove_general(claim)
    assert general.holds is None
    assert str(general.left_normal) != str(general.right_normal)
    refuted = prove_identity(claim, sweep(claim, 2).results)
    assert refuted.holds is False and "for n = 1:" in refuted.reason


def test_entry_bases_are_distinct_and_avoid_scalar_names():
    assert entry_bases(["W", "x", "b"]) == {"W": "w", "x": "x", "b": "b"}
    assert entry_bases(["A", "a", "B"]) == {"A": "A", "a": "a", "B": "b"}
    assert entry_bases(["Y", "x"], taken=("y",)) == {"Y": "Y", "x": "x"}


def test_a_one_by_one_operand_is_not_a_scalar_of_the_same_lower_case_name():
    # objective y * tr(Y) with Y a 1 x 1 operand and y a scalar: d/dY = y, not 2 y^2-style confusion
    claim = GradientClaim("scalar_clash", (Operand.matrix("Y", "1", "1"), Operand.matrix("X", "n", "n")),
                          lambda o, d, s: s["y"] * Trace(o["Y"]) * Trace(o["X"]), "X",
                          lambda o, d, s: s["y"] * Trace(o["Y"]) * Identity(d["n"]), scalars=("y",))
    assert prove_general(claim).holds is True
    wrong = dataclasses.replace(claim, claimed=lambda o, d, s: s["y"] * s["y"] * Identity(d["n"]))
    assert prove_general(wrong).holds is None


# ---- (c) powers, products and functions of traces ---------------------------------------------------

TRACE_CLAIMS = {
    "tr(X^2)": (lambda o, d, s: Trace(o["X"] ** 2), lambda o, d, s: 2 * o["X"].T, {MATRIX_POWER}),
    "tr(X^3)": (lambda o, d, s: Trace(o["X"] ** 3), lambda o, d, s: 3 * (o["X"] ** 2).T, {MATRIX_POWER}),
    "tr(X^2 B)": (lambda o, d, s: Trace(o["X"] ** 2 * o["B"]), lambda o, d, s: (o["X"] * o["B"] + o["B"] * o["X"]).T,
                  {MATRIX_POWER}),
    "tr(X) tr(BX)": (lambda o, d, s: Trace(o["X"]) * Trace(o["B"] * o["X"]),
                     lambda o, d, s: Trace(o["B"] * o["X"]) * Identity(d["n"]) + Trace(o["X"]) * o["B"].T,
                     {SCALAR_ALGEBRA, SCALAR_MULTIPLE}),
    "tr(X)^2": (lambda o, d, s: Trace(o["X"]) ** 2, lambda o, d, s: 2 * Trace(o["X"]) * Identity(d["n"]),
                {SCALAR_ALGEBRA}),
    "exp(tr(BX))": (lambda o, d, s: exp(Trace(o["B"] * o["X"])), lambda o, d, s: exp(Trace(o["B"] * o["X"])) * o["B"].T,
                    {FUNCTION_OF_SCALAR}),
    "log(tr(X^T X))": (lambda o, d, s: log(Trace(o["X"].T * o["X"])),
                       lambda o, d, s: 2 * o["X"] / Trace(o["X"].T * o["X"]), {FUNCTION_OF_SCALAR}),
    "tr(BX) / tr(X)": (lambda o, d, s: Trace(o["B"] * o["X"]) / Trace(o["X"]),
                       lambda o, d, s: o["B"].T / Trace(o["X"]) - Trace(o["B"] * o["X"]) / Trace(o["X"]) ** 2
                       * Identity(d["n"]), {SCALAR_ALGEBRA}),
}


@pytest.mark.parametrize("name", list(TRACE_CLAIMS))
def test_traces_of_powers_products_and_functions_are_proved(name):
    objective, claimed, rules = TRACE_CLAIMS[name]
    claim = _gradient(name, objective, claimed)
    proof = prove_general(claim)
    assert proof.holds is True, proof.reason
    assert rules <= set(proof.rules)
    assert check_gradient(claim, {"n": 2}).holds  # the exact check at a concrete size agrees


def test_a_wrong_power_rule_is_not_proved_and_is_refuted_concretely():
    wrong = _gradient("tr(X^3) untransposed", lambda o, d, s: Trace(o["X"] ** 3), lambda o, d, s: 3 * o["X"] ** 2)
    assert prove_general(wrong).holds is None
    assert prove_claim(wrong, check_gradient(wrong, {"n": 2})).holds is False


def test_inverses_and_negative_powers_have_no_entry_rule():
    claim = _gradient("tr(X^-1)", lambda o, d, s: Trace(o["X"].inv()), lambda o, d, s: -(o["X"].inv() ** 2).T)
    proof = prove_general(claim)
    assert proof.holds is None and "no index" in proof.reason
