"""numeric.Conv2d: forward against a loop oracle, every backward form against the loop oracle's
adjoint (exact), finite differences over the grid, bad input."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric import Conv2d, check_layer
from gradproof.numeric.rules import conv as conv_rules
from gradproof.numeric.rules.conv import output_size


def loop_oracle(x, weight, bias, stride, padding, dilation):
    """The scalar equation of seed 003 / PyTorch, one output entry at a time.

    Independent of the library, output sizes included: an output position exists when its whole
    dilated window lies inside the padded input.
    """
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = [u for u in range(h + 2 * padding) if u % stride == 0 and u + dilation * (kh - 1) < h + 2 * padding]
    cols = [v for v in range(w + 2 * padding) if v % stride == 0 and v + dilation * (kw - 1) < w + 2 * padding]
    y = np.zeros((n, c_out, len(rows), len(cols)), dtype=np.result_type(x, weight, bias))
    for b, o, (u, top), (v, left) in itertools.product(range(n), range(c_out), enumerate(rows), enumerate(cols)):
        y[b, o, u, v] = bias[o] + sum(
            weight[o, c, i, j] * padded[b, c, top + i * dilation, left + j * dilation]
            for c, i, j in itertools.product(range(c_in), range(kh), range(kw))
        )
    return y


def _adjoint(g, linear_map, shape):
    """J^T g for a linear map, entry by entry: <g, linear_map(e_k)> for every basis array e_k (exact)."""
    result = np.zeros(shape)
    for index in np.ndindex(shape):
        basis = np.zeros(shape)
        basis[index] = 1.0
        result[index] = np.sum(g * linear_map(basis))
    return result


GEOMETRIES = [
    # (C_in, C_out, kernel, stride, padding, dilation, H, W)
    (2, 2, 3, 1, 1, 1, 5, 4),
    (1, 2, 3, 2, 1, 1, 6, 5),
    (2, 1, 2, 2, 2, 2, 5, 6),
    (1, 2, (2, 3), 2, 1, 1, 5, 6),
    (2, 1, (3, 1), 1, 0, 2, 6, 3),
]


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 1, 2), (2, 0, 2)])
def test_forward_matches_the_scalar_equation(stride, padding, dilation):
    rng = np.random.default_rng(0)
    layer = Conv2d(2, 3, 3, stride=stride, padding=padding, dilation=dilation, rng=rng)
    x = rng.standard_normal((2, 2, 7, 6))
    expected = loop_oracle(x, layer.params["weight"], layer.params["bias"], stride, padding, dilation)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("config", GEOMETRIES, ids=str)
def test_every_backward_form_is_the_adjoint_of_the_scalar_equation(config):
    # The forward is linear in x, in W and in b separately, so each gradient is exactly J^T G, with J
    # read off the loop oracle column by column: no finite-difference tolerance, no backward retyped.
    c_in, c_out, kernel, stride, padding, dilation, height, width = config
    rng = np.random.default_rng(7)
    layer = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, rng=rng)
    weight, bias = layer.params["weight"], layer.params["bias"]
    x = rng.standard_normal((2, c_in, height, width))
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    geometry = (stride, padding, dilation)
    np.testing.assert_allclose(y, loop_oracle(x, weight, bias, *geometry), rtol=1e-12, atol=1e-12, err_msg="forward")
    zero_bias = np.zeros(c_out)
    expected = {
        "input": _adjoint(g, lambda e: loop_oracle(e, weight, zero_bias, *geometry), x.shape),
        "weight": _adjoint(g, lambda e: loop_oracle(x, e, zero_bias, *geometry), weight.shape),
        "bias": _adjoint(g, lambda e: loop_oracle(np.zeros_like(x), np.zeros_like(weight), e, *geometry), bias.shape),
    }
    actual = {"input": layer.backward(g), **layer.grads}
    # seed 003's form (transposed convolution with the rotated kernel) is not on the layer's path
    transposed = conv_rules.conv2d_grad_input_transposed(g, weight, x.shape, *geometry)
    for name, value in (*actual.items(), ("input, transposed convolution", transposed)):
        np.testing.assert_allclose(value, expected[name.split(",")[0]], rtol=1e-12, atol=1e-12, err_msg=name)


def test_output_size_is_pytorchs_formula():
    # values from torch.nn.Conv2d's documented H_out = floor((H + 2p - d(k - 1) - 1)/s) + 1
    assert output_size(32, 3, 1, 1, 1) == 32
    assert output_size(7, 3, 2, 1, 2) == 3
    assert output_size(5, 2, 2, 0, 1) == 2
    assert output_size(6, 3, 2, 0, 1) == 2  # (6 - 3) / 2 is not an integer: floor, not one more
    assert output_size(7, 3, 2, 0, 1) == 3


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 2), c_in=st.integers(1, 2), c_out=st.integers(1, 2), kernel_h=st.integers(1, 3),
    kernel_w=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1), dilation=st.integers(1, 2),
    seed=st.integers(0, 10**6),
)
def test_conv2d_matches_finite_differences_over_the_grid(batch, c_in, c_out, kernel_h, kernel_w, stride, padding,
                                                         dilation, seed):
    rng = np.random.default_rng(seed)
    layer = Conv2d(c_in, c_out, (kernel_h, kernel_w), stride=stride, padding=padding, dilation=dilation, rng=rng)
    reports = check_layer(layer, rng.standard_normal((batch, c_in, 6, 5)), rng=rng)
    assert [r.wrt for r in reports] == ["input", "weight", "bias"]
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
