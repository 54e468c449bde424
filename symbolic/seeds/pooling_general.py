"""General-size proofs for pooling (seed 002): pooling as a linear map given the selection, and the
conditions of seed 002's theorem (5) = (6).

Every proof here is checked exactly with SymPy at SYMBOLIC sizes (``Sum`` over ``Indexed`` entries,
the sizes m, n, n_H, n_W, K_h, K_w, s, P symbols): each displayed step, with the definitions
substituted, has the same normal form (``engine.indexed.normal_form``: linearity, sifting, interchange
and renaming of finite sums) as SymPy's own derivative of the scalar equation. The closed forms are
then also evaluated at concrete geometries (square windows, as ``numeric.rules.pooling`` implements
them; overlapping and non-overlapping windows, padding, ties) and compared exactly with the numeric
rules run on symbols, which ties them to an independent implementation.

* Lemma (linear maps): y = R x with R D_out x D_in  =>  dL/dx = R^T dL/dy (R, not seed 003's Q)  (Matrix Cookbook (69); seed 003's
  "Y = WX: dL/dX = W^T dL/dY").
* Max pooling, given the selection: window (u, v) selects the entry
  ((u - 1)s + alpha(u, v) - P, (v - 1)s + beta(u, v) - P) of A = sigma(S), alpha in 1..K_h, beta in 1..K_w
  (the first maximum in row-major window order, as PyTorch), so P_pool is 0/1 with one 1 per row and
  dA_ij = sum_{u,v} G_uv [the selection of (u, v) is (i, j)] = entry (i, j) of mat(P_pool^T vec(G)).
* Average pooling: z_uv = (1/(K_h K_w)) sum_{p,q} a_{(u-1)s+p-P, (v-1)s+q-P} (entries outside the image
  read 0, PyTorch's count_include_pad), so dA_ij = (1/(K_h K_w)) sum_{u,v} G_uv [(i, j) in window (u, v)].

Seed 002's theorem (5) = (6) under its conditions is in ``symbolic.seeds.selection``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import (
    And,
    Derivative,
    Function,
    Indexed,
    IndexedBase,
    Integer,
    KroneckerDelta,
    Le,
    Mul,
    Piecewise,
    Sum,
    Symbol,
    diff,
    expand,
)

from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.engine.indexed import equivalent, normal_form

L = Symbol("L")


def _integer(name):
    return Symbol(name, integer=True)


def _size(name):
    return Symbol(name, integer=True, positive=True)


# sizes and indices (notation sheet: n_H x n_W image, n'_H x n'_W pooled image, K_h x K_w window, P, s)
# the lemma: y = R x with R of size D_out x D_in (seed 003's Q is its kernel Jacobian) (a Linear layer without bias; u, v, m, n, M are taken)
M, N_ = _size(r"D_{\mathrm{out}}"), _size(r"D_{\mathrm{in}}")
H, W_, H_OUT, W_OUT = _size("n_H"), _size("n_W"), _size("n'_H"), _size("n'_W")
K_H, K_W, STRIDE, PAD = _size("K_h"), _size("K_w"), _size("s"), Symbol("P", integer=True, nonnegative=True)
i, j, k, o = (_integer(name) for name in "ijko")
u, v, p, q = (_integer(name) for name in "uvpq")

A_BASE, U_BASE, V_BASE, G_BASE = IndexedBase("R"), IndexedBase("x"), IndexedBase("y"), IndexedBase("g")
ACT, Z_BASE, GRAD = IndexedBase("a"), IndexedBase("z"), IndexedBase("G")
ALPHA, BETA = Function(r"\alpha"), Function(r"\beta")

CHAIN = "chain rule"
DIFFERENTIATE = "differentiate the scalar equation"
SIFTING = "sifting: the delta on j leaves only j = k"
TRANSPOSE = "entry k of a transposed matrix times a vector"
# the definitions a pooling proof differentiates, named so that a justification reads alone (report rows);
# network.pdf replaces each name by a numbered reference to its Definition block
DEFINITION = {"max": "the definition of max pooling", "average": "the definition of average pooling"}


class CheckedRows:
    """What a derivation lhs = rows[0] = rows[1] = ... holds: every row checked (``row_checks``) and every
    concrete instance equal (``instances``); ``closed`` is its last row."""

    @property
    def symbolic_holds(self) -> bool:
        return all(self.row_checks)

    @property
    def holds(self) -> bool:
        return self.symbolic_holds and all(equal for _, equal in self.instances)

    @property
    def closed(self):
        return self.rows[-1][0]


@dataclass(frozen=True)
class IndexProof(CheckedRows):
    """A general-size derivation: ``lhs`` = each row's expression, with its justification.

    ``row_checks[r]`` is True when row r, with the definitions substituted, has the normal form of
    ``reference`` (SymPy's derivative of the scalar equation); ``instances`` are (description, equal)
    pairs of the closed form evaluated at concrete sizes against a numeric rule. ``holds`` needs all.
    """

    title: str
    lhs: object
    rows: tuple[tuple[object, str], ...]
    row_checks: tuple[bool, ...]
    ranges: dict
    instances: tuple[tuple[str, bool], ...] = ()



def _same(left, right, ranges) -> bool:
    return equivalent(normal_form(left, ranges), normal_form(right, ranges))


# ------------------------------------------------------------------------------------------ lemma

def linear_map_lemma(entry=None) -> IndexProof:
    """y_i = sum_j R_ij x_j (i <= D_out, j <= D_in)  =>  dL/dx_k = sum_i R_ik dL/dy_i, entry k of R^T dL/dy.

    ``entry(i, j)`` is R's entry (default the generic R_ij); a caller can plant another."""
    entry = entry or (lambda row, col: A_BASE[row, col])
    ranges = {k: (1, N_)}

    def v_equation(row):
        return Sum(entry(row, j) * U_BASE[j], (j, 1, N_))

    reference = Sum(G_BASE[i] * diff(v_equation(i), U_BASE[k]), (i, 1, M))
    chain = Sum(Derivative(L, V_BASE[i]) * Derivative(V_BASE[i], U_BASE[k]), (i, 1, M))
    rows = (
        (chain, CHAIN),
        (Sum(G_BASE[i] * Sum(A_BASE[i, j] * KroneckerDelta(j, k), (j, 1, N_)), (i, 1, M)),
         "differentiate y_i; g = dL/dy"),
        (Sum(A_BASE[i, k] * G_BASE[i], (i, 1, M)), SIFTING),
    )

    def substituted(expr):
        expr = expr.replace(lambda e: isinstance(e, Derivative) and e.expr == L, lambda e: G_BASE[e.variables[0].indices[0]])
        expr = expr.replace(lambda e: isinstance(e, Derivative) and isinstance(e.expr, Indexed),
                            lambda e: diff(v_equation(e.expr.indices[0]), e.variables[0]))
        return expr.replace(lambda e: isinstance(e, Indexed) and e.base == A_BASE, lambda e: entry(*e.indices))

    checks = tuple(_same(substituted(row), reference, ranges) for row, _ in rows)
    return IndexProof("Linear maps", Derivative(L, U_BASE[k]), rows, checks, ranges)


# ----------------------------------------------------------------------------------- pooling forms

def max_selected_row(u_, v_):
    """Row of the image entry window (u, v) selects: (u - 1)s + alpha(u, v) - P."""
    return (u_ - 1) * STRIDE + ALPHA(u_, v_) - PAD


def max_selected_col(u_, v_):
    return (v_ - 1) * STRIDE + BETA(u_, v_) - PAD


def max_equation(u_, v_):
    """z_uv = a at the entry window (u, v) selects (Definition: max pooling given the selection)."""
    return ACT[max_selected_row(u_, v_), max_selected_col(u_, v_)]


def avg_equation(u_, v_):
    """z_uv = (1/(K_h K_w)) sum_{p,q} a_{(u-1)s+p-P, (v-1)s+q-P}."""
    return Sum(ACT[(u_ - 1) * STRIDE + p - PAD, (v_ - 1) * STRIDE + q - PAD], (p, 1, K_H), (q, 1, K_W)) / (K_H * K_W)


class Iverson(Function):
    """[condition]: 1 if it holds, else 0 (Iverson's bracket), printed as a bracket. A number, so it commutes
    (SymPy would otherwise treat a function of a relation as non-commutative and keep factor order)."""

    is_commutative = True

    @classmethod
    def eval(cls, condition):
        if condition is True or condition == True:  # noqa: E712 (SymPy's true)
            return Integer(1)
        if condition is False or condition == False:  # noqa: E712
            return Integer(0)
        return None

    def _latex(self, printer):
        condition = self.args[0]
        if isinstance(condition, And) and len(condition.args) == 2:
            low, high = sorted(condition.args, key=lambda part: part.lhs != 1)
            if low.lhs == 1 and high.lhs == low.rhs:  # 1 <= x and x <= K, printed 1 <= x <= K
                return (r"\left[1 \le " + printer._print(low.rhs) + r" \le " + printer._print(high.rhs)
                        + r"\right]")
        return r"\left[" + printer._print(condition) + r"\right]"


def _in_window(index, start, size):
    """[1 <= index - start <= size], the window of ``size`` entries after ``start``."""
    return Iverson(And(Le(1, index - start), Le(index - start, size)))


def max_closed_form(i_, j_):
    return Sum(GRAD[u, v] * KroneckerDelta(i_, max_selected_row(u, v)) * KroneckerDelta(j_, max_selected_col(u, v)),
               (u, 1, H_OUT), (v, 1, W_OUT))


def avg_closed_form(i_, j_):
    start_row, start_col = (u - 1) * STRIDE - PAD, (v - 1) * STRIDE - PAD
    return Sum(GRAD[u, v] * _in_window(i_, start_row, K_H) * _in_window(j_, start_col, K_W),
               (u, 1, H_OUT), (v, 1, W_OUT)) / (K_H * K_W)


P_POOL = IndexedBase(r"\left(P_{\mathrm{pool}}\right)")


def _pool_entry_max(u_, v_, i_, j_):
    return KroneckerDelta(i_, max_selected_row(u_, v_)) * KroneckerDelta(j_, max_selected_col(u_, v_))


def _pool_entry_avg(u_, v_, i_, j_):
    start_row, start_col = (u_ - 1) * STRIDE - PAD, (v_ - 1) * STRIDE - PAD
    return _in_window(i_, start_row, K_H) * _in_window(j_, start_col, K_W) / (K_H * K_W)


def _bracket_to_piecewise(expr):
    """Iverson brackets (and SymPy's Piecewise((1, c), (0, True))) in one canonical form: a product of one
    bracket per relation, each written 0 <= (greater side - lesser side), expanded."""
    def brackets(condition):
        parts = condition.args if isinstance(condition, And) else (condition,)
        return Mul(*(Iverson(Le(0, expand(part.gts - part.lts))) for part in parts))
    expr = expr.replace(lambda e: isinstance(e, Piecewise) and len(e.args) == 2 and e.args[1].expr == 0,
                        lambda e: brackets(e.args[0].cond) * e.args[0].expr)
    return expr.replace(lambda e: isinstance(e, Iverson), lambda e: brackets(e.args[0]))


def _sum_deltas_over_window(expr):
    """sum_{p=1}^{K} delta(i, c + p) = [1 <= i - c <= K]: SymPy's own evaluation of a sum of deltas whose
    partner may leave the range (then no term survives)."""
    return expr.replace(lambda e: isinstance(e, Sum) and e.has(KroneckerDelta) and set(e.variables) <= {p, q},
                        lambda e: e.doit())


def _pooling_proof(kind: str, instances, closed_form=None) -> IndexProof:
    equation = max_equation if kind == "max" else avg_equation
    ranges = {i: (1, H), j: (1, W_)}
    reference = Sum(GRAD[u, v] * diff(equation(u, v), ACT[i, j]), (u, 1, H_OUT), (v, 1, W_OUT))
    chain = Sum(Derivative(L, Z_BASE[u, v]) * Derivative(Z_BASE[u, v], ACT[i, j]), (u, 1, H_OUT), (v, 1, W_OUT))
    if kind == "max":
        rows = ((chain, CHAIN),
                ((closed_form or max_closed_form)(i, j), f"differentiate {DEFINITION['max']}; G = dL/dZ"),
                (Sum(P_POOL[u, v, i, j] * GRAD[u, v], (u, 1, H_OUT), (v, 1, W_OUT)),
                 f"entry of P_pool ({DEFINITION['max']})"))
        entry = _pool_entry_max
    else:
        differentiated = Sum(GRAD[u, v] * Sum(KroneckerDelta(i, (u - 1) * STRIDE + p - PAD)
                                              * KroneckerDelta(j, (v - 1) * STRIDE + q - PAD),
                                              (p, 1, K_H), (q, 1, K_W)), (u, 1, H_OUT), (v, 1, W_OUT)) / (K_H * K_W)
        rows = ((chain, CHAIN),
                (differentiated, f"differentiate {DEFINITION['average']}; G = dL/dZ"),
                ((closed_form or avg_closed_form)(i, j), "a sum of deltas over a window is 1 inside it, 0 outside"),
                (Sum(P_POOL[u, v, i, j] * GRAD[u, v], (u, 1, H_OUT), (v, 1, W_OUT)),
                 f"entry of P_pool ({DEFINITION['average']})"))
        entry = _pool_entry_avg

    def substituted(expr):
        expr = expr.replace(lambda e: isinstance(e, Derivative) and e.expr == L, lambda e: GRAD[e.variables[0].indices])
        expr = expr.replace(lambda e: isinstance(e, Derivative) and isinstance(e.expr, Indexed),
                            lambda e: diff(equation(*e.expr.indices), e.variables[0]))
        expr = expr.replace(lambda e: isinstance(e, Indexed) and e.base == P_POOL, lambda e: entry(*e.indices))
        return _bracket_to_piecewise(_sum_deltas_over_window(expr))

    target = substituted(reference)
    checks = tuple(_same(substituted(row), target, ranges) for row, _ in rows)
    return IndexProof(f"{kind} pooling", Derivative(L, ACT[i, j]), rows, checks, ranges, tuple(instances))


# -------------------------------------------------------------------------- concrete instances

# (image height, width, window k, stride, padding): non-overlapping, overlapping (s < k), padded, untiled
GEOMETRIES = ((4, 4, 2, 2, 0), (3, 3, 2, 1, 0), (5, 4, 3, 2, 1), (5, 5, 3, 1, 0), (3, 4, 2, 2, 1))


def describe(geometry) -> str:
    h, w, kernel, stride, padding = geometry
    overlap = "overlapping" if stride < kernel else "non-overlapping"
    return f"image {h} × {w}, window {kernel} × {kernel}, s = {stride}, P = {padding} ({overlap})"


def _sizes(geometry):
    h, w, kernel, stride, padding = geometry
    return {H: h, W_: w, K_H: kernel, K_W: kernel, STRIDE: stride, PAD: padding,
            H_OUT: pool_rules.pool_output_size(h, kernel, stride, padding),
            W_OUT: pool_rules.pool_output_size(w, kernel, stride, padding)}


def _symbols_grid(name, rows, cols):
    return np.array([[Symbol(f"{name}_{{{r + 1},{c + 1}}}") for c in range(cols)] for r in range(rows)], dtype=object)


def _evaluate_closed(closed_form, geometry, grad, alpha=None):
    """The closed form at a concrete geometry: sizes substituted, sums expanded, G's entries and the
    selection offsets (alpha, beta from the numeric argmax) filled in."""
    values = _sizes(geometry)
    h, w = geometry[:2]
    result = np.empty((h, w), dtype=object)
    for r in range(h):
        for c in range(w):
            expr = closed_form(Integer(r + 1), Integer(c + 1)).xreplace(values).doit()
            if alpha is not None:
                expr = expr.replace(lambda e: isinstance(e, Function) and e.func in (ALPHA, BETA),
                                    lambda e: alpha[e.func][int(e.args[0]) - 1, int(e.args[1]) - 1])
            expr = expr.replace(lambda e: isinstance(e, Indexed) and e.base == GRAD,
                                lambda e: grad[int(e.indices[0]) - 1, int(e.indices[1]) - 1])
            result[r, c] = expand(expr.doit())
    return result


def tie_image(geometry, seed: int):
    """A small-integer image with many ties (entries in 0..2), so that the first-maximum rule matters."""
    rng = np.random.default_rng(seed)
    h, w = geometry[:2]
    return rng.integers(0, 3, size=(h, w)).astype(float)


def max_instance(geometry, seed: int = 0, closed_form=max_closed_form) -> bool:
    """The max-pooling closed form at ``geometry`` (selection from the numeric argmax of a tie-rich image)
    equals ``numeric.rules.pooling.maxpool_grad_input`` run on symbols G, exactly."""
    h, w, kernel, stride, padding = geometry
    image = tie_image(geometry, seed)
    argmax = pool_rules.maxpool_argmax(image[None, None], kernel, stride, padding)
    sizes = _sizes(geometry)
    grad = _symbols_grid("G", sizes[H_OUT], sizes[W_OUT])
    numeric = pool_rules.maxpool_grad_input(grad[None, None], argmax, (1, 1, h, w), kernel, stride, padding)[0, 0]
    alpha = {ALPHA: argmax[0, 0] // kernel + 1, BETA: argmax[0, 0] % kernel + 1}
    closed = _evaluate_closed(closed_form, geometry, grad, alpha)
    return all(expand(closed[r, c] - numeric[r, c]) == 0 for r in range(h) for c in range(w))


def avg_instance(geometry, closed_form=avg_closed_form) -> bool:
    """The average-pooling closed form at ``geometry`` equals ``avgpool_grad_input`` on symbols, exactly."""
    h, w, kernel, stride, padding = geometry
    sizes = _sizes(geometry)
    grad = _symbols_grid("G", sizes[H_OUT], sizes[W_OUT])
    numeric = pool_rules.avgpool_grad_input(grad[None, None], (1, 1, h, w), kernel, stride, padding)[0, 0]
    closed = _evaluate_closed(closed_form, geometry, grad)
    return all(expand(closed[r, c] - numeric[r, c]) == 0 for r in range(h) for c in range(w))


def max_pooling_proof(closed_form=max_closed_form) -> IndexProof:
    instances = tuple((describe(g), max_instance(g, seed, closed_form)) for seed, g in enumerate(GEOMETRIES))
    return _pooling_proof("max", instances, closed_form)


def avg_pooling_proof(closed_form=avg_closed_form) -> IndexProof:
    return _pooling_proof("average", tuple((describe(g), avg_instance(g, closed_form)) for g in GEOMETRIES),
                          closed_form)
