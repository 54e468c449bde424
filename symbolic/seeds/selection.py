"""Seed 002's theorem (5) = (6) at every size, under its real conditions, and where it breaks.

    (5)  dL/dvec(S)^T = (g^T P_pool) o sigma'(s)^T
    (6)  dL/dvec(S)^T = (g^T o h(z)^T) P_pool,   z = P_pool sigma(s)   (seed 002 writes I[Z] for h(z): ReLU)

Conditions: (i) P_pool is a selection (P_oj = delta(j, sel(o)): a 0/1 matrix with one 1 per row; max pooling),
(ii) sigma' = h o sigma (the derivative is a function of the output: ReLU with h = I, tanh with 1 - z^2, the
sigmoid with z(1 - z)). ``selection_theorem`` checks each step of the derivation of entry j of (6) into entry j
of (5) exactly, at symbolic m, n, selection sel and functions sigma, h (``engine.indexed.normal_form`` after
substituting P's entries, z, and the hypothesis). Without (i) or (ii) the check refuses the steps.

Counterexamples, each two inputs with the same pooled Z and different (5), so that no formula in Z alone can
be right (S must be stored): ReLU with average pooling (not a selection; exact rationals), and SiLU with max
pooling (s sigmoid(s): each value in (min, 0) is taken twice with slopes of opposite signs; the second root
computed with mpmath to 30 digits).
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
from sympy import (
    Function,
    Indexed,
    IndexedBase,
    KroneckerDelta,
    Matrix,
    Mul,
    Rational,
    Sum,
    Symbol,
    diff,
    exp,
    expand,
    simplify,
    tanh,
)

from gradproof.symbolic.engine.functions import indicator, relu
from gradproof.symbolic.engine.indexed import equivalent, normal_form
from gradproof.symbolic.seeds.pooling_general import G_BASE, P_POOL, Z_BASE, j, k

# ---------------------------------------------------------------------------- seed 002's theorem

SIGMA, SIGMA_PRIME, H_FN, SEL = Function(r"\sigma"), Function(r"\sigma'"), Function("h"), Function(r"\operatorname{sel}")
# vec(S) has n_S entries, vec(Z) has n_Z; k runs over vec(Z). The notation sheet's s (stride), n and o (batch and
# channel indices) are not reused.
S_BASE = IndexedBase(r"\operatorname{vec}(S)")
N_S, N_Z = Symbol("n_S", integer=True, positive=True), Symbol("n_Z", integer=True, positive=True)
o, M, N_ = k, N_Z, N_S


def _substitute_under_delta(expr):
    """f(e) delta(j, e) = f(j) delta(j, e): in a product with the factor delta(j, e), the entry s_e is s_j
    (the delta is 0 unless e = j)."""
    def rewrite(term):
        for delta in [f for f in Mul.make_args(term) if isinstance(f, KroneckerDelta) and j in f.args]:
            other = delta.args[1] if delta.args[0] == j else delta.args[0]
            term = term.xreplace({S_BASE[other]: S_BASE[j]})
        return term
    return expr.replace(lambda e: isinstance(e, Sum), lambda e: Sum(rewrite(expand(e.function)), *e.limits))


@dataclass(frozen=True)
class SelectionTheorem:
    """Seed 002's theorem at every size: rows of the derivation of entry j of (6) into entry j of (5)."""

    lhs: object
    rows: tuple[tuple[object, str], ...]
    row_checks: tuple[bool, ...]

    @property
    def holds(self) -> bool:
        return all(self.row_checks)


def selection_theorem(pool_entry=None, derivative_from_output=None) -> SelectionTheorem:
    """(6)_j = sum_k g_k h(z_k) P_kj = ... = (sum_k g_k P_kj) sigma'(vec(S)_j) = (5)_j for any sizes n_Z, n_S
    (the rows of P_pool and its columns) and selection.

    ``pool_entry(o, j)`` is P_oj (default the selection delta(j, sel(o))); ``derivative_from_output``
    rewrites h(sigma(t)) (default: the hypothesis sigma' = h o sigma). Either can be planted wrong."""
    pool_entry = pool_entry or (lambda o_, j_: KroneckerDelta(j_, SEL(o_)))
    hypothesis = derivative_from_output or (lambda t: SIGMA_PRIME(t))
    ranges = {j: (1, N_)}
    z_value = SIGMA(S_BASE[SEL(o)])  # z_o = sigma(s_sel(o)): the pooled entry o is the selected one
    entry5 = Sum(G_BASE[o] * P_POOL[o, j], (o, 1, M)) * SIGMA_PRIME(S_BASE[j])
    rows = (
        (Sum(G_BASE[o] * H_FN(Z_BASE[o]) * P_POOL[o, j], (o, 1, M)), "entry j of a row vector times P_pool"),
        (Sum(G_BASE[o] * H_FN(SIGMA(S_BASE[SEL(o)])) * KroneckerDelta(j, SEL(o)), (o, 1, M)),
         "P_pool selects: its entry is a delta; z_k is σ at the selected entry"),
        (Sum(G_BASE[o] * SIGMA_PRIME(S_BASE[SEL(o)]) * KroneckerDelta(j, SEL(o)), (o, 1, M)),
         "hypothesis: σ' = h(σ)"),
        (Sum(G_BASE[o] * SIGMA_PRIME(S_BASE[j]) * KroneckerDelta(j, SEL(o)), (o, 1, M)),
         "the delta is 0 unless sel(k) = j"),
        (entry5, "entry j of (5)"),
    )

    def substituted(expr):
        expr = expr.replace(lambda e: isinstance(e, Indexed) and e.base == Z_BASE, lambda e: z_value.xreplace({o: e.indices[0]}))
        expr = expr.replace(lambda e: isinstance(e, Indexed) and e.base == P_POOL, lambda e: pool_entry(*e.indices))
        expr = expr.replace(lambda e: isinstance(e, KroneckerDelta), lambda e: pool_entry(o, j) if e == KroneckerDelta(j, SEL(o)) else e)
        expr = expr.replace(lambda e: isinstance(e, H_FN) and isinstance(e.args[0], SIGMA), lambda e: hypothesis(e.args[0].args[0]))
        return normal_form(_substitute_under_delta(expr), ranges)

    target = substituted(entry5)
    checks = tuple(equivalent(substituted(row), target) for row, _ in rows)
    return SelectionTheorem(Symbol("(6)_j"), rows, checks)


def derivative_is_function_of_output(activation, derivative, h) -> bool:
    """sigma'(t) = h(sigma(t)) exactly, for one activation (the theorem's hypothesis)."""
    t = Symbol("t", real=True)
    return simplify(derivative(t) - h(activation(t))) == 0


HYPOTHESES = {
    "ReLU": (relu, indicator, indicator),  # the engine's derivative of relu is I[t]; I[relu(t)] = I[t]
    "tanh": (tanh, lambda t: diff(tanh(t), t), lambda z: 1 - z ** 2),
    "sigmoid": (lambda t: 1 / (1 + exp(-t)), lambda t: diff(1 / (1 + exp(-t)), t), lambda z: z * (1 - z)),
}


def hypotheses_hold() -> dict[str, bool]:
    return {name: derivative_is_function_of_output(*functions) for name, functions in HYPOTHESES.items()}


# ------------------------------------------------------------------------------- counterexamples

def average_counterexample() -> dict:
    """ReLU + average pooling, one 2 x 2 window (column-major), upstream value 1: two inputs with the same
    pooled value Z and different gradients (5), so no formula in Z alone (such as (6)) can be right for both."""
    window = Matrix([[Rational(1, 4)] * 4])
    g = Matrix([1])
    cases = {}
    for name, s in (("S", Matrix([1, -1, -1, -1])), ("S'", Matrix([Rational(1, 4)] * 4))):
        z = window * s.applyfunc(relu)
        five = (g.T * window).multiply_elementwise(s.applyfunc(indicator).T)
        six = g.T.multiply_elementwise(z.applyfunc(indicator).T) * window
        cases[name] = {"S": s, "Z": z, "(5)": five, "(6)": six}
    return cases


def silu(t):
    return t / (1 + exp(-t))


def silu_counterexample(digits: int = 30) -> dict:
    """SiLU + max pooling, one 2 x 2 window, upstream 1: S = (-2, -13/10, -13/10, -13/10) and S' with -2 replaced
    by the other root r of SiLU(r) = SiLU(-2) (computed to ``digits`` digits). Both select their first entry and
    give the same Z, but SiLU'(-2) < 0 < SiLU'(r): (5) differs, so S must be stored."""
    mpmath.mp.dps = digits + 10
    f = lambda x: x / (1 + mpmath.exp(-x))  # noqa: E731
    df = lambda x: mpmath.diff(f, x)  # noqa: E731
    left = mpmath.mpf(-2)
    root = mpmath.findroot(lambda x: f(x) - f(left), mpmath.mpf("-0.7"))
    rest = mpmath.mpf(-13) / 10
    first_selected = all(f(x) > f(rest) for x in (left, root))
    argmin = mpmath.findroot(df, mpmath.mpf("-1.3"))
    return {"s": -2, "rest": Rational(-13, 10), "root": root, "Z": f(left), "Z'": f(root), "rest_value": f(rest),
            "argmin": argmin, "minimum": f(argmin),
            "slope": df(left), "slope'": df(root), "first_selected": first_selected,
            "same_Z": abs(f(root) - f(left)) < mpmath.mpf(10) ** (-digits),
            "differ": df(left) < 0 < df(root)}
