"""Degree and cost bounds of a matrix expression, from the shapes alone (no entry is computed).

Every entry of a rational matrix expression M in the entries of its operands (and its scalar
parameters) can be written over one common denominator, M_ij = P_ij / Q. ``Bound.value = (p, q)``
bounds deg P_ij <= p and deg Q <= q (total degree in all the variables); ``Bound.grad`` bounds
the same way every component of the gradient with respect to the operand differentiated by. The
rules are those of fractions over a common denominator, with k the inner or the matrix size:

    sum      (p1, q1) + (p2, q2) -> (max(p1 + q2, p2 + q1), q1 + q2)
    product  (p1, q1) (p2, q2)   -> (p1 + p2, q1 + q2)           (a matrix product sums k such terms
                                                                   over the same denominator)
    det      (p, q)              -> (k p, k q)                    (k! products of k entries)
    inverse  (p, q)              -> (q + (k - 1) p, k p)          (M^-1 = Q adj(N) / det N, M = N/Q)
    d/dx     d(uw) = du w + u dw, d(1/u) = -du/u^2, d log u = du/u, dM^-1 = -M^-1 dM M^-1.

A value that is not rational (log u, exp u) has ``value = None``; needing it as a rational number
raises ``NotRational``, exactly where ``engine.exact`` does. Alongside: ``terms`` bounds the number
of monomials of an entry's numerator (polynomial entries: the cost of expanding them symbolically),
``ops`` counts exact scalar operations (each on a value and N gradient components) and
``divisors`` sums the degrees of every polynomial that is divided by (a singular point makes one
of them vanish). These are upper bounds: Schwartz-Zippel needs no more.

>>> from sympy import MatrixSymbol, Trace
>>> X = MatrixSymbol("X", 3, 3)
>>> (bound,), analysis = analysis_of([Trace(X.inv())], {X: True}, gradient_size=9)
>>> bound.value, bound.grad, analysis.divisors  # tr(X^-1) = tr(adj X)/det X: degrees 2 over 3
((2, 3), (4, 6), 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
    ZeroMatrix,
    log,
)
from sympy.matrices import MatrixBase

from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.engine.exact import NotRational
from gradproof.symbolic.engine.kron import Adjugate, Vec, VecRowMajor


def add_degrees(a, b):
    """Degrees of P1/Q1 + P2/Q2 = (P1 Q2 + P2 Q1)/(Q1 Q2); None (not rational) stays None."""
    if a is None or b is None:
        return None
    return max(a[0] + b[1], b[0] + a[1]), a[1] + b[1]


def multiply_degrees(a, b):
    if a is None or b is None:
        return None
    return a[0] + b[0], a[1] + b[1]


def _rational(degrees):
    if degrees is None:
        raise NotRational("a logarithm or exponential value is needed as a rational number")
    return degrees


@dataclass
class Bound:
    """Bounds for one (sub)expression: see the module docstring."""

    rows: int
    cols: int
    value: tuple | None
    grad: tuple | None = None
    terms: int = 1

    def sum_with(self, other: Bound) -> Bound:
        grad = other.grad if self.grad is None else self.grad if other.grad is None else add_degrees(self.grad, other.grad)
        return Bound(self.rows, self.cols, add_degrees(self.value, other.value), grad, self.terms + other.terms)

    def times(self, other: Bound, rows: int, cols: int, inner: int = 1) -> Bound:
        """Entries that are sums of ``inner`` products of one entry of each (d(uw) = du w + u dw)."""
        left = None if self.grad is None else multiply_degrees(self.grad, _rational(other.value))
        right = None if other.grad is None else multiply_degrees(_rational(self.value), other.grad)
        grad = right if left is None else left if right is None else add_degrees(left, right)
        return Bound(rows, cols, multiply_degrees(self.value, other.value), grad, inner * self.terms * other.terms)

    @property
    def polynomial(self) -> bool:
        return self.value is not None and self.value[1] == 0 and (self.grad is None or self.grad[1] == 0)


class Analysis:
    """One walk over an expression: its ``Bound``, and the ``ops`` and ``divisors`` it needs.

    ``variables`` maps each MatrixSymbol or scalar Symbol to True if it is differentiated by;
    ``gradient_size`` is N, the number of entries differentiated by.
    """

    def __init__(self, variables: dict, gradient_size: int = 0):
        self.variables, self.width = variables, gradient_size + 1
        self.ops, self.divisors = 0, 0

    def count(self, scalar_ops: int) -> None:
        self.ops += scalar_ops * self.width

    def bound(self, expr) -> Bound:
        if expr in self.variables:
            rows, cols = (int(expr.rows), int(expr.cols)) if isinstance(expr, MatrixSymbol) else (1, 1)
            return Bound(rows, cols, (1, 0), (0, 0) if self.variables[expr] else None)
        if isinstance(expr, (Identity, ZeroMatrix, OneMatrix)):
            return Bound(int(expr.rows), int(expr.cols), (0, 0))
        if isinstance(expr, (Transpose, Vec, VecRowMajor)):
            inner = self.bound(expr.arg)
            rows, cols = (inner.cols, inner.rows) if isinstance(expr, Transpose) else (inner.rows * inner.cols, 1)
            return Bound(rows, cols, inner.value, inner.grad, inner.terms)
        for kind, rule in _RULES:
            if isinstance(expr, kind):
                return rule(self, expr)
        if isinstance(expr, MatrixBase):
            return self._explicit(expr)
        if getattr(expr, "is_Matrix", False):
            raise NotSupported(f"no exact evaluation of {type(expr).__name__}")
        return self._scalar(expr)

    def _explicit(self, matrix) -> Bound:
        bounds = [self.bound(entry) for entry in matrix]
        total = bounds[0]
        for other in bounds[1:]:
            total = total.sum_with(other)
        return Bound(matrix.rows, matrix.cols, total.value, total.grad, max(b.terms for b in bounds))

    def product(self, a: Bound, b: Bound) -> Bound:
        if (a.rows, a.cols) == (1, 1) and (b.rows, b.cols) != (1, 1):
            a, b = b, a
        if (b.rows, b.cols) == (1, 1):  # a matrix times a scalar
            self.count(a.rows * a.cols)
            return a.times(b, a.rows, a.cols)
        self.count(a.rows * a.cols * b.cols)
        return a.times(b, a.rows, b.cols, a.cols)

    def inverse(self, m: Bound) -> Bound:
        """(p, q) -> (q + (k-1) p, k p); the divisor is det N, of degree k p; dM^-1 = -M^-1 dM M^-1."""
        k, (p, q) = m.rows, _rational(m.value)
        self.count(2 * k ** 3)
        self.divisors += k * p
        value = (q + (k - 1) * p, k * p)
        grad = None if m.grad is None else multiply_degrees(multiply_degrees(value, m.grad), value)
        return Bound(k, k, value, grad, math.factorial(k) * m.terms ** k)

    def determinant(self, m: Bound) -> Bound:
        """(p, q) -> (k p, k q); d det M = sum of cofactors (degree (k-1)(p, q)) times dM."""
        k, (p, q) = m.rows, _rational(m.value)
        self.count(k ** 3)
        self.divisors += k * p
        grad = None if m.grad is None else multiply_degrees(((k - 1) * p, (k - 1) * q), m.grad)
        return Bound(1, 1, (k * p, k * q), grad, math.factorial(k) * m.terms ** k)

    def power(self, m: Bound, exponent: int) -> Bound:
        if exponent == 0:
            return Bound(m.rows, m.cols, (0, 0))
        base = self.inverse(m) if exponent < 0 else m
        result = base
        for _ in range(abs(exponent) - 1):
            result = self.product(result, base)
        return result

    def _scalar(self, expr) -> Bound:
        if expr.is_number and not expr.free_symbols:
            return Bound(1, 1, (0, 0) if expr.is_Rational else None)
        if not expr.args:
            raise NotSupported(f"{expr} is not a declared operand or scalar")
        args = [self.bound(arg) for arg in expr.args]
        if expr.is_Add:
            return _fold(args, Bound.sum_with)
        if expr.is_Mul:
            return _fold(args, self.product)
        if expr.is_Pow and expr.args[1].is_Integer:
            return self._integer_power(args[0], int(expr.args[1]))
        if isinstance(expr, log) and len(args) == 1:
            p, q = _rational(args[0].value)
            self.divisors += p
            return Bound(1, 1, None, None if args[0].grad is None else multiply_degrees(args[0].grad, (q, p)))
        if all(arg.grad is None for arg in args):
            return Bound(1, 1, None)
        raise NotRational(f"{type(expr).__name__} of a varying argument has no rational value")

    def _integer_power(self, base: Bound, exponent: int) -> Bound:
        """u^e = u ... u (e > 0); u^-e = 1/u^e, whose divisor is the numerator of u^e."""
        p, q = _rational(base.value)
        result = Bound(1, 1, (0, 0))
        for _ in range(abs(exponent)):
            result = self.product(result, base)
        if exponent >= 0:
            return result
        self.divisors += abs(exponent) * p
        value = (result.value[1], result.value[0])
        grad = None if base.grad is None else multiply_degrees(multiply_degrees(value, value), result.grad)
        return Bound(1, 1, value, grad, result.terms)


def _fold(bounds, combine):
    result = bounds[0]
    for other in bounds[1:]:
        result = combine(result, other)
    return result


def _matmul(analysis, expr):
    return _fold([analysis.bound(arg) for arg in expr.args], analysis.product)


def _elementwise(analysis, expr):
    """Kronecker and Hadamard products: each entry is one product of an entry of each factor."""
    bounds = [analysis.bound(arg) for arg in expr.args]
    result = bounds[0]
    for other in bounds[1:]:
        kron = isinstance(expr, KroneckerProduct)
        rows, cols = (result.rows * other.rows, result.cols * other.cols) if kron else (result.rows, result.cols)
        analysis.count(rows * cols)
        result = result.times(other, rows, cols)
    return result


def _trace(analysis, expr):
    m = analysis.bound(expr.arg)
    analysis.count(m.rows)
    return Bound(1, 1, m.value, m.grad, m.rows * m.terms)


def _adjugate(analysis, expr):
    m = analysis.bound(expr.arg)
    det, inverse = analysis.determinant(m), analysis.inverse(m)
    k, (p, q) = m.rows, m.value
    value = ((k - 1) * p, (k - 1) * q)
    grad = None if m.grad is None else (value[0] + value[1], 2 * value[1])
    return Bound(k, k, value, grad, max(det.terms, inverse.terms))


_RULES = (
    (MatMul, _matmul),
    (MatAdd, lambda a, e: _fold([a.bound(arg) for arg in e.args], Bound.sum_with)),
    (KroneckerProduct, _elementwise),
    (HadamardProduct, _elementwise),
    (Adjugate, _adjugate),
    (MatPow, lambda a, e: a.power(a.bound(e.args[0]), int(e.args[1]))),
    (Trace, _trace),
    (Determinant, lambda a, e: a.determinant(a.bound(e.arg))),
)


def analyse(expr, variables: dict, gradient_size: int = 0) -> Bound:
    """The ``Bound`` of ``expr``; the walk's ``ops`` and ``divisors`` are on ``analysis_of``'s result."""
    return Analysis(variables, gradient_size).bound(expr)


def analysis_of(exprs, variables: dict, gradient_size: int = 0) -> tuple[list[Bound], Analysis]:
    """Bounds of several expressions sharing one count of operations and divisors."""
    analysis = Analysis(variables, gradient_size)
    return [analysis.bound(expr) for expr in exprs], analysis
