"""MaxPool2d, AvgPool2d and Flatten derived from their scalar equations and compared exactly with
the numeric rules run on symbols (seed 002; PyTorch conventions).

Max pooling's scalar equations are fixed by the argmax of the forward pass (seed 002: P_pool is
the 0/1 matrix fixed by the argmax): z[n, c, u, v] = s[n, c, u s + i*, v s + j*]. The argmax is data,
computed by the numeric forward pass on random values, then the derivation is symbolic. The geometry is
PyTorch's (``ceil_mode=False``): windows that do not fit are dropped (floor), padding p on every side,
-inf for max pooling (never selected) and zeros counted in the divisor k^2 for average pooling.
"""

from __future__ import annotations

import itertools

import numpy as np
import symengine as se

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.layers.conv import _value, deferred, first_mismatch, local_chain_rule, symbol_array


def _inside(shape, row: int, col: int) -> bool:
    return 0 <= row < shape[2] and 0 <= col < shape[3]


def verify_maxpool(shape, kernel: int, stride: int, padding: int = 0, seed: int = 0):
    """(derived == P_pool^T G, forward == scalar equations) for one configuration.

    Scalar equations (seed 002's P_pool, PyTorch's geometry): z[n, c, u, v] = s[n, c, u s - p + i*, v s - p + j*]
    with (i*, j*) the argmax of the window on random numbers, which must be an input entry (PyTorch pads
    with -inf: a padded entry is never selected); a selection in the padding counts as a failure.
    """
    s = symbol_array("s", shape)
    argmax = pool_rules.maxpool_argmax(np.random.default_rng(seed).standard_normal(shape), kernel, stride, padding)
    out_shape = argmax.shape
    g = symbol_array("g", out_shape)
    outputs = {}
    for n, c, u, v in np.ndindex(out_shape):
        i, j = divmod(int(argmax[n, c, u, v]), kernel)
        row, col = u * stride - padding + i, v * stride - padding + j
        if not _inside(shape, row, col):
            return False, False
        outputs[(n, c, u, v)] = s[n, c, row, col]
    (derived,) = local_chain_rule(outputs, g, s)
    closed = pool_rules.maxpool_grad_input(deferred(g), argmax, shape, kernel, stride, padding)
    forward = pool_rules.maxpool_forward(s, argmax, kernel, stride, padding)
    forward_ok = all(se.expand(forward[index] - outputs[index]) == 0 for index in outputs)
    return first_mismatch(derived, closed) is None, forward_ok


def verify_avgpool(shape, kernel: int, stride: int, padding: int = 0):
    """(derived == the spread of G/k^2, forward == scalar equations) for one configuration.

    Scalar equations (PyTorch's count_include_pad=True): z[n, c, u, v] = (1/k^2) sum of s[n, c, u s - p + i,
    v s - p + j] over the window's entries inside the input; the padded ones are zeros, but still counted in k^2.
    """
    s = symbol_array("s", shape)
    out_shape = (*shape[:2], *(pool_rules.pool_output_size(size, kernel, stride, padding) for size in shape[2:]))
    g = symbol_array("g", out_shape)
    outputs = {}
    for n, c, u, v in np.ndindex(out_shape):
        cells = [(u * stride - padding + i, v * stride - padding + j) for i in range(kernel) for j in range(kernel)]
        outputs[(n, c, u, v)] = se.Add(*[s[n, c, row, col] for row, col in cells if _inside(shape, row, col)]) / (
            kernel * kernel)
    (derived,) = local_chain_rule(outputs, g, s)
    closed = pool_rules.avgpool_grad_input(deferred(g), shape, kernel, stride, padding)
    forward = pool_rules.avgpool_forward(deferred(s), kernel, stride, padding)
    forward_ok = all(se.expand(_value(forward[index]) - outputs[index]) == 0 for index in outputs)
    return first_mismatch(derived, closed) is None, forward_ok


# Configurations (shape, kernel, stride, padding) beyond the tiling ones: the floor drops rows and/or
# columns (H + 2p - k not divisible by s), padding 1 and 2 (PyTorch's limit k // 2), rectangular inputs.
UNTILED_OR_PADDED = (
    ((1, 2, 5, 5), 2, 2, 0), ((2, 1, 7, 6), 3, 2, 0), ((1, 1, 6, 8), 3, 3, 0),
    ((2, 2, 3, 4), 2, 1, 1), ((1, 2, 4, 5), 2, 2, 1), ((1, 1, 5, 5), 3, 2, 1),
    ((2, 1, 6, 7), 3, 2, 1), ((1, 1, 7, 5), 3, 3, 1), ((1, 1, 5, 6), 4, 3, 2),
)


def pooling_grid():
    """(shape, kernel, stride, padding): batch 1-2, channels 1-2, kernel 2-3, stride 1 or the kernel size
    on inputs the windows tile; then ``UNTILED_OR_PADDED`` (kernel 2-4, stride 1-3, padding 0-2)."""
    for batch, channels, kernel, stride_is_kernel in itertools.product((1, 2), (1, 2), (2, 3), (False, True)):
        stride = kernel if stride_is_kernel else 1
        size = 2 * kernel if stride_is_kernel else kernel + 2
        yield (batch, channels, size, size), kernel, stride, 0
    yield from UNTILED_OR_PADDED


def verify_flatten(shape):
    """z[n, (c H + h) W + w] = s[n, c, h, w]: derived dS equals the numeric rule (the inverse reshape of G),
    and the numeric forward equals these equations."""
    s = symbol_array("s", shape)
    features = int(np.prod(shape[1:]))
    g = symbol_array("g", (shape[0], features))
    outputs = {(n, f): s[(n, *np.unravel_index(f, shape[1:]))] for n in range(shape[0]) for f in range(features)}
    (derived,) = local_chain_rule(outputs, g, s)
    forward = pool_rules.flatten_forward(s)
    forward_ok = all(se.expand(forward[index] - outputs[index]) == 0 for index in outputs)
    return first_mismatch(derived, pool_rules.flatten_grad_input(g, shape)) is None and forward_ok
