"""MaxPool2d, AvgPool2d and Flatten derived from their scalar equations and compared exactly with
the numeric rules run on symbols (seed 002; PyTorch conventions).

Max pooling's scalar equations are fixed by the argmax of the forward pass (seed 002: P_pool is
the 0/1 matrix fixed by the argmax): z[n, c, u, v] = s[n, c, u s + i*, v s + j*]. The argmax is data,
computed by the numeric forward pass on random values, then the derivation is symbolic.
"""

from __future__ import annotations

import itertools

import numpy as np
import symengine as se

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.layers.conv import _value, deferred, first_mismatch, local_chain_rule, symbol_array


def verify_maxpool(shape, kernel: int, stride: int, seed: int = 0):
    """(derived == P_pool^T G, forward == scalar equations) for one configuration."""
    s = symbol_array("s", shape)
    argmax = pool_rules.maxpool_argmax(np.random.default_rng(seed).standard_normal(shape), kernel, stride)
    out_shape = argmax.shape
    g = symbol_array("g", out_shape)
    outputs = {}
    for n, c, u, v in np.ndindex(out_shape):
        i, j = divmod(int(argmax[n, c, u, v]), kernel)
        outputs[(n, c, u, v)] = s[n, c, u * stride + i, v * stride + j]
    (derived,) = local_chain_rule(outputs, g, s)
    closed = pool_rules.maxpool_grad_input(deferred(g), argmax, shape, kernel, stride)
    forward = pool_rules.maxpool_forward(s, argmax, kernel, stride)
    forward_ok = all(se.expand(forward[index] - outputs[index]) == 0 for index in outputs)
    return first_mismatch(derived, closed) is None, forward_ok


def verify_avgpool(shape, kernel: int, stride: int):
    s = symbol_array("s", shape)
    out_shape = (*shape[:2], *((size - kernel) // stride + 1 for size in shape[2:]))
    g = symbol_array("g", out_shape)
    outputs = {
        (n, c, u, v): se.Add(*[s[n, c, u * stride + i, v * stride + j] for i in range(kernel) for j in range(kernel)])
        / (kernel * kernel)
        for n, c, u, v in np.ndindex(out_shape)
    }
    (derived,) = local_chain_rule(outputs, g, s)
    closed = pool_rules.avgpool_grad_input(deferred(g), shape, kernel, stride)
    forward = pool_rules.avgpool_forward(deferred(s), kernel, stride)
    forward_ok = all(se.expand(_value(forward[index]) - outputs[index]) == 0 for index in outputs)
    return first_mismatch(derived, closed) is None, forward_ok


def pooling_grid():
    """batch 1-2, channels 1-2, kernel 2-3, stride 1 or the kernel size, on inputs the windows tile."""
    for batch, channels, kernel, stride_is_kernel in itertools.product((1, 2), (1, 2), (2, 3), (False, True)):
        stride = kernel if stride_is_kernel else 1
        size = 2 * kernel if stride_is_kernel else kernel + 2
        yield (batch, channels, size, size), kernel, stride




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
