"""Seed 004's vector form of a convolution layer, for one sample, checked exactly.

With Z the input as a C x (H W) matrix (row c is channel c, positions row-major), seed 004 writes

    pad(Z) = mat(P_pad vec(Z)),  phi(pad(Z)) = mat(P_phi vec(pad(Z))),  S = W phi(pad(Z)) + b 1^T   (3)
    vec(S) = (I ⊗ W) vec(phi(pad(Z))) + (1 ⊗ I) b                                                   (4)
           = (phi(pad(Z))^T ⊗ I) vec(W) + (1 ⊗ I) b                                                 (5)
    d xi/d vec(W)^T = vec(d xi/dS phi(pad(Z))^T)^T,   d xi/db = d xi/dS 1,
    d xi/d vec(Z)^T = vec(W^T d xi/dS)^T P_phi P_pad.

P_pad and P_phi are not typed in: they are the Jacobians of ``numeric.rules.conv.pad2d`` and
``numeric.rules.conv.im2col`` applied to symbols, so they are exactly the layer's own operators; each is
checked to be a 0/1 selection matrix. Every statement is compared with the derivation from the
scalar equations (``symbolic.layers.conv``). With a 1 x 1 image and a 1 x 1 kernel, phi(pad(z)) = I z
and the layer is the FC layer, whose gradient is the rule table's linear.weight (seed 002, 004).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import Matrix, eye, ones, sympify
from sympy.matrices.expressions.kronecker import kronecker_product

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.conv import ConvGeometry, derive, scalar_equations, symbol_array
from gradproof.symbolic.seeds.network import apply_rule


def _channel_rows(array) -> Matrix:
    """(1, C, H, W) -> the C x (H W) matrix of seed 004 (positions row-major)."""
    c = array.shape[1]
    return Matrix(np.vectorize(sympify, otypes=[object])(array.reshape(c, -1)).tolist())


def _vec(matrix: Matrix) -> Matrix:
    return Vec(matrix).doit()


@dataclass(frozen=True)
class Seed004Check:
    geometry: ConvGeometry
    p_pad: Matrix
    p_phi: Matrix
    phi: Matrix
    weight: Matrix
    checks: dict  # statement -> bool
    steps: dict = None  # step of the derivations of the three gradients -> bool (``derivation_steps``)

    @property
    def holds(self) -> bool:
        return all(self.checks.values()) and all((self.steps or {None: False}).values())


def _is_selection(matrix: Matrix, one_per_row: bool) -> bool:
    zero_one = all(entry in (0, 1) for entry in matrix)
    return zero_one and (not one_per_row or all(sum(matrix.row(r)) == 1 for r in range(matrix.rows)))


def seed004_check(geometry: ConvGeometry) -> Seed004Check:
    """Build P_pad, P_phi from the numeric operators and check (3)-(5) and the three gradients."""
    if geometry.batch != 1:
        raise ValueError(f"seed004_check: seed 004's form is per sample, got batch {geometry.batch}")
    g, system = geometry, scalar_equations(geometry)
    z = _channel_rows(system.x)
    padded_symbols = symbol_array("zp", (1, g.in_channels, g.height + 2 * g.padding, g.width + 2 * g.padding))
    p_pad = _vec(_channel_rows(conv_rules.pad2d(system.x, g.padding))).jacobian(_vec(z))
    columns, (h_out, w_out) = conv_rules.im2col(padded_symbols, g.kernel_hw, g.stride, g.dilation)
    phi_of_padded = Matrix(np.vectorize(sympify, otypes=[object])(columns[0]).tolist())
    p_phi = _vec(phi_of_padded).jacobian(_vec(_channel_rows(padded_symbols)))
    phi = (p_phi * p_pad * _vec(z)).reshape(phi_of_padded.cols, phi_of_padded.rows).T  # mat(P_phi P_pad vec(Z))
    weight = Matrix(np.vectorize(sympify, otypes=[object])(system.weight.reshape(g.out_channels, -1)).tolist())
    bias = Matrix([sympify(b) for b in system.bias])
    positions = h_out * w_out
    s = weight * phi + bias * ones(1, positions)
    outputs = Matrix(g.out_channels, positions,
                     lambda o, q: sympify(system.outputs[(0, o, q // w_out, q % w_out)][0]))
    grad = Matrix(g.out_channels, positions, lambda o, q: sympify(system.grad_output[0, o, q // w_out, q % w_out]))
    derived = derive(system)
    derived_w = Matrix(np.vectorize(sympify, otypes=[object])(derived["weight"].reshape(g.out_channels, -1)).tolist())
    derived_x = _channel_rows(derived["input"])
    ones_column = ones(positions, 1)
    identity = eye(g.out_channels)
    checks = {
        "the padding matrix P_pad is a 0/1 matrix": _is_selection(p_pad, one_per_row=False),
        "the im2col matrix P_phi selects one entry per row": _is_selection(p_phi, one_per_row=True),
        "seed 004 (3), the forward pass, equals the scalar equations": (s - outputs).expand() == Matrix.zeros(*s.shape),
        "seed 004 (4)": (
            _vec(s) - kronecker_product(eye(positions), weight) * _vec(phi) - kronecker_product(ones_column, identity) * bias
        ).expand() == Matrix.zeros(len(s), 1),
        "seed 004 (5)": (
            _vec(s) - kronecker_product(phi.T, identity) * _vec(weight) - kronecker_product(ones_column, identity) * bias
        ).expand() == Matrix.zeros(len(s), 1),
        "the weight gradient": (_vec(grad * phi.T) - _vec(derived_w)).expand() == Matrix.zeros(len(weight), 1),
        "the bias gradient": (grad * ones_column - Matrix(list(map(sympify, derived["bias"])))).expand()
        == Matrix.zeros(g.out_channels, 1),
        "the input gradient through P_phi and P_pad": (
            (_vec(weight.T * grad).T * p_phi * p_pad).T - _vec(derived_x)
        ).expand() == Matrix.zeros(len(z), 1),
    }
    steps = derivation_steps(p_pad, p_phi, phi, weight, grad, _vec(z), {
        "weight": _vec(derived_w), "bias": Matrix(list(map(sympify, derived["bias"]))), "input": _vec(derived_x)},
        Matrix(np.vectorize(sympify, otypes=[object])(
            conv_rules.im2col(conv_rules.pad2d(system.x, g.padding), g.kernel_hw, g.stride, g.dilation)[0][0]).tolist()))
    return Seed004Check(geometry, p_pad, p_phi, phi, weight, checks, steps)


def derivation_steps(p_pad, p_phi, phi, weight, grad, vec_z, derived, im2col_of_padded) -> dict:
    """Every step of the three derivations of conv2d.pdf's seed 004 section, checked exactly at one
    geometry: the Lemma (v = A u gives dL/du = A^T dL/dv) applied to (5) and to (4) with
    vec(phi(pad(Z))) = P_phi P_pad vec(Z), the transpose rules, and (6), (7) read backwards. Each
    right-hand side is compared with the previous one or with the chain rule's gradient (``derived``)."""
    positions, identity = phi.cols, eye(weight.rows)
    ones_column, vec_g = ones(positions, 1), _vec(grad)
    through_patches = kronecker_product(eye(positions), weight) * p_phi * p_pad

    def zero(matrix):
        return matrix.expand() == Matrix.zeros(*matrix.shape)

    return {
        "vec(phi(pad(Z))) = P_phi P_pad vec(Z), P_phi P_pad from the layer's own pad2d and im2col":
            zero(_vec(im2col_of_padded) - p_phi * p_pad * vec_z),
        "weight: the Lemma on (5)": zero(kronecker_product(phi.T, identity).T * vec_g - derived["weight"]),
        "weight: (A ⊗ B)^T = A^T ⊗ B^T": kronecker_product(phi.T, identity).T == kronecker_product(phi, identity),
        "weight: (7) read backwards": zero(kronecker_product(phi, identity) * vec_g - _vec(grad * phi.T)),
        "bias: the Lemma on (5)": zero(kronecker_product(ones_column, identity).T * vec_g - derived["bias"]),
        "bias: (A ⊗ B)^T = A^T ⊗ B^T": kronecker_product(ones_column, identity).T
        == kronecker_product(ones_column.T, identity),
        "bias: (7) read backwards": zero(kronecker_product(ones_column.T, identity) * vec_g - grad * ones_column),
        "input: the Lemma on (4) with P_phi P_pad": zero(through_patches.T * vec_g - derived["input"]),
        "input: transpose of a product": zero(through_patches.T
                                              - p_pad.T * p_phi.T * kronecker_product(eye(positions), weight.T)),
        "input: (6) read backwards": zero(kronecker_product(eye(positions), weight.T) * vec_g - _vec(weight.T * grad)),
    }


def fc_special_case(in_features: int = 3, out_features: int = 2) -> dict:
    """A 1 x 1 image and a 1 x 1 kernel: phi(pad(z)) = I z, and the conv gradient is the FC rule."""
    check = seed004_check(ConvGeometry(1, in_features, out_features, 1, 1, 1, 1, 0, 1))
    z = Matrix(in_features, 1, list(check.phi))
    system = scalar_equations(check.geometry)
    grad = Matrix([sympify(system.grad_output[0, o, 0, 0]) for o in range(out_features)])
    fc_rule = apply_rule("linear.weight", fc.LINEAR_SEED000, {"in": in_features, "out": out_features},
                         {"x": z, "weight": check.weight, "bias": Matrix.zeros(out_features, 1), "grad_output": grad})
    return {
        "P_phi P_pad is the identity": check.p_phi * check.p_pad == eye(in_features),
        "the conv weight gradient is the Linear layer's weight gradient": (grad * check.phi.T - fc_rule).expand()
        == Matrix.zeros(out_features, in_features),
        "every seed 004 statement holds in this case": check.holds,
    }
