"""The built-in layers as layer descriptions (issue 16 item 6): one source for the rule table's equations,
claims that are the rule table's closed forms, and the description engine checked against the numeric rules.

Oracles: the seeds' matrix forms (seed 000 y = W x + b, seed 001 Y = X W + B, PyTorch's Y = X W^T + 1 b^T),
the numeric rules of ``gradproof.numeric.rules`` run on symbols, and finite differences of the generated layer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sympy import Symbol

from gradproof.numeric.rules import conv as conv_rules
from gradproof.numeric.rules import fc as fc_rules
from gradproof.numeric.rules import pooling as pool_rules
from gradproof.proofs.layer_command import run_layer
from gradproof.symbolic.engine.derive import matrix_form_mismatch
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers import builtin, fc, verify
from gradproof.symbolic.layers.description import Sum, indices, padded, sizes, tensor
from gradproof.symbolic.layers.gradients import concrete_gradients, verify_claims
from gradproof.symbolic.layers.table import layers_for, rule_named

FAST = (builtin.LINEAR, builtin.LINEAR_SEED000, builtin.LINEAR_SEED001, builtin.RELU, builtin.SQUARED_LOSS,
        builtin.CROSS_ENTROPY)


@pytest.mark.parametrize("equations", [fc.LINEAR_TORCH, fc.LINEAR_SEED000, fc.LINEAR_SEED001_SUM,
                                       fc.LINEAR_SEED001_MEAN, fc.SQUARED_LOSS], ids=lambda e: e.name)
def test_the_rule_tables_equations_read_from_the_descriptions_are_the_seeds_matrix_forms(equations):
    # the presentation's equation IS the description's (builtin.equation_of); its entries must be the
    # seed's matrix form, an independent statement (seed 000, seed 001, PyTorch, seed 002's squared loss)
    for sizes_ in ({role: 2 for role in equations.sizes}, {role: n + 1 for n, role in enumerate(equations.sizes)}):
        assert matrix_form_mismatch(equations, sizes_) is None


def test_relu_presentation_uses_the_engines_relu_so_the_derivative_is_seed_002s_indicator():
    i, j = Symbol("i", integer=True), Symbol("j", integer=True)
    functions = fc.RELU.entry_functions()
    equation = fc.RELU.equation(functions, i, j)
    assert equation.diff(functions["pre_activation"](i, j)) == functions["mask"](i, j)


def test_a_bound_index_that_would_be_captured_is_refused():
    k = Symbol("k", integer=True)  # Linear's equation sums over k
    with pytest.raises(InvalidInput, match="summed over"):
        fc.LINEAR_TORCH.equation(fc.LINEAR_TORCH.entry_functions(), k, Symbol("j", integer=True))


@pytest.mark.parametrize("description", FAST, ids=lambda b: b.layer.name)
def test_every_built_in_claim_holds_exactly_and_the_generated_layer_passes_finite_differences(description):
    verdicts, reports = run_layer(description.layer)
    assert [v.concrete for v in verdicts] == [True] * len(verdicts)
    assert all(v.holds is not False for v in verdicts)
    assert reports and all(report.passed for report in reports)
    claimed = {v.name for v in verdicts}
    expected = {str(b.label) for b in description.layer.inputs + description.layer.parameters
                if description.layer.claim_of(b) is not None}
    assert claimed == expected


def test_linears_claims_are_the_rule_tables_closed_forms_and_hold_for_general_sizes():
    for rule in layers_for("fc")[0].rules:
        assert rule.closed_form.__module__ == builtin.__name__  # written once, next to the description
    verdicts = verify_claims(builtin.LINEAR.layer)
    assert [v.general.holds for v in verdicts] == [True, True, True]


def test_a_wrong_claim_in_a_built_in_description_is_refused_with_a_counterexample():
    layer = builtin.LINEAR.layer
    W, G, X = (builtin.LINEAR.operands[key] for key in ("weight", "grad_output", "x"))
    p, q, i = indices("p q i")
    B, = sizes("N")  # the batch, as on the notation sheet
    wrong = dict(layer.claims)
    wrong[W[p, q]] = 2 * Sum(G[i, p] * X[i, q], (i, B))  # a doubled weight rule
    verdicts = {v.name: v for v in verify_claims(dataclasses.replace(layer, claims=wrong))}
    assert verdicts["W"].concrete is False and verdicts["W"].holds is False
    assert "entry" in verdicts["W"].detail and verdicts["X"].concrete is True


def test_description_check_compares_a_numeric_rule_with_the_derived_gradient_exactly():
    description = builtin.LINEAR
    at = description.layer.concrete_sizes()
    claim, (holds, _) = verify.description_check(description, at, "weight", fc_rules.linear_grad_weight,
                                                  ("grad_output", "x"))
    assert holds is True and claim.concrete is True

    def transposed_confusion(grad_output, x):  # X^T G has the shape of W^T: refused, not an error
        return x.T @ grad_output

    def doubled(grad_output, x):
        return 2 * (grad_output.T @ x)

    for wrong in (transposed_confusion, doubled):
        _, (holds, detail) = verify.description_check(description, at, "weight", wrong, ("grad_output", "x"))
        assert holds is False, wrong.__name__
        assert wrong.__name__ in detail or "entry" in detail or "entries" in detail


def test_the_rule_table_refutes_a_planted_wrong_numeric_rule_through_the_description_engine():
    entry = layers_for("fc")[0]

    def wrong_bias(grad_output):
        return grad_output.sum(axis=0) / grad_output.shape[0]  # the averaged bias rule, planted

    rules = tuple(dataclasses.replace(rule, numeric_rule=wrong_bias) if rule.name == "linear.bias" else rule
                  for rule in entry.rules)
    verdicts = verify.verify_presentations(dataclasses.replace(entry, rules=rules), {"batch": 2, "in": 3, "out": 2})
    assert verdicts["linear.bias"].numeric.holds is False
    assert "description linear" in verdicts["linear.bias"].numeric.detail
    assert verdicts["linear.weight"].numeric.holds is True
    assert "description linear" in verdicts["linear.weight"].concrete.detail


def test_the_rule_tables_fc_and_cross_entropy_rules_hold_through_the_description_engine():
    sizes_ = {"batch": 2, "in": 3, "out": 2, "features": 2}
    for target, names in (("fc", ("linear", "relu", "squared_loss")), ("network", ("cross_entropy",))):
        for entry in layers_for(target):
            if entry.name not in names:
                continue
            for name, verdicts in entry.verify(entry, sizes_).items():
                assert verdicts.concrete.holds and verdicts.numeric.holds, name
                assert f"description {entry.name}" in verdicts.numeric.detail, name


def _object_array(gradients, name):
    return np.array(gradients.derived[name], dtype=object)


@pytest.mark.parametrize("geometry", [(1, 0, 1), (2, 1, 2), (1, 2, 1)])
def test_conv2d_description_with_stride_padding_dilation_matches_the_numeric_rules(geometry):
    description = builtin.conv2d(*geometry)
    at = description.layer.concrete_sizes()
    gradients = concrete_gradients(description.layer, at)
    for rule in layers_for("conv2d")[0].rules:
        operands, extra = verify.conv_rule_operands(rule.wrt, description, at, geometry)
        _, (holds, detail) = verify.description_check(description, at, rule.wrt, rule.numeric_rule, operands,
                                                      gradients=gradients, extra=extra, check_claim=False)
        assert holds is True, (rule.name, detail)
    x, w, b = builtin.symbol_arrays(description, ("input", "weight", "bias"), at)
    stride, padding, dilation = geometry
    forward = conv_rules.conv2d_forward(x, w, b, stride, padding, dilation).reshape(-1)
    assert [e for _, e in gradients.outputs["Y"]] == list(forward)


def test_conv2d_description_refuses_a_flipped_kernel_gradient():
    description = builtin.conv2d(2, 1, 2)
    at = description.layer.concrete_sizes()
    operands, extra = verify.conv_rule_operands("weight", description, at, (2, 1, 2))

    def rotated(grad_output, x, **geometry):  # convolution instead of cross-correlation: dW rotated by 180 degrees
        return conv_rules.conv2d_grad_weight(grad_output, x, **geometry)[:, :, ::-1, ::-1]

    _, (holds, _) = verify.description_check(description, at, "weight", rotated, operands, extra=extra,
                                             check_claim=False)
    assert holds is False


def test_conv2d_claims_hold_at_stride_2_padding_1_dilation_2():
    verdicts = verify_claims(builtin.conv2d(2, 1, 2).layer)
    assert [v.concrete for v in verdicts] == [True, True, True]
    assert all(v.holds is not False for v in verdicts)


def test_padded_is_zero_outside_the_image_and_checks_its_arguments():
    H, W = sizes("H W")
    x = tensor("x", H, W)
    assert padded(x, 0, 1).subs({H: 2, W: 2}) == 0
    assert padded(x, 2, 3).subs({H: 2, W: 2}) == 0
    assert padded(x, 2, 2).subs({H: 2, W: 2}) == x.subs({H: 2, W: 2})[2, 2]
    with pytest.raises(InvalidInput, match="expected 2 indices, got 1"):
        padded(x, 1)


def test_built_in_names_and_bad_geometry():
    assert builtin.builtin_named("linear") is builtin.LINEAR
    assert builtin.builtin_named("conv2d_s2_p1_d2").layer.name == "conv2d_s2_p1_d2"
    assert builtin.for_presentation("linear.seed000") is builtin.LINEAR_SEED000
    with pytest.raises(KeyError, match="built-in layers are linear"):
        builtin.builtin_named("lineer")
    with pytest.raises(InvalidInput, match="stride must be an integer >= 1, got 0"):
        builtin.conv2d(0, 0, 1)


def test_the_rule_tables_relu_rule_is_the_description_claims_source():
    # the rule table's closed form object is the one the description's claim was generated from
    assert rule_named("relu.input").closed_form is builtin.relu_input_closed_form
    assert rule_named("squared_loss.prediction").closed_form is builtin.squared_loss_closed_form


@pytest.mark.parametrize("description", [builtin.LINEAR_SEED000, builtin.LINEAR_SEED001], ids=lambda b: b.layer.name)
def test_the_seeds_layouts_claim_the_rule_tables_closed_forms_in_their_own_layout(description):
    # seed 000: dW = g x^T, db = g, dx = W^T g; seed 001: dW = X^T D, dX = D W^T, all from G^T X, G^T 1, G W
    verdicts = verify_claims(description.layer)
    assert len(verdicts) == 3
    assert all(v.concrete is True and v.general.holds is True for v in verdicts)


@pytest.mark.parametrize("make", [builtin.avgpool2d, builtin.maxpool2d], ids=["avg", "max"])
def test_pooling_descriptions_claims_hold_with_padding(make):
    verdicts = verify_claims(make(3, 2, 1).layer)
    assert [v.concrete for v in verdicts] == [True]


def test_flatten_description_claim_and_generated_layer():
    verdicts, reports = run_layer(builtin.FLATTEN.layer)
    assert [v.concrete for v in verdicts] == [True] and all(r.passed for r in reports)


def test_the_rule_tables_pooling_and_flatten_rules_hold_through_the_description_engine():
    for entry in layers_for("network"):
        if entry.name in ("pooling", "flatten"):
            for name, verdicts in entry.verify(entry, {}).items():
                assert verdicts.numeric.holds is True and "== the derived gradient of description" in \
                    verdicts.numeric.detail, name


def test_planted_pooling_and_flatten_faults_are_refused_by_the_description_engine():
    pooling = next(entry for entry in layers_for("network") if entry.name == "pooling")

    def averaged_over_taps(grad_output, input_shape, kernel, stride, padding=0, argmax=None):
        return pool_rules.avgpool_grad_input(grad_output, input_shape, kernel, stride, padding)  # ignores the argmax

    rule = dataclasses.replace(pooling.rules[0], numeric_rule=averaged_over_taps)
    checks = verify.pool_engine_checks(rule)
    assert [check.numeric[rule.name][0] for check in checks] == [False] * len(checks)
    assert verify._engine_numeric(rule, checks, verify.POOL_LABEL).holds is False

    def fortran_order(grad_output, input_shape):  # vec's column stacking where torch.flatten is row-major
        return grad_output.reshape(input_shape, order="F")

    at = builtin.FLATTEN.layer.concrete_sizes()
    _, (holds, _) = verify.description_check(builtin.FLATTEN, at, "input", fortran_order, ("grad_output",),
                                             extra={"input_shape": (2, 2, 2, 3)})
    assert holds is False


def test_built_in_claims_write_index_equality_as_piecewise_not_kronecker_delta():
    # SymPy solves sum_{p,u} g_p delta(2, 2(p - 1) + u) for p without asking for an integer (g_1 + g_{3/2}),
    # which refuted a true avgpool claim; [a = b] as a Piecewise is decided term by term.
    from sympy import KroneckerDelta, Piecewise

    for description in (builtin.conv2d(2, 1, 2), builtin.avgpool2d(3, 2, 1), builtin.maxpool2d(3, 2, 1)):
        claims = list(description.layer.claims.values())
        assert not any(claim.has(KroneckerDelta) for claim in claims)
        assert any(claim.has(Piecewise) for claim in claims)
