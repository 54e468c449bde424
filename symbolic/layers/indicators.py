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

``finish_by_flat_index_sift`` finishes a general proof the normal forms leave undecided with one more exact
identity: sum_{k=lo}^{hi} [k = e] F(k) = F(e) when the flat index e (affine in the entry's indices, with
non-negative slopes) lies in lo..hi for every index in range (``sift_in_range``; Flatten's
f = (c - 1) n_H n_W + (h - 1) n_W + w).

Every rule is an equality for every value of every symbol, so a proof through them is a proof.
Matrix Cookbook section 1 (index notation); seed 002 (I[s]); PyTorch's zero padding.
"""

from __future__ import annotations

from collections.abc import Mapping

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


FLAT_INDEX_SIFT = ("sifting over the flat index: it lies in its sum's range for every index in range (its least "
                   "value, at the lower ends, is at least the sum's lower limit; its greatest is at most the upper)")


def sift_in_range(expr, ranges: Mapping):
    """sum_{k=lo}^{hi} [k = e] F(k) -> F(e), when the range check below is exact; ``expr`` unchanged otherwise.

    A narrowly scoped exact rule for a flat index (Flatten's f = (c - 1) n_H n_W + (h - 1) n_W + w): the sum is
    one ``Sum`` over a single variable k of a product holding ``KroneckerDelta(k, e)``; e is free of k and
    affine in the indices of ``ranges`` (index -> (low, high)) with coefficients SymPy knows to be
    non-negative (products of positive sizes), so e is least at every index's low end and greatest at its
    high end; e(low ends) - lo and hi - e(high ends) must expand to non-negative numbers or to
    polynomials in the sizes with non-negative coefficients. Then exactly one k of the range equals e.
    """
    from sympy import KroneckerDelta, Mul, Poly, Sum, expand

    if not isinstance(expr, Sum) or len(expr.limits) != 1:
        return expr
    k, low, high = expr.limits[0]
    deltas = [factor for factor in Mul.make_args(expr.function)
              if isinstance(factor, KroneckerDelta) and k in factor.free_symbols]
    if len(deltas) != 1:
        return expr
    first, second = deltas[0].args
    target = second if first == k else first if second == k else None
    if target is None or k in target.free_symbols:
        return expr
    indices_ = [index for index in ranges if index in target.free_symbols]
    try:
        poly = Poly(target, *indices_)
    except Exception:  # noqa: BLE001 - not a polynomial in the indices: the rule does not apply
        return expr
    slopes = [coefficient for monomial, coefficient in zip(poly.monoms(), poly.coeffs()) if any(monomial)]
    if poly.total_degree() > 1 or not all(slope.is_nonnegative for slope in slopes):
        return expr
    least = expand(target.subs({index: ranges[index][0] for index in indices_}) - low)
    greatest = expand(high - target.subs({index: ranges[index][1] for index in indices_}))
    if not all(_nonnegative_polynomial(value) for value in (least, greatest)):
        return expr
    body = Mul(*[factor for factor in Mul.make_args(expr.function) if factor is not deltas[0]])
    return body.xreplace({k: target})


def _nonnegative_polynomial(value) -> bool:
    """An expanded expression that is a number >= 0 or a sum of terms each a non-negative number times sizes."""
    from sympy import Add, Mul
    for term in Add.make_args(value):
        coefficient, rest = term.as_coeff_Mul()
        if coefficient < 0 or not all(getattr(factor, "is_positive", False) for factor in Mul.make_args(rest)
                                      if factor != 1):
            return False
    return True


def finish_by_flat_index_sift(proof):
    """A general proof the index algebra left undecided, finished by ``sift_in_range`` when its normal forms
    differ only by a flat index's sum (Flatten's claim, or a user's layer that reshapes): the sifted left
    side's normal form must equal the right side's (exact, ``engine.indexed.equivalent``). A proof already
    decided, or one the rule does not finish, is returned as it is."""
    import dataclasses

    from gradproof.symbolic.engine.indexed import equivalent, normal_form

    if proof.holds is not None or proof.left_normal is None:
        return proof
    sifted = sift_in_range(proof.left_normal, proof.ranges)
    if sifted == proof.left_normal:
        return proof
    sifted = normal_form(sifted, proof.ranges)
    if not equivalent(sifted, proof.right_normal):
        return proof
    return dataclasses.replace(proof, holds=True, reason="", left_normal=sifted,
                               left_steps=proof.left_steps + ((sifted, FLAT_INDEX_SIFT),),
                               rules=proof.rules + (FLAT_INDEX_SIFT,))
