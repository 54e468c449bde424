"""Numeric layers: the contract, bad input, and finite-difference cross-checks (seeds 000-002)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric import (
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    SquaredLoss,
    check_layer,
    check_loss,
    check_model_with_loss,
)


def test_linear_contract_shapes_and_forward():
    rng = np.random.default_rng(1)
    layer = Linear(4, 3, rng=rng)
    assert set(layer.params) == set(layer.grads) == {"weight", "bias"}
    assert layer.params["weight"].shape == (3, 4) and layer.params["bias"].shape == (3,)
    x = rng.standard_normal((5, 4))
    expected = np.einsum("ni,oi->no", x, layer.params["weight"]) + layer.params["bias"]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-14)
    grad_input = layer.backward(np.ones((5, 3)))
    assert grad_input.shape == (5, 4)
    assert layer.grads["weight"].shape == (3, 4) and layer.grads["bias"].shape == (3,)


def test_linear_parameter_count_is_seed000_formula():
    # seed 000: M*N + N for an N x M weight
    assert Linear(7, 5, rng=np.random.default_rng(0)).num_parameters() == 7 * 5 + 5


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 4), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=st.integers(0, 10**6))
def test_linear_matches_finite_differences_over_shapes(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    reports = check_layer(Linear(n_in, n_out, rng=rng), rng.standard_normal((batch, n_in)), rng=rng)
    assert [r.name for r in reports] == ["Linear d/dinput", "Linear d/dweight", "Linear d/dbias"]
    assert all(r.passed for r in reports), [r.row() for r in reports]


def test_relu_derivative_at_the_kink_is_zero_as_in_pytorch():
    # Finite differences cannot decide the kink (either one-sided slope is accepted there); the
    # convention is PyTorch's: relu'(0) = 0, so dL/dS is 0 where S = 0.
    layer = ReLU()
    layer.forward(np.array([[-1.0, 0.0, 2.0, -0.0]]))
    assert layer.backward(np.full((1, 4), 3.0)).tolist() == [[0.0, 0.0, 3.0, 0.0]]


def test_relu_matches_finite_differences_away_from_kink():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 1.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    (report,) = check_layer(ReLU(), x, rng=rng)
    assert report.passed, report.row()


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_squared_loss_matches_finite_differences(reduction):
    rng = np.random.default_rng(3)
    report = check_loss(SquaredLoss(reduction), rng.standard_normal((4, 2)), rng.standard_normal((4, 2)))
    assert report.passed, report.row()


def test_squared_loss_values_are_seed002s_definition():
    # Finite differences only tie the gradient to the value; this ties the value to its definition
    # (seed 002: ||z - y||^2; seed 001: the batch average), so a wrong factor in both cannot pass.
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    summed = sum(np.linalg.norm(z[i] - y[i]) ** 2 for i in range(5))
    assert SquaredLoss("sum").value(z, y) == pytest.approx(summed, rel=1e-14)
    assert SquaredLoss("mean").value(z, y) == pytest.approx(summed / 5, rel=1e-14)


def test_mean_reduction_scales_the_summed_gradient_by_one_over_batch():
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    np.testing.assert_allclose(SquaredLoss("mean").gradient(z, y), SquaredLoss("sum").gradient(z, y) / 5)


def test_two_layer_network_matches_finite_differences():
    rng = np.random.default_rng(5)
    net = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))
    reports = check_model_with_loss(net, SquaredLoss(), rng.standard_normal((6, 3)), rng.standard_normal((6, 2)))
    assert [r.wrt for r in reports] == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(r.passed for r in reports), [r.row() for r in reports]


class _WrongBiasLinear(Linear):
    def backward(self, grad_output):
        grad_input = super().backward(grad_output)
        self.grads["bias"] = self.grads["bias"] * 1.001
        return grad_input


class _TransposedInputLinear(Linear):
    def backward(self, grad_output):
        super().backward(grad_output)
        return grad_output @ self.params["weight"][::-1]  # rows in the wrong order


def test_checker_catches_a_slightly_wrong_bias_gradient():
    rng = np.random.default_rng(6)
    reports = {r.name: r for r in check_layer(_WrongBiasLinear(3, 3, rng=rng), rng.standard_normal((2, 3)), rng=rng)}
    assert reports["_WrongBiasLinear d/dbias"].passed is False
    assert reports["_WrongBiasLinear d/dweight"].passed is True


def test_checker_catches_a_wrong_input_gradient_and_names_the_worst_entry():
    rng = np.random.default_rng(7)
    report = check_layer(_TransposedInputLinear(3, 3, rng=rng), rng.standard_normal((2, 3)), rng=rng)[0]
    assert not report.passed
    assert len(report.worst_index) == 2 and report.max_abs_error > 1e-3


def test_float32_input_gives_the_float64_result_to_float32_precision():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 3))
    expected = layer.forward(x)
    np.testing.assert_allclose(layer.forward(x.astype(np.float32)), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.ones((2, 4)), r"Linear.forward: x must have shape \(N, 3\), got \(2, 4\)"),
        (np.ones(3), r"Linear.forward: x must have shape \(N, 3\), got \(3,\)"),
        (np.array([["a", "b", "c"]]), "Linear.forward: x must be a float32, float64 or complex array, got dtype <U1"),
    ],
)
def test_linear_forward_rejects_bad_input(x, message):
    with pytest.raises(ValueError, match=message):
        Linear(3, 2, rng=np.random.default_rng(0)).forward(x)


def test_linear_backward_rejects_wrong_gradient_shape():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"grad_output must have shape \(4, 2\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Linear(3, 2).backward(np.ones((1, 2)))


@pytest.mark.parametrize("args", [(0, 2), (3, -1), (2.5, 2), (True, 2)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        Linear(*args)


def test_squared_loss_rejects_mismatched_target_and_unknown_reduction():
    with pytest.raises(ValueError, match=r"target must have shape \(2, 3\), got \(3, 2\)"):
        SquaredLoss().value(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        SquaredLoss("max")


@pytest.mark.parametrize("make_layer, input_shape", [
    (lambda: Conv2d(2, 3, 3, padding=1, rng=np.random.default_rng(0)), (0, 2, 5, 5)),
    (lambda: Flatten(), (0, 2, 4, 4)),
    (lambda: MaxPool2d(2), (0, 2, 4, 4)),
    (lambda: ReLU(), (0, 3)),
    (lambda: Linear(3, 2, rng=np.random.default_rng(0)), (0, 3)),
])
def test_an_empty_batch_gives_empty_outputs_and_zero_gradients(make_layer, input_shape):
    layer = make_layer()
    y = layer.forward(np.zeros(input_shape))
    assert y.shape[0] == 0
    assert layer.backward(np.zeros(y.shape)).shape == input_shape
    for name, grad in layer.grads.items():
        assert grad.shape == layer.params[name].shape and not grad.any(), name
