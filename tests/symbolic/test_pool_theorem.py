"""Issue 5, symbolic side: pooling derived from scalar equations, cross-entropy, the objective,
seed 002's theorem (5) = (6), its worked example, and the counterexamples."""

import pytest
from sympy import Function, Matrix, Rational, Symbol, symbols

from gradproof.numeric.rules.conv import col2im
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.layers.losses import objective_check
from gradproof.symbolic.layers.pooling import pooling_grid, verify_avgpool, verify_maxpool
from gradproof.symbolic.seeds import theorem
from gradproof.symbolic.seeds.theorem import counterexamples, theorem_for_all_selections, worked_example

GRID = list(pooling_grid())


@pytest.mark.parametrize("config", GRID, ids=lambda c: f"{c[0]}k{c[1]}s{c[2]}p{c[3]}")
def test_pooling_derivations_equal_the_numeric_rules(config):
    assert verify_maxpool(*config) == (True, True)
    assert verify_avgpool(*config) == (True, True)


def test_flatten_derivation_is_the_inverse_reshape():
    from gradproof.symbolic.layers.pooling import verify_flatten

    assert verify_flatten((2, 3, 2, 2)) and verify_flatten((1, 1, 1, 5))


def test_avgpool_closed_form_is_exact_not_a_rounded_float():
    from gradproof.numeric.rules.pooling import avgpool_forward
    from gradproof.symbolic.layers.conv import deferred, symbol_array

    value = avgpool_forward(deferred(symbol_array("s", (1, 1, 3, 3))), 3, 3)[0, 0, 0, 0].value()
    assert "1/9" in str(value) and "." not in str(value)


def test_objective_equals_its_closed_form():
    # softmax cross-entropy: tests/symbolic/test_engine_builtin_rules.py (the description engine decides it)
    objective = objective_check()
    assert objective["holds"]
    assert objective["update_holds"]  # seed 003's SGD step against theta - mu times SymPy's df/dtheta


def test_theorem_holds_for_every_selection_matrix():
    assert theorem_for_all_selections() == (256, True)  # 4 windows, 4 choices each


def test_theorem_holds_with_padding_and_windows_the_floor_drops():
    # 3 x 3 image, 2 x 2 windows, stride 2, padding 1: windows hold 1, 2, 2, 4 image entries
    assert theorem_for_all_selections(**theorem.PADDED_UNTILED) == (16, True)


def test_theorem_check_fails_on_the_padded_image_once_property_1_is_dropped(monkeypatch):
    monkeypatch.setattr(theorem, "relu", Function("f"))
    assert theorem_for_all_selections(**theorem.PADDED_UNTILED) == (16, False)


def test_the_pooling_grid_covers_padding_and_windows_that_do_not_tile():
    untiled = [c for c in GRID if any((size + 2 * c[3] - c[1]) % c[2] for size in c[0][2:])]
    padded = [c for c in GRID if c[3] > 0]
    assert len(untiled) >= 5 and len(padded) >= 5 and any(c[0][2] != c[0][3] for c in GRID)
    assert {c[3] for c in GRID} == {0, 1, 2}


def _crop_from_the_wrong_side(values, input_shape, kernel, stride, padding):
    n, c, h_out, w_out, _ = values.shape
    columns = values.reshape(n, c, h_out, w_out, kernel, kernel).transpose(0, 1, 4, 5, 2, 3)
    columns = columns.reshape(n, c * kernel * kernel, h_out * w_out)
    shape = (n, c, input_shape[2] + 2 * padding, input_shape[3] + 2 * padding)
    return col2im(columns, shape, (kernel, kernel), stride, 1, (h_out, w_out))[:, :, : input_shape[2], : input_shape[3]]


def test_a_wrong_padding_crop_is_refused_by_the_derivation(monkeypatch):
    # Planted fault: the backward crops the padded gradient from the top-left corner. The unpadded
    # configurations cannot see it; every padded one must.
    from gradproof.numeric.rules import pooling as pool_rules

    monkeypatch.setattr(pool_rules, "_windows_back", _crop_from_the_wrong_side)
    for config in GRID:
        expected = config[3] == 0
        assert verify_maxpool(*config)[0] is expected, config
        assert verify_avgpool(*config)[0] is expected, config


def _averaging_pool(argmax, height, width, kernel, stride=None, padding=0):
    """P_pool of average pooling (column-major vec, as seed 002): no longer one 1 per row, which
    drops the theorem's property 2."""
    windows = height // kernel

    def entry(o, j):
        same = (j % height) // kernel == o % windows and (j // height) // kernel == o // windows
        return Rational(1, kernel * kernel) if same else 0

    return Matrix(windows * (width // kernel), height * width, entry)


@pytest.mark.parametrize("broken", ["activation without property 1", "average pooling (property 2)"])
def test_the_theorem_check_fails_once_a_property_is_dropped(monkeypatch, broken):
    # Planted faults for the check above: on the smallest image (one 2 x 2 window), (5) = (6) must
    # then be refused, or "holds" above would say nothing. Property 1 is dropped by an unknown
    # activation f, for which I[f(s)] = I[s] is not known.
    assert theorem_for_all_selections(size=2, kernel=2) == (4, True)
    if broken.startswith("activation"):
        monkeypatch.setattr(theorem, "relu", Function("f"))
    else:
        monkeypatch.setattr(theorem, "pooling_matrix", _averaging_pool)
    assert theorem_for_all_selections(size=2, kernel=2) == (4, False)


def test_property_one_is_the_rewrite_it_claims():
    t = Symbol("t")
    assert indicator(relu(t)) == indicator(t)
    assert [indicator(relu(v)) for v in (-2, 0, 3)] == [0, 0, 1]


def test_seed002_worked_example():
    example = worked_example()
    assert example["P_pool"].shape == (4, 16)
    assert list(example["pooled"]) == [5, 4, 9, 6]
    v1, v2, v3, v4 = symbols("v_1:5")
    assert list(example["form6"]) == [0, 0, 0, 0, 0, v1, 0, v2, 0, 0, 0, 0, 0, v3, v4, 0]
    assert example["form5"] == example["form6"]


def test_counterexamples_differ():
    results = counterexamples()
    assert set(results) == {"ReLU with average pooling"}
    for name, (s, five, six) in results.items():
        assert s.shape == (4, 1) and five.shape == six.shape == (1, 4) and five != six, name


def test_tanh_needs_no_s_with_its_derivative_read_from_the_output():
    """Issue 14: tanh was shown as a counterexample by evaluating tanh' at Z; with 1 - Z^2 it is none."""
    from gradproof.symbolic.seeds.theorem import tanh_needs_no_s

    assert tanh_needs_no_s() == (256, True)


def test_tanh_check_fails_when_the_derivative_is_taken_at_the_output():
    """The old mistake, tanh'(Z) = 1 - tanh(Z)^2 instead of 1 - Z^2, must not pass."""
    from sympy import tanh as sympy_tanh

    from gradproof.symbolic.seeds.theorem import tanh_needs_no_s

    assert tanh_needs_no_s(derivative_from_output=lambda z: 1 - sympy_tanh(z) ** 2)[1] is False
