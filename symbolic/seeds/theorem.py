"""Seed 002's theorem: with ReLU followed by max pooling, S need not be stored.

    (5)  d xi / d vec(S)^T = (d xi / d vec(Z)^T P_pool) ⊙ vec(I[S])^T
    (6)  d xi / d vec(S)^T = (d xi / d vec(Z)^T ⊙ vec(I[Z])^T) P_pool,   Z = mat(P_pool vec(relu(S))).

The argument uses exactly two properties:

1. ReLU: relu(s) > 0 exactly where relu'(s) = 1, i.e. I[relu(s)] = I[s] (a rewrite of
   ``symbolic.functions.indicator``);
2. max pooling selects one entry per window: P_pool is a 0/1 matrix with one 1 per row, so
   z_o = relu(s_sel(o)) and P_pool[o, j] = 1 only for j = sel(o).

Entry j of (6) is sum_o g_o I[z_o] P[o, j] = sum_o g_o I[s_sel(o)] P[o, j] = (sum_o g_o P[o, j]) I[s_j],
entry j of (5). The check below runs this, symbolically, for every selection matrix of seed 002's
4 x 4 image with 2 x 2 windows (4^4 = 256 of them). Without either property the two differ; the
counterexamples (tanh with max pooling breaks 1; ReLU with average pooling breaks 2) are evaluated.
"""

from __future__ import annotations

import itertools

import numpy as np
from sympy import Matrix, Rational, Symbol, expand, symbols, tanh

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.engine.kron import Vec

SEED002_IMAGE = ((3, 2, 3, 6), (4, 5, 4, 9), (2, 1, 2, 6), (3, 4, 3, 2))


def _vec(matrix: Matrix) -> Matrix:
    return Vec(matrix).doit()


def pooling_matrix(argmax: np.ndarray, height: int, width: int, kernel: int) -> Matrix:
    """P_pool (column-major vec, as seed 002) as the Jacobian of the numeric max pooling on symbols."""
    s = Matrix(height, width, lambda i, j: Symbol(f"s_{{{i + 1},{j + 1}}}"))
    z = pool_rules.maxpool_forward(np.array(s.tolist(), dtype=object)[None, None], argmax, kernel, kernel)[0, 0]
    return _vec(Matrix(z.tolist())).jacobian(_vec(s))


def form5(p_pool: Matrix, g: Matrix, derivative_at_s: Matrix) -> Matrix:
    return (g.T * p_pool).multiply_elementwise(derivative_at_s.T)


def form6(p_pool: Matrix, g: Matrix, derivative_at_z: Matrix) -> Matrix:
    return g.T.multiply_elementwise(derivative_at_z.T) * p_pool


def theorem_for_all_selections(size: int = 4, kernel: int = 2) -> tuple[int, bool]:
    """(number of selection matrices, (5) == (6) for every one), symbolic s and g."""
    windows = (size // kernel) ** 2
    s = Matrix(symbols(f"s_1:{size * size + 1}"))
    g = Matrix(symbols(f"g_1:{windows + 1}"))
    checked, all_hold = 0, True
    for choice in itertools.product(range(kernel * kernel), repeat=windows):
        argmax = np.array(choice).reshape(1, 1, size // kernel, size // kernel).transpose(0, 1, 3, 2)
        p_pool = pooling_matrix(argmax, size, size, kernel)
        z = p_pool * s.applyfunc(relu)
        five = form5(p_pool, g, s.applyfunc(indicator))
        six = form6(p_pool, g, z.applyfunc(indicator))
        all_hold &= (five - six).applyfunc(expand) == Matrix.zeros(1, size * size)
        checked += 1
    return checked, all_hold


def worked_example() -> dict:
    """Seed 002's 4 x 4 image: P_pool, P_pool vec(image), and (6) for symbolic v."""
    image = Matrix(SEED002_IMAGE)
    argmax = pool_rules.maxpool_argmax(np.array(SEED002_IMAGE, dtype=float)[None, None], 2, 2)
    p_pool = pooling_matrix(argmax, 4, 4, 2)
    v = Matrix(symbols("v_1:5"))
    z = p_pool * _vec(image).applyfunc(relu)
    return {
        "P_pool": p_pool,
        "pooled": p_pool * _vec(image),
        "v": v,
        "form6": form6(p_pool, v, z.applyfunc(indicator)),
        "form5": form5(p_pool, v, _vec(image).applyfunc(indicator)),
    }


def counterexamples() -> dict:
    """Where (5) and (6) differ once a property is dropped; exact values, first differing entry."""
    s = Matrix([1, -1, -1, -1])  # one 2 x 2 window, column-major; g = 1
    g = Matrix([1])
    results = {}
    # tanh with max pooling: tanh(z) > 0 no longer marks where the derivative is taken (property 1)
    s_tanh = Matrix([Rational(1, 2), Rational(1, 4), -1, Rational(-1, 2)])
    select = Matrix([[1, 0, 0, 0]])
    def derivative(t):
        return 1 - tanh(t) ** 2
    five = form5(select, g, s_tanh.applyfunc(derivative))
    six = form6(select, g, (select * s_tanh.applyfunc(tanh)).applyfunc(derivative))
    results["tanh with max pooling"] = (five, six)
    # ReLU with average pooling: no longer one selected entry per window (property 2)
    average = Matrix([[Rational(1, 4)] * 4])
    five = form5(average, g, s.applyfunc(indicator))
    six = form6(average, g, (average * s.applyfunc(relu)).applyfunc(indicator))
    results["ReLU with average pooling"] = (five, six)
    return results
