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
4 x 4 image with 2 x 2 windows (4^4 = 256 of them), and of a padded image whose windows do not tile it
(PyTorch's geometry: the -inf padding is never selected, so property 2 still holds). Average pooling breaks
property 2, and the counterexample is evaluated. Property 1 is ReLU's form of a weaker condition, sigma' a
function of sigma's output: tanh meets it (tanh' = 1 - tanh^2), and (6) with 1 - Z^2 equals (5), checked.
"""

from __future__ import annotations

import itertools

import numpy as np
from sympy import Matrix, Rational, Symbol, expand, symbols, tanh

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.numeric.rules.conv import pad2d
from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.engine.kron import Vec

SEED002_IMAGE = ((3, 2, 3, 6), (4, 5, 4, 9), (2, 1, 2, 6), (3, 4, 3, 2))


def _vec(matrix: Matrix) -> Matrix:
    return Vec(matrix).doit()


def pooling_matrix(argmax: np.ndarray, height: int, width: int, kernel: int, stride: int | None = None,
                   padding: int = 0) -> Matrix:
    """P_pool (column-major vec, as seed 002) as the Jacobian of the numeric max pooling on symbols.

    Stride defaults to the kernel size (seed 002's windows); with padding and windows that do not tile
    the image (PyTorch's geometry), the argmax still selects an entry of the image, so P_pool keeps one
    1 per row.
    """
    stride = kernel if stride is None else stride
    s = Matrix(height, width, lambda i, j: Symbol(f"s_{{{i + 1},{j + 1}}}"))
    z = pool_rules.maxpool_forward(np.array(s.tolist(), dtype=object)[None, None], argmax, kernel, stride, padding)
    return _vec(Matrix(z[0, 0].tolist())).jacobian(_vec(s))


def selections(size: int, kernel: int, stride: int, padding: int):
    """Every argmax array of a size x size image: per window, each of its entries inside the image
    (never the padding)."""
    inside = pool_rules.pool_windows(pad2d(np.ones((1, 1, size, size), dtype=bool), padding), kernel, stride)[0, 0]
    choices = [np.flatnonzero(inside[u, v]) for u, v in np.ndindex(inside.shape[:2])]
    for choice in itertools.product(*choices):
        yield np.array(choice).reshape(1, 1, *inside.shape[:2])


def form5(p_pool: Matrix, g: Matrix, derivative_at_s: Matrix) -> Matrix:
    return (g.T * p_pool).multiply_elementwise(derivative_at_s.T)


def form6(p_pool: Matrix, g: Matrix, derivative_at_z: Matrix) -> Matrix:
    return g.T.multiply_elementwise(derivative_at_z.T) * p_pool


def theorem_for_all_selections(size: int = 4, kernel: int = 2, stride: int | None = None,
                               padding: int = 0) -> tuple[int, bool]:
    """(number of selection matrices, (5) == (6) for every one), symbolic s and g.

    Default: seed 002's 4 x 4 image with 2 x 2 windows. ``PADDED_UNTILED`` gives PyTorch's geometry
    beyond tiling: padding and windows the floor drops.
    """
    stride = kernel if stride is None else stride
    windows = pool_rules.pool_output_size(size, kernel, stride, padding) ** 2
    s = Matrix(symbols(f"s_1:{size * size + 1}"))
    g = Matrix(symbols(f"g_1:{windows + 1}"))
    checked, all_hold = 0, True
    for argmax in selections(size, kernel, stride, padding):
        p_pool = pooling_matrix(argmax, size, size, kernel, stride, padding)
        z = p_pool * s.applyfunc(relu)
        five = form5(p_pool, g, s.applyfunc(indicator))
        six = form6(p_pool, g, z.applyfunc(indicator))
        all_hold &= (five - six).applyfunc(expand) == Matrix.zeros(1, size * size)
        checked += 1
    return checked, all_hold


# A 3 x 3 image, 2 x 2 windows, stride 2, padding 1: the padded image is 5 x 5 and its last row and
# column are dropped by the floor; the four windows hold 1, 2, 2 and 4 image entries (16 selections).
PADDED_UNTILED = {"size": 3, "kernel": 2, "stride": 2, "padding": 1}


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
    """Where (5) and (6) differ once property 2 is dropped: name -> (S, (5), (6)), exact values.

    ReLU with average pooling, one 2 x 2 window, S = (1, -1, -1, -1) column-major, upstream value 1:
    the window's average mixes entries, so I[Z] is not I[S] at the entries that were averaged in.
    """
    s = Matrix([1, -1, -1, -1])  # one 2 x 2 window, column-major; g = 1
    g = Matrix([1])
    average = Matrix([[Rational(1, 4)] * 4])
    five = form5(average, g, s.applyfunc(indicator))
    six = form6(average, g, (average * s.applyfunc(relu)).applyfunc(indicator))
    return {"ReLU with average pooling": (s, five, six)}


def _one_minus_square(z):
    return 1 - z ** 2


def tanh_needs_no_s(size: int = 4, kernel: int = 2, derivative_from_output=_one_minus_square) -> tuple[int, bool]:
    """tanh with max pooling needs no S either: tanh'(s) = 1 - tanh(s)^2 is a function of the output,
    and max pooling commutes with the increasing tanh, so (6) with 1 - Z^2 in place of I[Z] equals (5)
    with tanh'(S), for every selection matrix (symbolic S and g). Returns (selections checked, all equal).

    This is what seed 002's argument really uses: a selecting pooling, and sigma' a function of sigma's
    output (for ReLU, I[relu(s)] = I[s]); an activation whose derivative is not a function of its output
    (SiLU, s * sigmoid(s), takes one value at two inputs with different slopes) has no such (6).
    """
    s = Matrix(symbols(f"s_1:{size * size + 1}"))
    g = Matrix(symbols(f"g_1:{(size // kernel) ** 2 + 1}"))
    checked, all_hold = 0, True
    for argmax in selections(size, kernel, kernel, 0):
        p_pool = pooling_matrix(argmax, size, size, kernel, kernel, 0)
        z = p_pool * s.applyfunc(tanh)
        five = form5(p_pool, g, s.applyfunc(lambda t: 1 - tanh(t) ** 2))
        six = form6(p_pool, g, z.applyfunc(derivative_from_output))
        all_hold &= (five - six).applyfunc(expand) == Matrix.zeros(1, size * size)
        checked += 1
    return checked, all_hold

# Small-integer worked examples of the ReLU + max pooling backward (issue 14 item 4): S, the upstream G,
# the selection from the numeric argmax of relu(S), and dS by (5), by (6) and by the numeric layers.
RELU_MAXPOOL_S = ((1, -2, 0, 3), (4, -1, 2, -5), (-3, -6, 2, 1), (-2, -4, -1, 6))
RELU_MAXPOOL_G = ((1, -2), (3, 4))
# Overlapping windows (2 x 2, stride 1) on a 3 x 3 image: the centre is the maximum of all four windows.
OVERLAP_S = ((1, -1, 2), (0, 5, -3), (-2, 3, 4))
OVERLAP_G = ((1, 2), (3, -4))


def relu_maxpool_example(image=RELU_MAXPOOL_S, upstream=RELU_MAXPOOL_G, kernel: int = 2,
                         stride: int | None = None) -> dict:
    """ReLU then max pooling of a small-integer S, backward from an integer G: P_pool from the numeric argmax
    of relu(S) (ties: the first maximum, as PyTorch), (5) and (6) as matrices (mat of the row vectors), and
    the numeric layers' dS (``maxpool_grad_input`` then ``relu_grad_input``), all exact integers."""
    from gradproof.numeric.rules import fc as fc_rules

    stride = kernel if stride is None else stride
    s = np.array(image, dtype=np.int64)
    g = Matrix(upstream)
    height, width = s.shape
    mask = fc_rules.relu_mask(s)
    activated = fc_rules.relu_forward(s, mask)
    argmax = pool_rules.maxpool_argmax(activated[None, None].astype(float), kernel, stride)
    p_pool = pooling_matrix(argmax, height, width, kernel, stride)
    s_vec, g_vec = _vec(Matrix(image)), _vec(g)
    z = p_pool * s_vec.applyfunc(relu)
    five = form5(p_pool, g_vec, s_vec.applyfunc(indicator))
    six = form6(p_pool, g_vec, z.applyfunc(indicator))
    numeric_pool = pool_rules.maxpool_grad_input(np.array(upstream, dtype=np.int64)[None, None], argmax,
                                                 (1, 1, height, width), kernel, stride)[0, 0]
    numeric = fc_rules.relu_grad_input(numeric_pool, mask)

    def mat(row):
        return Matrix(height, width, lambda r, c: row[c * height + r])

    return {"S": Matrix(image), "G": g, "relu(S)": Matrix(activated.tolist()), "mask": Matrix(mask.tolist()),
            "Z": Matrix(z.reshape(g.cols, g.rows).T), "P_pool": p_pool, "(5)": mat(five), "(6)": mat(six),
            "numeric": Matrix(numeric.tolist()), "pool_backward": Matrix(numeric_pool.tolist()),
            "holds": mat(five) == mat(six) == Matrix(numeric.tolist())}
