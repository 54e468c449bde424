"""The closed forms conv2d.pdf DISPLAYS (seed 003; the general-size objects of ``conv_general``, the
same objects the document prints, see tests/symbolic/test_conv_document.py), evaluated entry by
entry on random float arrays, equal the numeric rules they name (``gradproof.numeric.rules.conv``):

    dX[n,c,h,w] = sum_{o,p',q'} g^[n,o, h+d(p'-1)-(d(K_h-1)-P), ...] w[o,c,K_h+1-p',K_w+1-q']
    dW[o,c,p,q] = sum_{n,u,v} x[n,c, d(p-1)+s(u-1)+1-P, d(q-1)+s(v-1)+1-P] g[n,o,u,v]
    db[o]       = sum_{n,u,v} g[n,o,u,v]

over strides 1-3, padding 0-2, dilation 1-2, rectangular kernels, several channels and batch sizes.
The last test shows the comparison can fail: dW with s and d exchanged is refuted.
"""

import numpy as np
import pytest

from gradproof.numeric.rules import conv as rules
from gradproof.symbolic.layers import conv_general as cg

# (batch, in channels, out channels, H, W, (K_h, K_w), stride, padding, dilation)
GEOMETRIES = (
    (1, 1, 1, 4, 4, (2, 2), 1, 0, 1),
    (2, 2, 3, 5, 6, (2, 3), 2, 1, 2),
    (1, 3, 2, 7, 5, (3, 1), 3, 2, 1),
    (2, 1, 2, 6, 7, (3, 2), 1, 2, 2),
    (1, 2, 1, 7, 7, (2, 2), 3, 0, 2),
    (2, 2, 2, 5, 5, (1, 3), 2, 2, 1),
)

TOLERANCE = 1e-12  # float64 sums of at most a few hundred products of numbers in [-1, 1]


def _sizes(geometry):
    n_, c_, o_, h_, w_, (k_h, k_w), s, pad, d = geometry
    h_out = rules.output_size(h_, k_h, s, pad, d)
    w_out = rules.output_size(w_, k_w, s, pad, d)
    return {cg.N: n_, cg.C: c_, cg.O: o_, cg.H: h_, cg.W: w_, cg.K_H: k_h, cg.K_W: k_w,
            cg.H_OUT: h_out, cg.W_OUT: w_out, cg.STRIDE: s, cg.PAD: pad, cg.DIL: d}


class _OneBased:
    """1-based read of a float array, 0 outside its ranges (the zero padding / zero extension)."""

    def __init__(self, array, position=lambda index: index):
        self.entries = {tuple(position(i + 1) if axis >= 2 else i + 1 for axis, i in enumerate(index)): float(value)
                        for index, value in np.ndenumerate(array)}

    def __getitem__(self, index):
        return self.entries.get(tuple(index), 0.0)


def _random_operands(geometry, seed):
    n_, c_, o_, h_, w_, (k_h, k_w), s, pad, d = geometry
    rng = np.random.default_rng(seed)
    sizes = _sizes(geometry)
    x = rng.uniform(-1, 1, (n_, c_, h_, w_))
    weight = rng.uniform(-1, 1, (o_, c_, k_h, k_w))
    grad_output = rng.uniform(-1, 1, (n_, o_, int(sizes[cg.H_OUT]), int(sizes[cg.W_OUT])))
    return x, weight, grad_output


def _arrays(x, weight, grad_output, stride):
    return {cg.x: _OneBased(x), cg.w: _OneBased(weight), cg.g: _OneBased(grad_output),
            cg.g_extended: _OneBased(grad_output, lambda i: (i - 1) * stride + 1)}


def _evaluate(closed, entry, shape, geometry, arrays):
    from sympy import Integer

    sizes = {symbol: Integer(value) for symbol, value in _sizes(geometry).items()}
    out = np.empty(shape)
    for index in np.ndindex(shape):
        point = {**sizes, **{symbol: Integer(i + 1) for symbol, i in zip(entry.indices, index)}}
        out[index] = float(cg.evaluate(closed, point, arrays))
    return out


def _numeric(geometry, x, weight, grad_output):
    _, _, _, _, _, kernel, s, pad, d = geometry
    return {
        "input": rules.conv2d_grad_input(grad_output, weight, x.shape, stride=s, padding=pad, dilation=d),
        "weight": rules.conv2d_grad_weight(grad_output, x, kernel, stride=s, padding=pad, dilation=d),
        "bias": rules.conv2d_grad_bias(grad_output),
    }


PROOFS = {proof.subject: proof for proof in cg.general_proofs()}


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "N{}C{}O{}_{}x{}_k{}x{}_s{}P{}d{}".format(
    *g[:5], *g[5], *g[6:]))
@pytest.mark.parametrize("gradient", ["input", "weight", "bias"])
def test_displayed_closed_form_equals_the_numeric_rule(geometry, gradient):
    x, weight, grad_output = _random_operands(geometry, seed=hash(geometry) % 2**32)
    expected = _numeric(geometry, x, weight, grad_output)[gradient]
    proof = PROOFS[gradient]
    got = _evaluate(proof.closed_form, proof.left, expected.shape, geometry,
                    _arrays(x, weight, grad_output, geometry[6]))
    assert np.max(np.abs(got - expected)) <= TOLERANCE * max(1.0, np.max(np.abs(expected)))


def test_dw_with_stride_and_dilation_exchanged_is_refuted():
    """The mutation the comparison must catch: in dW the input index is d(p-1) + s(u-1) + 1 - P; with s
    and d exchanged it is wrong whenever s != d (geometry 2: s = 2, d = 2 agrees, so use s = 3, d = 1)."""
    geometry = GEOMETRIES[2]
    x, weight, grad_output = _random_operands(geometry, seed=7)
    expected = _numeric(geometry, x, weight, grad_output)["weight"]
    proof = PROOFS["weight"]
    swapped = proof.closed_form.xreplace({cg.STRIDE: cg.DIL, cg.DIL: cg.STRIDE})
    assert swapped != proof.closed_form
    got = _evaluate(swapped, proof.left, expected.shape, geometry, _arrays(x, weight, grad_output, geometry[6]))
    assert np.max(np.abs(got - expected)) > 1e-3
