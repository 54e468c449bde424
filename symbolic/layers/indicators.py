"""Conditions as factors, so that the index algebra's linearity and sifting reach every term.

A layer description writes a condition as a piecewise expression "f if c, else 0": ReLU's derivative
(``step``), zero padding (``padded``: the entry inside the image, 0 outside), index equality in a claim
(pooling's [a = s(p - 1) + u - P]). SymPy keeps such a Piecewise whole (and folds every factor of a sum
into it), so the Kronecker deltas inside it never meet the sums outside it. Here each condition becomes a
product of factors that are 1 where it holds and 0 elsewhere (``as_products``):

* a > b is I[a - b] (``engine.functions.indicator``, seed 002's I[s]);
* a >= b is ``nonnegative(a - b)`` = [a - b >= 0];
* a = b between integers is the Kronecker delta delta_ab;
* a conjunction is the product of its parts.

``tidy`` then applies, to a generic entry whose free indices have the ranges ``ranges``, the identities

* a sum over a single index value is its term: sum_{k=a}^{a} f(k) = f(a) (a loss's one-entry output xi[1]);
* delta_ab [h(b) >= 0] = delta_ab [h(a) >= 0] (the delta equates a and b; ``_through_delta``);
* [x - c >= 0] = 1 and [c - x >= 0] = 1 when the index x ranges over lo..hi with lo >= c, resp. hi <= c
  (a free index of the entry, or a summation index in its sum's limits; ``_in_range``): an image entry
  X[p_1, p_2, p_3, p_4] with 1 <= p_3 <= n_H lies inside the image.

Every rule is an equality for every value of every symbol, so a proof through them is a proof.
Matrix Cookbook section 1 (index notation); seed 002 (I[s]); PyTorch's zero padding.
"""

from __future__ import annotations

from sympy import (
    And,
    Eq,
    Function,
    GreaterThan,
    KroneckerDelta,
    LessThan,
    Mul,
    Piecewise,
    S,
    StrictGreaterThan,
    StrictLessThan,
    Sum,
    Symbol,
    expand,
    sympify,
)

from gradproof.symbolic.engine.functions import indicator

__all__ = ["ONE_TERM_AND_INDICATOR", "as_products", "nonnegative", "tidy"]

ONE_TERM_AND_INDICATOR = "a sum over one index value is its term; f if c, else 0, is f times the indicator of c"
"""The justification of ``tidy``'s step: identities of finite sums and of piecewise expressions."""


class nonnegative(Function):  # noqa: N801 - reads as the bracket [x >= 0] of the equations
    """[x >= 0]: 1 if x >= 0, else 0 (piecewise constant: its derivative is 0 wherever it exists).

    >>> nonnegative(0), nonnegative(-1), nonnegative(3)
    (1, 0, 1)
    """

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_extended_real:
            return S.One if arg >= 0 else S.Zero
        return None

    def fdiff(self, argindex=1):
        return S.Zero

    def _latex(self, printer):
        return rf"\left[{printer._print(self.args[0])} \ge 0\right]"


def _factors_of(condition):
    """The condition as a product of 0/1 factors, or None if it has a part of another kind."""
    if condition == S.true:
        return S.One
    if isinstance(condition, And):
        parts = [_factors_of(part) for part in condition.args]
        return None if any(part is None for part in parts) else Mul(*parts)
    if isinstance(condition, StrictGreaterThan):
        return indicator(condition.lhs - condition.rhs)
    if isinstance(condition, StrictLessThan):
        return indicator(condition.rhs - condition.lhs)
    if isinstance(condition, GreaterThan):
        return nonnegative(condition.lhs - condition.rhs)
    if isinstance(condition, LessThan):
        return nonnegative(condition.rhs - condition.lhs)
    if isinstance(condition, Eq) and all(side.is_integer for side in condition.args):
        return KroneckerDelta(*condition.args)
    return None


def _zero_outside(node) -> bool:
    return (isinstance(node, Piecewise) and len(node.args) == 2 and node.args[1].cond == S.true
            and node.args[1].expr == 0 and _factors_of(node.args[0].cond) is not None)


def as_products(expr):
    """``expr`` with each "f if c, else 0" written f times the factors of c (module docstring).

    >>> from sympy import IndexedBase, Symbol
    >>> G, S_ = IndexedBase("G"), IndexedBase("S")
    >>> k = Symbol("k", integer=True)
    >>> as_products(Piecewise((3 * G[k], S_[k] > 0), (0, True))) == 3 * G[k] * indicator(S_[k])
    True
    """
    return sympify(expr).replace(_zero_outside, lambda node: node.args[0].expr * _factors_of(node.args[0].cond))


def _one_term(node):
    single = [limit for limit in node.limits if sympify(limit[2] - limit[1]) == 0]
    if not single:
        return node
    body = node.function.xreplace({variable: low for variable, low, _ in single})
    rest = [limit for limit in node.limits if limit not in single]
    return Sum(body, *rest) if rest else body


def _through_delta(argument, deltas, free):
    """h(b) -> h(a) for a factor delta_ab of the same product, when that removes b's own symbols, which are
    summation indices (never the entry's ``free`` indices: the rewriting goes one way, toward them)."""
    for delta in deltas:
        for a, b in (delta.args, delta.args[::-1]):
            gone = b.free_symbols - a.free_symbols
            if not gone or gone & free:
                continue
            for sign in (1, -1):
                moved = expand(argument - sign * (b - a))
                if not moved.free_symbols & gone and moved.free_symbols != argument.free_symbols:
                    return moved
    return argument


def _in_range(argument, ranges) -> bool:
    """[argument >= 0] is 1 for every index value: argument is x - c or c - x with x's range inside."""
    for x, (low, high) in ranges.items():
        coefficient = expand(argument).coeff(x)
        if coefficient not in (1, -1) or x in (argument - coefficient * x).free_symbols:
            continue
        least = expand(argument.subs(x, low if coefficient == 1 else high))
        if least.is_number and least >= 0:
            return True
    return False


def _simplify_factors(expr, ranges, free):
    """The delta and range rules on every product, each sum's limits added to ``ranges`` inside it."""
    if isinstance(expr, Sum):
        inner = {**ranges, **{v: (low, high) for v, low, high in expr.limits}}
        return Sum(_simplify_factors(expr.function, inner, free), *expr.limits)
    if isinstance(expr, Mul):
        factors = [_simplify_factors(f, ranges, free) for f in expr.args]
        deltas = [f for f in factors if isinstance(f, KroneckerDelta)]
        kept = []
        for factor in factors:
            if isinstance(factor, nonnegative):
                argument = _through_delta(factor.args[0], deltas, free)
                factor = S.One if _in_range(argument, ranges) else nonnegative(argument)
            kept.append(factor)
        return Mul(*kept)
    if isinstance(expr, nonnegative):
        return S.One if _in_range(expr.args[0], ranges) else expr
    if not expr.args:
        return expr
    return expr.func(*[_simplify_factors(arg, ranges, free) for arg in expr.args])


def tidy(expr, ranges: dict | None = None):
    """``expr`` with the identities of the module docstring applied; ``ranges`` maps each free index to
    its (low, high).

    >>> from sympy import IndexedBase, Symbol
    >>> G = IndexedBase("G")
    >>> k, p = Symbol("k", integer=True), Symbol("p", integer=True)
    >>> n = Symbol("n", integer=True, positive=True)
    >>> tidy(Sum(2 * G[k], (k, 1, 1)))
    2*G[1]
    >>> tidy(Sum(KroneckerDelta(p, k + 1) * nonnegative(k) * G[k], (k, 1, n)), {p: (1, n)}).has(nonnegative)
    False
    """
    ranges = {Symbol(str(k), integer=True) if not isinstance(k, Symbol) else k: v for k, v in (ranges or {}).items()}
    free = set(ranges)
    expr = sympify(expr)
    for _ in range(TIDY_PASSES):
        previous = expr
        expr = as_products(expr.replace(lambda e: isinstance(e, Sum), _one_term))
        expr = _simplify_factors(expr, ranges, free)
        if expr == previous:
            break
    return expr


TIDY_PASSES = 8
"""At most this many passes of ``tidy`` (each an exact rewriting; two suffice for the built-in layers)."""
