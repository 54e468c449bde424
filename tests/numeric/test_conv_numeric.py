"""numeric.Conv2d: forward against a loop oracle, finite differences over the grid, bad input."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric import Conv2d, check_layer
from gradproof.numeric.rules.conv import output_size


def loop_oracle(x, weight, bias, stride, padding, dilation):
    """The scalar equation of seed 003 / PyTorch, one output entry at a time."""
    n, c_in, h, w = x.shape
    c_out, _, k, _ = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = output_size(h, k, stride, padding, dilation), output_size(w, k, stride, padding, dilation)
    y = np.zeros((n, c_out, h_out, w_out))
    for b, o, u, v in itertools.product(range(n), range(c_out), range(h_out), range(w_out)):
        y[b, o, u, v] = bias[o] + sum(
            weight[o, c, i, j] * padded[b, c, u * stride + i * dilation, v * stride + j * dilation]
            for c, i, j in itertools.product(range(c_in), range(k), range(k))
        )
    return y


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 1, 2), (2, 0, 2)])
def test_forward_matches_the_scalar_equation(stride, padding, dilation):
    rng = np.random.default_rng(0)
    layer = Conv2d(2, 3, 3, stride=stride, padding=padding, dilation=dilation, rng=rng)
    x = rng.standard_normal((2, 2, 7, 6))
    expected = loop_oracle(x, layer.params["weight"], layer.params["bias"], stride, padding, dilation)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_output_size_is_pytorchs_formula():
    assert output_size(32, 3, 1, 1, 1) == 32
    assert output_size(7, 3, 2, 1, 2) == 3
    assert output_size(5, 2, 2, 0, 1) == 2


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 2), c_in=st.integers(1, 2), c_out=st.integers(1, 2), kernel=st.integers(1, 3),
    stride=st.integers(1, 2), padding=st.integers(0, 1), dilation=st.integers(1, 2), seed=st.integers(0, 10**6),
)
def test_conv2d_matches_finite_differences_over_the_grid(batch, c_in, c_out, kernel, stride, padding, dilation, seed):
    rng = np.random.default_rng(seed)
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, rng=rng)
    reports = check_layer(layer, rng.standard_normal((batch, c_in, 6, 5)), rng=rng)
    assert all(r.passed for r in reports), [r.row() for r in reports]


@pytest.mark.parametrize(
    "x, message",
    [
        (np.ones((1, 3, 5, 5)), "x has 3 channels, the layer expects in_channels=2"),
        (np.ones((2, 5, 5)), r"x must be 4-D \(N, C_in, H, W\), got shape \(2, 5, 5\)"),
        (np.ones((1, 2, 2, 2)), "the kernel spans 5 along H .* but the padded input has only 4"),
    ],
)
def test_bad_input_is_named(x, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(2, 1, 3, padding=1, dilation=2, rng=np.random.default_rng(0)).forward(x)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"stride": 0}, "stride must be an integer >= 1, got 0"), ({"dilation": 0}, "dilation must be an integer >= 1"),
     ({"padding": -1}, "padding must be an integer >= 0, got -1"), ({"kernel_size": (3, 3, 3)}, "kernel_size must be")],
)
def test_bad_hyper_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(1, 1, **{"kernel_size": 3, **kwargs})


def test_backward_rejects_a_wrong_gradient_shape():
    layer = Conv2d(1, 2, 3, rng=np.random.default_rng(0))
    layer.forward(np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"grad_output must have shape \(1, 2, 3, 3\), got \(1, 2, 5, 5\)"):
        layer.backward(np.ones((1, 2, 5, 5)))
