"""Issue 13, item 4: bad and extreme inputs of the layers and losses (empty batch with a mean, ReLU at
+-inf, Flatten's validation, pooling arguments, all -inf windows), each checked against PyTorch's
documented behaviour or a clear ValueError naming the argument, the expected and the actual value."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gradproof.numeric import AvgPool2d, Flatten, MaxPool2d, ReLU, SoftmaxCrossEntropy, SquaredLoss
from gradproof.numeric.rules import fc as fc_rules


@pytest.mark.parametrize("method", ["value", "gradient"])
def test_squared_loss_mean_of_an_empty_batch_is_a_clear_error(method):
    with pytest.raises(ValueError, match=r"SquaredLoss\.\w+: prediction must have a batch of N >= 1 samples "
                                         r"\(reduction='mean' divides by N\), got shape \(0, 3\)"):
        getattr(SquaredLoss("mean"), method)(np.zeros((0, 3)), np.zeros((0, 3)))


def test_squared_loss_sum_of_an_empty_batch_is_zero():
    assert SquaredLoss("sum").value(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert SquaredLoss("sum").gradient(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0, 3)


def test_squared_loss_mean_of_a_scalar_has_no_batch_axis():
    with pytest.raises(ValueError, match=r"prediction must have a batch of N >= 1 samples .* got shape \(\)"):
        SquaredLoss("mean").value(1.0, 2.0)


@pytest.mark.parametrize("method", ["value", "gradient"])
def test_cross_entropy_of_an_empty_batch_is_a_clear_error(method):
    with pytest.raises(ValueError, match=r"logits must have a batch of N >= 1 samples .* got shape \(0, 4\)"):
        getattr(SoftmaxCrossEntropy(), method)(np.zeros((0, 4)), np.zeros(0, dtype=int))


def test_relu_of_infinities_is_pytorchs():
    layer = ReLU()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" from 0 * inf on the way
        y = layer.forward(np.array([[-np.inf, np.inf, 0.0, -2.0, 3.0]]))
        grad = layer.backward(np.array([[np.inf, -np.inf, np.inf, -np.inf, 5.0]]))
    assert y.tolist() == [[0.0, np.inf, 0.0, 0.0, 3.0]]  # torch.relu(-inf) = 0
    assert grad.tolist() == [[0.0, -np.inf, 0.0, 0.0, 5.0]]  # masked entries are 0 whatever the upstream


def test_relu_torch_agrees_on_infinities(torch_module):
    x = np.array([[-np.inf, np.inf, 0.0, -2.0, 3.0]])
    upstream = np.array([[np.inf, 1.0, np.inf, -np.inf, 5.0]])
    tx = torch_module.tensor(x, requires_grad=True)
    ty = torch_module.relu(tx)
    ty.backward(torch_module.tensor(upstream))
    layer = ReLU()
    assert layer.forward(x).tolist() == ty.detach().numpy().tolist()
    assert layer.backward(upstream).tolist() == tx.grad.numpy().tolist()


def test_relu_keeps_float32_and_complex():
    layer = ReLU()
    assert layer.forward(np.array([[1.0, -np.inf]], dtype=np.float32)).dtype == np.float32
    assert layer.backward(np.array([[2.0, np.inf]], dtype=np.float32)).dtype == np.float32
    y = layer.forward(np.array([[1.0 + 1e-20j, -1.0 + 1e-20j]]))  # complex step: the kink on the real part
    assert y.tolist() == [[1.0 + 1e-20j, 0.0]]


def test_the_masked_product_on_symbols_is_the_plain_product():
    from sympy import Function, symbols

    g, s = symbols("g s")
    indicator = Function("I")
    grad = fc_rules.relu_grad_input(np.array([[g, g]], dtype=object), np.array([[indicator(s), 0]], dtype=object))
    assert grad.tolist() == [[g * indicator(s), 0]]


def test_flatten_backward_validates_like_the_other_layers():
    layer = Flatten()
    layer.forward(np.zeros((2, 3, 2)))
    assert layer.backward(np.ones((2, 6), dtype=int)).dtype == np.float64  # integers become float64
    with pytest.raises(ValueError, match=r"Flatten\.backward: grad_output contains NaN \(1 entries, the first at "
                                         r"index \(1, 4\)\)"):
        layer.backward(np.where(np.arange(12).reshape(2, 6) == 10, np.nan, 1.0))
    with pytest.raises(ValueError, match=r"Flatten\.backward: grad_output must be a float32, float64 or complex"):
        layer.backward(np.array([["a"] * 6] * 2))
    with pytest.raises(ValueError, match=r"Flatten\.backward: grad_output must have shape \(2, 6\), got \(6, 2\)"):
        layer.backward(np.ones((6, 2)))


@pytest.mark.parametrize("make, message", [
    (lambda: MaxPool2d(3, padding=2), r"MaxPool2d: padding must be an integer in \[0, 1\], got 2"),
    (lambda: AvgPool2d(2, padding=-1), r"AvgPool2d: padding must be an integer in \[0, 1\], got -1"),
    (lambda: AvgPool2d(2, padding=0.5), r"AvgPool2d: padding must be an integer in \[0, 1\], got 0.5"),
    (lambda: MaxPool2d(2, stride=0), r"MaxPool2d: stride must be an integer >= 1, got 0"),
    (lambda: MaxPool2d(0), r"MaxPool2d: kernel_size must be an integer >= 1, got 0"),
])
def test_pooling_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_pooling_input_must_hold_one_window():
    with pytest.raises(ValueError, match=r"AvgPool2d\.forward: x must have W \+ 2 padding >= kernel_size = 5 .*"
                                         r"got W = 2 with padding 1"):
        AvgPool2d(5, padding=1).forward(np.ones((1, 1, 6, 2)))
    assert AvgPool2d(5, padding=2).forward(np.ones((1, 1, 1, 1))).shape == (1, 1, 1, 1)  # 1 + 4 >= 5


def test_pooling_gradient_shape_follows_the_floor():
    layer = MaxPool2d(2, 2, 1)
    assert layer.forward(np.zeros((1, 1, 4, 5))).shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(1, 1, 3, 3\), got \(1, 1, 2, 3\)"):
        layer.backward(np.ones((1, 1, 2, 3)))


def test_an_all_minus_inf_window_selects_its_first_input_entry_not_the_padding():
    # PyTorch never reads the -inf padding: the gradient of an all -inf window goes to its first input entry.
    layer = MaxPool2d(2, 2, 1)
    y = layer.forward(np.full((1, 1, 3, 3), -np.inf))
    grad = layer.backward(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))
    assert (y == -np.inf).all()
    assert grad[0, 0].tolist() == [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]


def test_rows_the_floor_drops_get_zero_gradient():
    layer = AvgPool2d(2)  # 5 x 5: the last row and column are in no window
    layer.forward(np.ones((1, 1, 5, 5)))
    grad = layer.backward(np.ones((1, 1, 2, 2)))[0, 0]
    assert (grad[:4, :4] == 0.25).all() and not grad[4].any() and not grad[:, 4].any()
