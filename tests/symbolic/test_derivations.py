"""Symbolic side: every rule derived from scalar equations equals its closed form (concrete and
general sizes, decided by the description engine in every layout), the numeric rules equal the closed
forms symbol for symbol, and false claims are refused. Seed references are in gradproof.symbolic.layers.table."""

import dataclasses

import numpy as np
import pytest
from sympy import IndexedBase, KroneckerDelta, Matrix, Sum, diff, expand, symbols

from gradproof.numeric import Linear
from gradproof.symbolic.engine.derive import (
    closed_form_in,
    matrix_form_mismatch,
    numeric_rule_mismatch,
    presentation_variable,
)
from gradproof.symbolic.engine.indexed import collapse_deltas
from gradproof.symbolic.layers import builtin, fc
from gradproof.symbolic.layers.gradients import concrete_gradients
from gradproof.symbolic.layers.presentations import verify_presentation
from gradproof.symbolic.layers.table import RULES, rule_named
from gradproof.symbolic.seeds.network import verify_network


def verify_concrete(rule, equations, sizes):
    """The description engine's verdict on ``rule`` in this layout at ``sizes`` (role -> int)."""
    return _verify(rule, equations, sizes)[0]


def verify_general(rule, equations):
    return _verify(rule, equations, {role: 2 for role in equations.sizes})[1]


def _verify(rule, equations, sizes):
    return verify_presentation(rule, equations, presentation_variable(rule, equations),
                               lambda symbols: closed_form_in(rule, equations, symbols), sizes)


FC_RULES = [rule for rule in RULES if rule.presentations]  # closed form a SymPy matrix expression
CASES = [(rule, eq) for rule in FC_RULES for eq in rule.presentations]
CASE_IDS = [f"{rule.name}-{eq.name}" for rule, eq in CASES]
SIZE_GRID = [
    {"batch": 1, "in": 1, "out": 1, "features": 1},
    {"batch": 2, "in": 3, "out": 2, "features": 3},
    {"batch": 3, "in": 2, "out": 4, "features": 2},
]


@pytest.mark.parametrize("rule, equations", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("sizes", SIZE_GRID, ids=lambda s: "x".join(map(str, s.values())))
def test_derivation_equals_closed_form_for_concrete_sizes(rule, equations, sizes):
    check = verify_concrete(rule, equations, equations.sizes_from(sizes))
    assert check.holds, check.mismatch.describe()
    assert check.derived.shape == check.claimed.shape


@pytest.mark.parametrize("rule, equations", CASES, ids=CASE_IDS)
def test_derivation_equals_closed_form_for_general_sizes(rule, equations):
    proof = verify_general(rule, equations)
    assert proof.holds
    assert not proof.collapsed.has(KroneckerDelta), "every delta must be collapsed"


@pytest.mark.parametrize("rule", FC_RULES, ids=[r.name for r in FC_RULES])
@pytest.mark.parametrize("sizes", SIZE_GRID, ids=lambda s: "x".join(map(str, s.values())))
def test_numeric_rule_equals_closed_form_symbol_for_symbol(rule, sizes):
    assert numeric_rule_mismatch(rule, rule.canonical.sizes_from(sizes)) is None


def _doubled(rule):
    return dataclasses.replace(rule, closed_form=lambda o: 2 * rule.closed_form(o))


@pytest.mark.parametrize("rule, equations", CASES, ids=CASE_IDS)
def test_a_wrong_closed_form_is_refused_with_the_entry(rule, equations):
    wrong = _doubled(rule)
    check = verify_concrete(wrong, equations, equations.sizes_from(SIZE_GRID[1]))
    assert not check.holds
    assert check.mismatch.index == (1, 1)
    assert expand(check.mismatch.claimed - 2 * check.mismatch.derived) == 0
    assert not verify_general(wrong, equations).holds


def test_the_forgotten_transpose_is_refused():
    # A classic slip: dW = X^T G (shape in x out) instead of G^T X (out x in).
    rule = rule_named("linear.weight")
    wrong = dataclasses.replace(rule, closed_form=lambda o: o["x"].T * o["grad_output"])
    assert verify_general(wrong, fc.LINEAR_TORCH).holds is False  # refuted at in = out = 2, with the entry
    assert not verify_concrete(wrong, fc.LINEAR_TORCH, {"batch": 2, "in": 2, "out": 2}).holds
    # with in != out the wrong form has the wrong shape: refuted (not an error), naming both shapes
    check = verify_concrete(wrong, fc.LINEAR_TORCH, {"batch": 2, "in": 3, "out": 2})
    assert not check.holds
    assert check.mismatch.describe() == "shapes differ: derived (2, 3), claimed (3, 2)"


def test_averaging_loses_the_one_over_n_if_forgotten():
    # seed 001 averages over the batch; the summed closed form must be refused there.
    rule = rule_named("linear.bias")
    check = verify_concrete(rule, fc.LINEAR_SEED001_MEAN, {"batch": 3, "in": 2, "out": 2})
    assert check.holds
    summed_claim = dataclasses.replace(rule, closed_form=lambda o: 3 * rule.closed_form(o))
    assert not verify_concrete(summed_claim, fc.LINEAR_SEED001_MEAN, {"batch": 3, "in": 2, "out": 2}).holds


def test_a_wrong_numeric_rule_is_refused():
    rule = rule_named("linear.weight")
    wrong = dataclasses.replace(rule, numeric_rule=lambda g, x: (g.T @ x)[::-1])
    assert numeric_rule_mismatch(wrong, {"batch": 2, "in": 2, "out": 2}) is not None


def test_the_description_engines_chain_rule_equals_sympy_differentiating_a_concrete_objective():
    # L = sum_o (y_o^2 + o * y_o): SymPy differentiates L(W) directly; the engine uses dL/dy = G only.
    layer = builtin.LINEAR.layer
    gradients = concrete_gradients(layer, dict(zip(layer.size_symbols(), (2, 2, 3))))
    (name,) = gradients.outputs
    outputs = [value for _, value in gradients.outputs[name]]
    objective = sum(y**2 + k * y for k, y in enumerate(outputs))
    upstream = {g: 2 * y + k for k, (g, y) in enumerate(zip(gradients.upstream[name], outputs))}
    engine = Matrix([value.xreplace(upstream) for value in gradients.derived["W"]])
    direct = Matrix([diff(objective, w) for _, w in gradients.entries["W"]])
    assert (engine - direct).applyfunc(expand) == Matrix.zeros(*direct.shape)


@pytest.mark.parametrize("equations", [fc.LINEAR_TORCH, fc.LINEAR_SEED000, fc.LINEAR_SEED001_SUM, fc.SQUARED_LOSS])
def test_matrix_forms_have_the_scalar_equations_as_entries(equations):
    assert matrix_form_mismatch(equations, {role: 2 for role in equations.sizes}) is None


def test_a_wrong_matrix_form_is_refused():
    wrong = dataclasses.replace(fc.LINEAR_SEED000, matrix_form=lambda o: o["weight"] * o["x"])
    assert matrix_form_mismatch(wrong, {"in": 2, "out": 2}) is not None


@pytest.mark.parametrize("widths", [(3, 2, 2), (2, 3, 1)])
def test_seed002_network_backprop_equals_direct_derivative(widths):
    check = verify_network(widths)
    assert check.holds


@pytest.mark.parametrize("name", ["squared_loss.prediction", "relu.input", "linear.weight", "linear.bias",
                                  "linear.input"])
def test_network_check_refuses_backprop_through_a_wrong_rule(monkeypatch, name):
    # Planted fault for the test above: one rule of the table doubled on the backprop route only; the
    # direct route (SymPy differentiating xi) is untouched, so the check must report a difference.
    from gradproof.symbolic.seeds import network

    honest = network.rule_named

    def with_one_wrong(rule_name):
        rule = honest(rule_name)
        return _doubled(rule) if rule_name == name else rule

    monkeypatch.setattr(network, "rule_named", with_one_wrong)
    check = verify_network((2, 2, 1))
    assert not check.holds
    assert any(step.mismatch is not None for step in check.steps if step.direct is not None)


def test_parameter_count_is_seed000_and_matches_the_numeric_layer():
    n_in, n_out = symbols("M N", integer=True, positive=True)
    assert expand(fc.parameter_count() - (n_in * n_out + n_out)) == 0
    count = fc.parameter_count(fc.LINEAR_SEED000, {"in": 4, "out": 3})
    assert count == Linear(4, 3, rng=np.random.default_rng(0)).num_parameters()


def test_sifting_needs_the_index_in_range():
    k, p, n, m = symbols("k p N M", integer=True)
    f = IndexedBase("f")
    expression = Sum(KroneckerDelta(k, p) * f[k], (k, 1, n))
    assert collapse_deltas(expression, {p: (1, n)}) == f[p]
    assert collapse_deltas(expression, {p: (1, m)}).has(KroneckerDelta)  # range unknown: no collapse


def test_instantiate_rejects_bad_sizes():
    with pytest.raises(ValueError, match="size in must be an integer >= 1"):
        fc.LINEAR_SEED000.instantiate({"in": 0, "out": 2})
    with pytest.raises(ValueError, match=r"sizes \['out'\] are required"):
        fc.LINEAR_SEED000.instantiate({"in": 2})


@pytest.mark.parametrize("rule, equations", CASES, ids=CASE_IDS)
def test_concrete_systems_carry_no_floats(rule, equations):
    # A Float would turn the exact comparison into a rounded one (SymPy equates 0.333333333333333 and 1/3).
    from sympy import Float

    check = verify_concrete(rule, equations, equations.sizes_from(SIZE_GRID[2]))
    for matrix in (check.system.outputs, check.system.upstream, check.derived, check.claimed):
        assert not any(entry.has(Float) for entry in matrix)
